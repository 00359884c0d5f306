//! One Socket.IO connection: the state machine between the socket and the engine.
//!
//! It answers the open packet with the namespace CONNECT, answers the server's pings, keeps
//! events that arrive before the CONNECT ack (or the preset's ready event) and delivers them
//! after it, matches acks to the requests that asked for them, and hands each event to the
//! [`Preset`] to read. The protocol in the parent module makes one for each connection attempt.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Value, json};
use web_time::Duration;

use super::args::split_event;
use super::packet::{self, EngineFrame, PacketType};
use super::{EventArgs, Preset, engine_io_url};
use crate::auth::{AuthToken, SecretUrl};
use crate::dialect::{
    AnswerTo, Command, ConnectRequest, DecodeError, Dialect, Inbound, RequestId, UnknownFrame,
    Unsupported,
};
use crate::engine::MAX_DURATION;
use crate::model::{Id, Session};

/// The shortest ping interval believed from an open packet.
const MIN_PING_INTERVAL_MS: u64 = 1000;
/// The shortest ping timeout believed from an open packet.
const MIN_PING_TIMEOUT_MS: u64 = 100;

/// One Socket.IO connection.
pub(super) struct SocketIoDialect<P: Preset> {
    preset: Arc<P>,
    token: Option<AuthToken>,
    /// The namespace CONNECT was acknowledged.
    acknowledged: bool,
    /// The preset's ready event arrived (it may come before the CONNECT ack).
    greeted: bool,
    /// The session is ready (the CONNECT ack, or the preset's ready event after it).
    ready: bool,
    /// The sid the CONNECT ack gave.
    session_id: Option<String>,
    /// Events that arrived before the CONNECT ack, delivered right after it.
    early: Vec<Inbound>,
    /// Who we are: named by the token, or by a pre-ack event.
    user_id: Option<Id>,
    /// What each ack id we sent asked for.
    pending: HashMap<u64, Command>,
    /// Binary attachments still to come for an unsupported binary packet.
    attachments: usize,
    /// The preset's memory of this connection.
    state: P::State,
}

impl<P: Preset> SocketIoDialect<P> {
    /// A connection attempt that will authenticate with `token`.
    pub(super) fn new(preset: Arc<P>, token: Option<AuthToken>) -> Self {
        let user_id = preset.token_user_id(token.as_ref());
        Self {
            preset,
            token,
            acknowledged: false,
            greeted: false,
            ready: false,
            session_id: None,
            early: Vec::new(),
            user_id,
            pending: HashMap::new(),
            attachments: 0,
            state: P::State::default(),
        }
    }
}

impl<P: Preset> Dialect for SocketIoDialect<P> {
    fn connect_request(&self, endpoint: &str) -> ConnectRequest {
        ConnectRequest::new(SecretUrl::new(engine_io_url(endpoint)))
    }

    fn on_text(&mut self, text: &str, inbound: &mut Vec<Inbound>) {
        let malformed = |reason: &str| {
            Inbound::Malformed(DecodeError::InvalidPacket {
                reason: reason.to_owned(),
                raw: text.to_owned(),
            })
        };
        match packet::engine_frame(text) {
            Ok(EngineFrame::Open(open)) => self.opened(open, text, inbound),
            Ok(EngineFrame::Ping(payload)) => {
                inbound.push(Inbound::Write(format!("3{payload}").into()))
            }
            Ok(EngineFrame::Close) => inbound.push(Inbound::Closing {
                reason: "the server closed the Engine.IO session".into(),
            }),
            Ok(EngineFrame::Pong | EngineFrame::Noop) => {}
            Ok(EngineFrame::Message(message)) => match packet::packet(message) {
                Ok(packet) => self.packet(packet, text, inbound),
                Err(reason) => inbound.push(malformed(reason)),
            },
            Err(reason) => inbound.push(malformed(reason)),
        }
    }

    fn on_binary(&mut self, bytes: &[u8], inbound: &mut Vec<Inbound>) {
        if self.attachments > 0 {
            // Part of a binary packet already reported as unsupported.
            self.attachments -= 1;
        } else {
            inbound.push(Inbound::Malformed(DecodeError::Binary { len: bytes.len() }));
        }
    }

    fn expects_answer(&self, command: &Command) -> bool {
        self.preset.expects_answer(command)
    }

    fn encode(&mut self, request: RequestId, command: &Command) -> Result<String, Unsupported> {
        let (event, args) = self.preset.encode(command)?;
        let mut array = Vec::with_capacity(args.len() + 1);
        array.push(Value::String(event.to_owned()));
        array.extend(args);
        // An event the server never acknowledges goes without an ack id, and nothing is
        // remembered for it.
        let ack_id = self.preset.expects_answer(command).then(|| {
            self.pending.insert(request.get(), command.clone());
            request.get()
        });
        Ok(packet::encode(
            PacketType::Event,
            self.preset.namespace(),
            ack_id,
            Some(&Value::Array(array)),
        ))
    }

    fn forget(&mut self, request: RequestId) {
        self.pending.remove(&request.get());
    }
}

impl<P: Preset> SocketIoDialect<P> {
    /// The open packet: keep-alive timing, then our namespace CONNECT with the token.
    fn opened(&mut self, open: &str, text: &str, inbound: &mut Vec<Inbound>) {
        let open: Value = serde_json::from_str(open).unwrap_or(Value::Null);
        let millis = |field: &str| open.get(field).and_then(Value::as_u64);
        // python-engineio truncates its interval to whole seconds in this packet (a 200 ms
        // interval is announced as 0): never wait less than a second for a ping, or a healthy
        // server would be taken for dead. Absurdly long values are capped like settings.
        let bounded =
            |millis: u64, min: u64| Duration::from_millis(millis.max(min)).min(MAX_DURATION);
        match (millis("pingInterval"), millis("pingTimeout")) {
            (Some(interval), Some(timeout)) => inbound.push(Inbound::ServerPing {
                interval: bounded(interval, MIN_PING_INTERVAL_MS),
                timeout: bounded(timeout, MIN_PING_TIMEOUT_MS),
            }),
            _ => inbound.push(Inbound::Malformed(DecodeError::InvalidPacket {
                reason: "open packet without pingInterval and pingTimeout".into(),
                raw: text.to_owned(),
            })),
        }
        let auth = self.preset.auth(self.token.as_ref());
        inbound.push(Inbound::Write(
            packet::encode(
                PacketType::Connect,
                self.preset.namespace(),
                None,
                auth.as_ref(),
            )
            .into(),
        ));
    }

    fn packet(&mut self, packet: packet::Packet<'_>, text: &str, inbound: &mut Vec<Inbound>) {
        // Counted first, whatever namespace it is for: the frames that follow belong to it.
        self.attachments = packet.attachments;
        if packet.namespace != self.preset.namespace() {
            let raw = serde_json::from_str(packet.data).unwrap_or(Value::Null);
            let kind = Some(format!("namespace {}", packet.namespace));
            return inbound.push(Inbound::Unknown(UnknownFrame { kind, raw }));
        }
        let data = || serde_json::from_str::<Value>(packet.data);
        match packet.kind {
            PacketType::Connect => {
                self.acknowledged = true;
                self.session_id = data()
                    .ok()
                    .and_then(|data| data.get("sid")?.as_str().map(str::to_owned));
                if self.preset.ready_event().is_none() || self.greeted {
                    self.become_ready(inbound);
                }
            }
            PacketType::ConnectError => {
                let reason = data()
                    .ok()
                    .and_then(|data| data.get("message")?.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "connection refused".into());
                inbound.push(Inbound::AuthRefused { reason });
            }
            // Accepted, then disconnected before the session was ready: the server's way of
            // refusing the credentials (ConectCRM), not a hot-retry situation.
            PacketType::Disconnect if self.acknowledged && !self.ready => {
                inbound.push(Inbound::AuthRefused {
                    reason: "the server disconnected the namespace right after accepting it".into(),
                })
            }
            PacketType::Disconnect => inbound.push(Inbound::Closing {
                reason: "the server disconnected the namespace".into(),
            }),
            PacketType::Event => {
                let checked = Cell::new(false);
                if let Some((name, args)) = split_event(packet.data) {
                    let args = EventArgs::unread(args, &checked);
                    return self.event(Some((name, args)), packet.ack_id, text, inbound);
                }
                let Ok(array) = serde_json::from_str::<Vec<&RawValue>>(packet.data) else {
                    return inbound.push(wrong_shape("an event must be a JSON array", text));
                };
                let name = array.split_first().and_then(|(name, args)| {
                    let name: String = serde_json::from_str(name.get()).ok()?;
                    Some((name, EventArgs::new(args)))
                });
                let event = name.as_ref().map(|(name, args)| (name.as_str(), *args));
                self.event(event, packet.ack_id, text, inbound)
            }
            PacketType::Ack => self.ack(packet.ack_id, data(), text, inbound),
            PacketType::BinaryEvent => {
                if let Some(id) = packet.ack_id {
                    // Received, if not read: the server's callback must not wait forever.
                    inbound.push(self.receipt(id));
                }
                inbound.push(binary_unsupported(text));
            }
            PacketType::BinaryAck => {
                // The answer to a request of ours came with attachments: it settles that
                // request now, as an answer that could not be read (what it said is unknown:
                // not a refusal), rather than by a timeout later.
                if let Some(id) = packet.ack_id
                    && self.pending.remove(&id).is_some()
                {
                    inbound.push(Inbound::UnreadableAnswer {
                        to: AnswerTo::Request(RequestId(id)),
                    });
                }
                inbound.push(binary_unsupported(text));
            }
        }
    }

    /// An event: its name and arguments (`None` when the array does not start with a name).
    fn event(
        &mut self,
        event: Option<(&str, EventArgs<'_>)>,
        ack_id: Option<u64>,
        text: &str,
        out: &mut Vec<Inbound>,
    ) {
        let invalid = || wrong_shape("an event must be a JSON array", text);
        if let Some(id) = ack_id {
            if event.is_some_and(|(_, args)| !args.is_valid()) {
                return out.push(invalid());
            }
            // The server asked for an acknowledgement: confirm receipt.
            out.push(self.receipt(id));
        }
        let Some((name, args)) = event else {
            return out.push(wrong_shape("an event must start with its name", text));
        };
        let is_ready_event = self.preset.ready_event() == Some(name);
        if !self.ready
            && let Some(user_id) = self.preset.user_id(name, args)
        {
            self.user_id = Some(user_id);
        }
        let decoded = self.preset.decode(&mut self.state, name, args);
        // Arguments left unread by the preset are checked here, as a full parse would have.
        let inbound = match decoded {
            _ if !args.is_valid() => invalid(),
            Ok(Some(event)) => Inbound::Event(event),
            Ok(None) => {
                let mut raw = vec![Value::String(name.to_owned())];
                raw.extend(args.to_values());
                Inbound::Unknown(UnknownFrame {
                    kind: Some(name.to_owned()),
                    raw: Value::Array(raw),
                })
            }
            Err(reason) => Inbound::Malformed(DecodeError::InvalidFrame {
                frame_type: name.to_owned(),
                reason,
                raw: text.to_owned(),
            }),
        };
        match self.ready {
            true => out.push(inbound),
            false => self.early.push(inbound),
        }
        if is_ready_event && !self.ready {
            self.greeted = true;
            if self.acknowledged {
                self.become_ready(out);
            }
        }
    }

    /// The acknowledgement the server asked for with ack id `id`: receipt, nothing more.
    fn receipt(&self, id: u64) -> Inbound {
        let ack = packet::encode(
            PacketType::Ack,
            self.preset.namespace(),
            Some(id),
            Some(&json!([])),
        );
        Inbound::Write(ack.into())
    }

    /// The session is ready: say so, then deliver what arrived before.
    fn become_ready(&mut self, inbound: &mut Vec<Inbound>) {
        self.ready = true;
        inbound.push(Inbound::Ready(Session {
            session_id: self.session_id.clone(),
            ..Session::new(self.user_id.take())
        }));
        inbound.append(&mut self.early);
    }

    fn ack(
        &mut self,
        id: Option<u64>,
        data: serde_json::Result<Value>,
        text: &str,
        out: &mut Vec<Inbound>,
    ) {
        let (Some(id), Ok(Value::Array(args))) = (id, data) else {
            return out.push(wrong_shape("an ack needs an id and a JSON array", text));
        };
        let Some(command) = self.pending.remove(&id) else {
            tracing::debug!(id, "ack for no request of ours");
            return;
        };
        out.push(Inbound::Answer {
            to: AnswerTo::Request(RequestId(id)),
            outcome: self.preset.answer(&mut self.state, &command, args),
        });
    }
}

fn binary_unsupported(text: &str) -> Inbound {
    Inbound::Malformed(DecodeError::Unsupported {
        what: "Socket.IO binary attachments",
        raw: text.to_owned(),
    })
}

fn wrong_shape(reason: &str, text: &str) -> Inbound {
    Inbound::Malformed(DecodeError::WrongShape {
        reason: reason.to_owned(),
        raw: text.to_owned(),
    })
}

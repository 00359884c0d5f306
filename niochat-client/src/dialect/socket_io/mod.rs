//! Socket.IO 5 over Engine.IO 4 on a plain WebSocket, shared by every Socket.IO backend.
//!
//! What is the same for every Socket.IO server lives here: the URL
//! (`/socket.io/?EIO=4&transport=websocket`), the open packet and its keep-alive timing, the
//! server's pings (`2`, answered with `3`; the client never pings), the namespace CONNECT
//! with the token in its auth payload, `44` as refused authentication, acks matched by id in
//! both directions, and events that arrive before the CONNECT ack — kept and delivered after
//! it, since python-socketio emits from its connect handler before acknowledging.
//!
//! What differs per backend — the namespace, which events the commands become, what each
//! server event means — is a [`Preset`]; [`PyTake`](super::pytake::PyTake) is one.

mod args;
mod packet;

pub use args::EventArgs;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Value, json};
use web_time::Duration;

use super::{
    Answer, AnswerTo, Capabilities, ChatEvent, Command, CommandKind, ConnectRequest, DecodeError,
    Dialect, Inbound, Protocol, Rejection, RequestId, UnknownFrame, Unsupported,
};
use crate::auth::{AuthToken, SecretUrl};
use crate::engine::MAX_DURATION;
use crate::model::{Id, Session};
use packet::{EngineFrame, PacketType};

/// The shortest ping interval believed from an open packet.
const MIN_PING_INTERVAL_MS: u64 = 1000;
/// The shortest ping timeout believed from an open packet.
const MIN_PING_TIMEOUT_MS: u64 = 100;

/// What one Socket.IO backend does on top of the shared protocol.
pub trait Preset: Send + Sync + fmt::Debug + 'static {
    /// What the preset remembers for one connection (PyTake: which joins the server
    /// confirmed, its last error), to read acks that say nothing by themselves.
    type State: Default + Send + 'static;

    /// The backend's name.
    fn name(&self) -> &'static str;

    /// The namespace to connect to (`/` by default).
    fn namespace(&self) -> &'static str {
        "/"
    }

    /// What the backend offers. Answers are [`AnswerMode::ByAckId`](super::AnswerMode::ByAckId)
    /// and keep-alive is [`KeepAliveMode::ServerPing`](super::KeepAliveMode::ServerPing) for
    /// every Socket.IO backend.
    fn capabilities(&self) -> &Capabilities;

    /// The CONNECT packet's auth payload (`{"token": ...}` by default).
    fn auth(&self, token: Option<&AuthToken>) -> Option<Value> {
        token.map(|token| json!({ "token": token.expose() }))
    }

    /// The event name and arguments `command` becomes.
    fn encode(&self, command: &Command) -> Result<(&'static str, Vec<Value>), Unsupported>;

    /// What a server event means: `Ok(None)` for an event this preset does not know.
    fn decode(
        &self,
        state: &mut Self::State,
        event: &str,
        args: EventArgs<'_>,
    ) -> Result<Option<ChatEvent>, String>;

    /// The user id a pre-ack event announces (PyTake's `connected`), if this is one.
    fn user_id(&self, _event: &str, _args: EventArgs<'_>) -> Option<Id> {
        None
    }

    /// The event that says the session is ready, for a server that acknowledges the namespace
    /// CONNECT before it checks the credentials (ConectCRM: `40` then `41` when refused, `40`
    /// then `connected` when accepted). `None`: the CONNECT ack itself is the session.
    fn ready_event(&self) -> Option<&'static str> {
        None
    }

    /// Whether the server acknowledges `command` (ConectCRM's typing indicator has no ack).
    fn expects_answer(&self, _command: &Command) -> bool {
        true
    }

    /// What an ack's arguments say about the request `command` it answers.
    fn answer(
        &self,
        _state: &mut Self::State,
        command: &Command,
        args: Vec<Value>,
    ) -> Result<Answer, Rejection> {
        default_answer(command.kind(), args)
    }
}

/// The usual reading of an ack: `{"success": false, "message"}` is a rejection; a ping's ack
/// is a pong; anything else is a confirmation carrying its first argument.
pub fn default_answer(command: CommandKind, args: Vec<Value>) -> Result<Answer, Rejection> {
    let first = args.into_iter().next().unwrap_or(Value::Null);
    if first.get("success") == Some(&Value::Bool(false)) {
        let message = ["message", "error"]
            .iter()
            .find_map(|field| first.get(field).and_then(Value::as_str))
            .unwrap_or("refused")
            .to_owned();
        return Err(Rejection {
            code: None,
            message,
        });
    }
    Ok(match command {
        CommandKind::Ping => Answer::Pong,
        _ => Answer::Done(first),
    })
}

/// A Socket.IO backend as a [`Protocol`].
#[derive(Debug)]
pub struct SocketIo<P>(Arc<P>);

impl<P: Preset> SocketIo<P> {
    /// The protocol for `preset`.
    pub fn new(preset: P) -> Self {
        Self(Arc::new(preset))
    }
}

impl<P: Preset> Protocol for SocketIo<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn capabilities(&self) -> &Capabilities {
        self.0.capabilities()
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        Box::new(SocketIoDialect {
            preset: self.0.clone(),
            token,
            acknowledged: false,
            greeted: false,
            ready: false,
            session_id: None,
            early: Vec::new(),
            user_id: None,
            pending: HashMap::new(),
            attachments: 0,
            state: P::State::default(),
        })
    }
}

/// One Socket.IO connection.
struct SocketIoDialect<P: Preset> {
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
    /// The user a pre-ack event announced.
    user_id: Option<Id>,
    /// What each ack id we sent asked for.
    pending: HashMap<u64, Command>,
    /// Binary attachments still to come for an unsupported binary packet.
    attachments: usize,
    /// The preset's memory of this connection.
    state: P::State,
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
            PacketType::Event => match serde_json::from_str::<Vec<&RawValue>>(packet.data) {
                Ok(array) => self.event(&array, packet.ack_id, text, inbound),
                Err(_) => inbound.push(wrong_shape("an event must be a JSON array", text)),
            },
            PacketType::Ack => self.ack(packet.ack_id, data(), text, inbound),
            PacketType::BinaryEvent | PacketType::BinaryAck => {
                let count = text.split('-').next().unwrap_or("").get(2..).unwrap_or("");
                self.attachments = count.parse().unwrap_or(0);
                inbound.push(Inbound::Malformed(DecodeError::Unsupported {
                    what: "Socket.IO binary attachments",
                    raw: text.to_owned(),
                }));
            }
        }
    }

    fn event(
        &mut self,
        array: &[&RawValue],
        ack_id: Option<u64>,
        text: &str,
        out: &mut Vec<Inbound>,
    ) {
        if let Some(id) = ack_id {
            // The server asked for an acknowledgement: confirm receipt.
            let ack = packet::encode(
                PacketType::Ack,
                self.preset.namespace(),
                Some(id),
                Some(&json!([])),
            );
            out.push(Inbound::Write(ack.into()));
        }
        let Some((name, args)) = array.split_first().and_then(|(name, args)| {
            let name: String = serde_json::from_str(name.get()).ok()?;
            Some((name, EventArgs::new(args)))
        }) else {
            return out.push(wrong_shape("an event must start with its name", text));
        };
        let is_ready_event = self.preset.ready_event() == Some(name.as_str());
        if !self.ready
            && let Some(user_id) = self.preset.user_id(&name, args)
        {
            self.user_id = Some(user_id);
        }
        let inbound = match self.preset.decode(&mut self.state, &name, args) {
            Ok(Some(event)) => Inbound::Event(event),
            Ok(None) => {
                let mut raw = vec![Value::String(name.clone())];
                raw.extend(args.to_values());
                Inbound::Unknown(UnknownFrame {
                    kind: Some(name),
                    raw: Value::Array(raw),
                })
            }
            Err(reason) => Inbound::Malformed(DecodeError::InvalidFrame {
                frame_type: name,
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

fn wrong_shape(reason: &str, text: &str) -> Inbound {
    Inbound::Malformed(DecodeError::WrongShape {
        reason: reason.to_owned(),
        raw: text.to_owned(),
    })
}

/// `endpoint` with Engine.IO's path (when it has none) and query: `ws://host:8000` becomes
/// `ws://host:8000/socket.io/?EIO=4&transport=websocket`. A path or query already there is
/// kept.
pub fn engine_io_url(endpoint: &str) -> String {
    let (base, fragment) = endpoint.split_once('#').unwrap_or((endpoint, ""));
    let (address, query) = base.split_once('?').unwrap_or((base, ""));
    let host_start = address.find("://").map_or(0, |at| at + 3);
    let path = address[host_start..]
        .find('/')
        .map_or("", |at| &address[host_start + at..]);
    let mut url = match path {
        "" | "/" => format!("{}/socket.io/", address.trim_end_matches('/')),
        _ => address.to_owned(),
    };
    let mut parameters: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    for (name, default) in [("EIO=", "EIO=4"), ("transport=", "transport=websocket")] {
        if !parameters
            .iter()
            .any(|parameter| parameter.starts_with(name))
        {
            parameters.push(default);
        }
    }
    url.push('?');
    url.push_str(&parameters.join("&"));
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

#[cfg(test)]
mod tests;

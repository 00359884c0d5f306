//! Protocol 001 ("Sprint 09" / RENUM, FastAPI), the primary protocol.
//!
//! `ws://host/ws?token=<JWT>`; JSON frames `{"type": ...}` both ways. The session is ready on
//! the server's `connected` frame. The real server answers **every** client frame, in order,
//! with exactly one frame (its reply or an `error`), so answers are matched in order
//! ([`AnswerMode::InOrder`]): an `error` of any code settles the oldest open request and can
//! never be attributed to the next one. Rooms are joined by frame and forgotten on
//! disconnect; `sync` fetches missed messages; the client pings.

mod codec;
mod frames;
mod json_bytes;
mod message_text;
mod plain_frames;

pub use codec::JsonCodec;
pub use frames::*;

use serde_json::Value;

use super::{
    Answer, AnswerMode, AnswerTo, Capabilities, ChatEvent, Command, CommandKind, ConnectRequest,
    DecodeError, Dialect, Inbound, KeepAliveMode, Protocol, Rejection, RequestId, RoomMode,
    UnknownFrame, Unsupported,
};
use crate::auth::{AuthToken, SecretUrl};
use crate::model::Session;

/// The server frames that answer a client frame.
const ANSWER_TYPES: &[&str] = &[
    "message_sent",
    "sync_data",
    "pong",
    "error",
    "typing_sent",
    "read_sent",
    "presence_updated",
    "joined",
    "left",
];

const COMMANDS: &[CommandKind] = &[
    CommandKind::Message,
    CommandKind::Typing,
    CommandKind::Read,
    CommandKind::Sync,
    CommandKind::Ping,
    CommandKind::Presence,
    CommandKind::Join,
    CommandKind::Leave,
];

/// One socket per user on the real server: another socket of the same user closing (an old
/// half-open one noticed late, a second tab) drops this one's rooms silently.
const CAPABILITIES: Capabilities = Capabilities::new(
    RoomMode::Frames,
    true,
    AnswerMode::InOrder,
    KeepAliveMode::ClientPing,
    COMMANDS,
)
.with_rooms_dropped_silently();

/// Protocol 001 as a [`Protocol`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Renum;

impl Protocol for Renum {
    fn name(&self) -> &'static str {
        "renum"
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        Box::new(RenumDialect { token })
    }

    /// The longest frame around its texts is `sync` (57 bytes); a test holds every command
    /// under this bound.
    fn frame_overhead(&self) -> Option<usize> {
        Some(FRAME_OVERHEAD)
    }
}

/// See [`Renum::frame_overhead`].
const FRAME_OVERHEAD: usize = 128;

/// One protocol-001 connection.
#[derive(Debug)]
pub struct RenumDialect {
    token: Option<AuthToken>,
}

impl Dialect for RenumDialect {
    fn connect_request(&self, endpoint: &str) -> ConnectRequest {
        ConnectRequest::new(match &self.token {
            Some(token) => SecretUrl::with_query_token(endpoint, "token", token),
            None => SecretUrl::new(endpoint),
        })
    }

    fn on_text(&mut self, text: &str, inbound: &mut Vec<Inbound>) {
        match JsonCodec.decode_server(text) {
            Ok(frame) => inbound.push(classify(frame)),
            Err(error) => {
                // A damaged answer still settles the oldest request: say so, or every later
                // answer would be matched to the wrong one.
                let answer = matches!(&error, DecodeError::InvalidFrame { frame_type, .. }
                    if ANSWER_TYPES.contains(&frame_type.as_str()));
                inbound.push(Inbound::Malformed(error));
                if answer {
                    inbound.push(Inbound::UnreadableAnswer {
                        to: AnswerTo::Oldest,
                    });
                }
            }
        }
    }

    fn encode(&mut self, _request: RequestId, command: &Command) -> Result<String, Unsupported> {
        if let Command::Message {
            conversation_id,
            content,
        } = command
        {
            // The one command sent at volume: written by hand from the borrowed command,
            // where the others are cloned into their `ClientFrame` first (see
            // `message_text`). A test keeps the two writings equal.
            if let Ok(text) = message_text::message_text(conversation_id, content) {
                return Ok(text);
            }
        }
        let frame = match command.clone() {
            Command::Message {
                conversation_id,
                content,
            } => ClientFrame::Message(SendMessage {
                conversation_id,
                content,
            }),
            Command::Typing {
                conversation_id,
                is_typing,
            } => ClientFrame::Typing(SetTyping {
                conversation_id,
                is_typing,
            }),
            Command::Read {
                conversation_id,
                message_id,
            } => ClientFrame::Read(MarkRead {
                conversation_id,
                message_id,
            }),
            Command::Sync {
                conversation_id,
                after,
            } => ClientFrame::Sync(SyncRequest {
                conversation_id,
                last_message_id: after,
            }),
            Command::Ping => ClientFrame::Ping(Ping {}),
            Command::Presence(status) => ClientFrame::Presence(SetPresence { status }),
            Command::Join(conversation_id) => ClientFrame::Join(Join { conversation_id }),
            Command::Leave(conversation_id) => ClientFrame::Leave(Leave { conversation_id }),
            Command::Backend(_) => {
                return Err(Unsupported {
                    command: CommandKind::Backend,
                    backend: "renum",
                });
            }
        };
        Ok(JsonCodec.encode_client(&frame))
    }
}

/// What one server frame means.
fn classify(frame: ServerFrame) -> Inbound {
    let answer = |answer: Answer| Inbound::Answer {
        to: AnswerTo::Oldest,
        outcome: Ok(answer),
    };
    // The real server's confirmations carry nothing the client needs.
    let done = |_: Reply| answer(Answer::Done(Value::Null));
    match frame {
        ServerFrame::Connected(connected) => Inbound::Ready(Session {
            server_time: connected.timestamp,
            ..Session::new(Some(connected.user_id))
        }),
        ServerFrame::Message(NewMessage { message }) => Inbound::Event(ChatEvent::Message(message)),
        ServerFrame::Typing(typing) => Inbound::Event(ChatEvent::Typing(typing)),
        ServerFrame::Read(receipt) => Inbound::Event(ChatEvent::Read(receipt)),
        ServerFrame::Presence(presence) => Inbound::Event(ChatEvent::Presence(presence)),
        ServerFrame::MessageSent(sent) => answer(Answer::Stored {
            message_id: sent.message_id,
            timestamp: sent.timestamp,
        }),
        ServerFrame::SyncData(data) => answer(Answer::History {
            conversation_id: data.conversation_id,
            messages: data.messages,
        }),
        ServerFrame::Pong(_) => answer(Answer::Pong),
        ServerFrame::Error(error) => Inbound::Answer {
            to: AnswerTo::Oldest,
            outcome: Err(Rejection {
                code: Some(error.code),
                message: error.error,
            }),
        },
        ServerFrame::TypingSent(reply)
        | ServerFrame::ReadSent(reply)
        | ServerFrame::PresenceUpdated(reply)
        | ServerFrame::Joined(reply)
        | ServerFrame::Left(reply) => done(reply),
        ServerFrame::Unknown(raw) => Inbound::Unknown(UnknownFrame {
            kind: raw.get("type").and_then(Value::as_str).map(str::to_owned),
            raw,
        }),
    }
}

#[cfg(test)]
mod dialect_tests;
#[cfg(test)]
mod tests;

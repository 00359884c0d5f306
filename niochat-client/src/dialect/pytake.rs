//! PyTake (backend 002): FastAPI + python-socketio 5, namespace `/`.
//!
//! The token goes in the CONNECT packet (`40{"token": ...}`); a refused one is
//! `44{"message": "Connection rejected by server"}`. The server emits `connected` from its
//! connect handler, so it arrives *before* the CONNECT ack; the Socket.IO dialect keeps it and
//! delivers it after. Commands: `join_conversation` / `leave_conversation`, `typing_start` /
//! `typing_stop`, and `ping` with **no** argument (the real handler crashes on one). Every
//! handler exists, so python-socketio acknowledges each event we send with an ack id — even a
//! refused join, which is told by the `error` event before the ack instead of the
//! `joined_conversation` confirmation: the join resolves with that error.
//!
//! PyTake has no chat-message, read-receipt, presence or history frames on its socket:
//! messages are posted to its REST API (`POST /api/v1/conversations/{id}/messages`) and come
//! back to every client in the room as `message:new`. Those commands are `Unsupported` here.
//!
//! Server events: `message:new` (with `content` as an object such as `{"text": ...}`),
//! `message:status`, `user_typing`, `user:status` map to the chat vocabulary;
//! `connected`, `joined_conversation`, `left_conversation` and `pong` are [`PyTakeEvent`]s;
//! `error{message}` is a server notice.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use std::collections::HashSet;

use super::socket_io::{EventArgs, Preset, SocketIo, default_answer};
use super::{
    Answer, AnswerMode, Capabilities, ChatEvent, Command, CommandKind, Dialect, KeepAliveMode,
    Protocol, Rejection, RoomMode, Unsupported,
};
use crate::auth::AuthToken;
use crate::model::extra::{deserialize_with_extra, with_fields};
use crate::model::{
    ChatMessage, Content, DeliveryStatus, Id, PresenceStatus, PresenceUpdate, Timestamp,
    TypingUpdate,
};

const COMMANDS: &[CommandKind] = &[
    CommandKind::Typing,
    CommandKind::Ping,
    CommandKind::Join,
    CommandKind::Leave,
];

const CAPABILITIES: Capabilities = Capabilities::new(
    RoomMode::Frames,
    false,
    AnswerMode::ByAckId,
    KeepAliveMode::ServerPing,
    COMMANDS,
);

/// PyTake as a [`Protocol`].
#[derive(Clone, Copy, Debug, Default)]
pub struct PyTake;

impl Protocol for PyTake {
    fn name(&self) -> &'static str {
        PyTakePreset.name()
    }

    fn capabilities(&self) -> &Capabilities {
        PyTakePreset.capabilities()
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        SocketIo::new(PyTakePreset).dialect(token)
    }
}

/// PyTake's events that have no place in the common chat vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PyTakeEvent {
    /// `connected{message, user_id}`: the server's greeting.
    Connected {
        /// The greeting's text.
        message: Option<String>,
        /// The authenticated user.
        user_id: Option<Id>,
    },
    /// `joined_conversation{conversation_id, message}`.
    JoinedConversation {
        /// The conversation.
        conversation_id: Id,
        /// The server's text.
        message: Option<String>,
    },
    /// `left_conversation{conversation_id}`.
    LeftConversation {
        /// The conversation.
        conversation_id: Id,
    },
    /// `pong{timestamp}`: the event PyTake emits for a `ping` (the ack already answered it).
    Pong {
        /// The server's time.
        timestamp: Option<Timestamp>,
    },
}

/// `message:new`: a message as PyTake's REST API stores it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PyTakeMessage {
    /// The message id (uuid).
    pub id: Id,
    /// The conversation.
    pub conversation_id: Id,
    /// `inbound` (from the contact) or `outbound` (from an agent or bot).
    #[serde(default)]
    pub direction: Option<String>,
    /// `agent`, `contact`, `bot`...
    #[serde(default)]
    pub sender_type: Option<String>,
    /// Who sent it, when PyTake says.
    #[serde(default)]
    pub sender_id: Option<Id>,
    /// `text`, `image`, `template`...
    #[serde(default)]
    pub message_type: Option<String>,
    /// The body: an object such as `{"text": "..."}`.
    pub content: Content,
    /// The WhatsApp delivery status (`sent`, `delivered`, `read`...).
    #[serde(default)]
    pub status: Option<DeliveryStatus>,
    /// When PyTake stored it.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

// The receive path's hot spot on PyTake: read in one pass.
deserialize_with_extra!(
    PyTakeMessage,
    required: [id = "id", conversation_id = "conversation_id", content = "content"],
    optional: [
        direction = "direction",
        sender_type = "sender_type",
        sender_id = "sender_id",
        message_type = "message_type",
        status = "status",
        created_at = "created_at",
    ],
);

impl From<PyTakeMessage> for ChatMessage {
    fn from(message: PyTakeMessage) -> Self {
        let extra = with_fields(
            message.extra,
            [
                ("direction", message.direction.map(Value::String)),
                ("message_type", message.message_type.map(Value::String)),
                ("status", message.status.map(|status| json!(status))),
            ],
        );
        ChatMessage {
            id: message.id,
            conversation_id: message.conversation_id,
            user_id: message.sender_id,
            content: message.content,
            role: message.sender_type,
            created_at: message.created_at,
            extra,
        }
    }
}

#[derive(Deserialize)]
struct UserTyping {
    conversation_id: Id,
    user_id: Id,
    typing: bool,
}

#[derive(Deserialize)]
struct UserStatus {
    user_id: Id,
    status: PresenceStatus,
    #[serde(default)]
    timestamp: Option<Timestamp>,
}

#[derive(Deserialize)]
struct Greeting {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    user_id: Option<Id>,
}

#[derive(Deserialize)]
struct Room {
    conversation_id: Id,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct Notice {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct PongPayload {
    #[serde(default)]
    timestamp: Option<Timestamp>,
}

/// PyTake's event names and payloads on top of the shared Socket.IO dialect.
#[derive(Clone, Copy, Debug, Default)]
struct PyTakePreset;

/// What PyTake's acks leave out: its handlers return nothing, so a join is acknowledged
/// (`43N[]`) whether it worked or not. It worked if `joined_conversation` came first; if not,
/// the `error` event before the ack says why.
#[derive(Debug, Default)]
struct Confirmations {
    joined: HashSet<Id>,
    last_error: Option<String>,
}

impl Preset for PyTakePreset {
    type State = Confirmations;

    fn name(&self) -> &'static str {
        "pytake"
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn encode(&self, command: &Command) -> Result<(&'static str, Vec<Value>), Unsupported> {
        let room = |conversation_id: &Id| vec![json!({ "conversation_id": conversation_id })];
        Ok(match command {
            Command::Join(conversation_id) => ("join_conversation", room(conversation_id)),
            Command::Leave(conversation_id) => ("leave_conversation", room(conversation_id)),
            Command::Typing {
                conversation_id,
                is_typing: true,
            } => ("typing_start", room(conversation_id)),
            Command::Typing {
                conversation_id,
                is_typing: false,
            } => ("typing_stop", room(conversation_id)),
            // No argument: the real handler's signature is `ping(sid)`.
            Command::Ping => ("ping", Vec::new()),
            other => {
                return Err(Unsupported {
                    command: other.kind(),
                    backend: self.name(),
                });
            }
        })
    }

    fn answer(
        &self,
        state: &mut Confirmations,
        command: &Command,
        args: Vec<Value>,
    ) -> Result<Answer, Rejection> {
        match command {
            Command::Join(conversation) if !state.joined.remove(conversation) => {
                let message = state.last_error.take();
                Err(Rejection::new(
                    None,
                    message.unwrap_or_else(|| "the server did not confirm the join".into()),
                ))
            }
            _ => default_answer(command.kind(), args),
        }
    }

    fn decode(
        &self,
        state: &mut Confirmations,
        event: &str,
        args: EventArgs<'_>,
    ) -> Result<Option<ChatEvent>, String> {
        Ok(Some(match event {
            "message:new" => ChatEvent::Message(args.first::<PyTakeMessage>()?.into()),
            "message:status" => ChatEvent::MessageStatus(args.first()?),
            "user_typing" => {
                let typing: UserTyping = args.first()?;
                ChatEvent::Typing(TypingUpdate {
                    user_id: typing.user_id,
                    conversation_id: typing.conversation_id,
                    is_typing: typing.typing,
                })
            }
            "user:status" => {
                let status: UserStatus = args.first()?;
                ChatEvent::Presence(PresenceUpdate {
                    user_id: status.user_id,
                    status: status.status,
                    timestamp: status.timestamp,
                })
            }
            "error" => {
                let message = args.first::<Notice>()?.message.unwrap_or_default();
                state.last_error = Some(message.clone());
                ChatEvent::ServerNotice {
                    code: None,
                    message,
                }
            }
            "connected" => {
                let greeting: Greeting = args.first()?;
                pytake(PyTakeEvent::Connected {
                    message: greeting.message,
                    user_id: greeting.user_id,
                })
            }
            "joined_conversation" => {
                let room: Room = args.first()?;
                state.joined.insert(room.conversation_id.clone());
                pytake(PyTakeEvent::JoinedConversation {
                    conversation_id: room.conversation_id,
                    message: room.message,
                })
            }
            "left_conversation" => pytake(PyTakeEvent::LeftConversation {
                conversation_id: args.first::<Room>()?.conversation_id,
            }),
            "pong" => pytake(PyTakeEvent::Pong {
                timestamp: args.first::<PongPayload>()?.timestamp,
            }),
            _ => return Ok(None),
        }))
    }

    fn user_id(&self, event: &str, args: EventArgs<'_>) -> Option<Id> {
        match event {
            "connected" => args.first::<Greeting>().ok()?.user_id,
            _ => None,
        }
    }
}

fn pytake(event: PyTakeEvent) -> ChatEvent {
    ChatEvent::Backend(super::BackendEvent::PyTake(event))
}

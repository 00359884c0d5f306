//! What a dialect makes of the frames a server sends.

use serde_json::Value;
use web_time::Duration;

use super::RequestId;
use super::pytake::PyTakeEvent;
use crate::model::{
    ChatMessage, ErrorCode, Id, MessageDeletion, MessageStatusUpdate, PresenceUpdate, ReadReceipt,
    Session, Timestamp, TypingUpdate,
};

/// One thing a server frame means to the engine.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Inbound {
    /// The session is ready: only now is the client connected.
    Ready(Session),
    /// The server refused the credentials (a Socket.IO `44`, a close with an auth code...).
    AuthRefused {
        /// What the server said.
        reason: String,
    },
    /// An answer to a request.
    Answer {
        /// Which request it answers.
        to: AnswerTo,
        /// What it says.
        outcome: Result<Answer, Rejection>,
    },
    /// A frame that answers a request but could not be read: which request it settled is
    /// known, what it said is not. On an in-order backend the connection is out of step.
    UnreadableAnswer {
        /// Which request it answers.
        to: AnswerTo,
    },
    /// Something happened in a conversation.
    Event(ChatEvent),
    /// A frame the dialect sends itself (Engine.IO `2` → `3`, the Socket.IO CONNECT with its
    /// token); the engine writes it.
    Write(Frame),
    /// The server announced its keep-alive timing (Engine.IO's open packet).
    ServerPing {
        /// How often the server pings.
        interval: Duration,
        /// How long it waits for the answer.
        timeout: Duration,
    },
    /// The server ended the session at the protocol level (Engine.IO close, Socket.IO
    /// disconnect); the socket is as good as closed.
    Closing {
        /// Why, as far as the frame says.
        reason: String,
    },
    /// A frame that could not be read. The connection stays up.
    Malformed(DecodeError),
    /// A well-formed frame of a kind this version does not know, kept raw.
    Unknown(UnknownFrame),
}

/// A text frame to write. Its `Debug` shows only its length: frames can carry tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct Frame(pub String);

impl std::fmt::Debug for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Frame({} bytes)", self.0.len())
    }
}

impl From<String> for Frame {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl From<&str> for Frame {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

/// Which request an answer belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerTo {
    /// The oldest request still open ([`AnswerMode::InOrder`](super::AnswerMode::InOrder)).
    Oldest,
    /// The request with this id ([`AnswerMode::ByAckId`](super::AnswerMode::ByAckId)).
    Request(RequestId),
}

/// A server's positive answer.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Answer {
    /// A chat message was stored with this id.
    Stored {
        /// The server's id for it.
        message_id: Id,
        /// When it was stored.
        timestamp: Option<Timestamp>,
    },
    /// The messages a sync asked for.
    History {
        /// The conversation.
        conversation_id: Id,
        /// The messages, in the server's order.
        messages: Vec<ChatMessage>,
    },
    /// The answer to a ping.
    Pong,
    /// Any other confirmation, with what it carried (`null` when nothing).
    Done(Value),
}

/// A server's negative answer to a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", code.as_ref().map(|code| format!("{code}: ")).unwrap_or_default())]
#[non_exhaustive]
pub struct Rejection {
    /// The machine-readable code, when the backend has codes.
    pub code: Option<ErrorCode>,
    /// The server's description.
    pub message: String,
}

impl Rejection {
    /// A rejection with `code` (when the backend has codes) saying `message`.
    pub fn new(code: Option<ErrorCode>, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Something that happened in a conversation, in the common chat vocabulary.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ChatEvent {
    /// A chat message.
    Message(ChatMessage),
    /// A message changed (a reaction, an edit): the whole message as it is now.
    MessageUpdated(ChatMessage),
    /// A message was deleted.
    MessageDeleted(MessageDeletion),
    /// How far a message got.
    MessageStatus(MessageStatusUpdate),
    /// Someone started or stopped typing.
    Typing(TypingUpdate),
    /// Someone read messages.
    Read(ReadReceipt),
    /// Someone's presence changed.
    Presence(PresenceUpdate),
    /// The server reported an error that answers no request.
    ServerNotice {
        /// Its code, when it has one.
        code: Option<ErrorCode>,
        /// What it said.
        message: String,
    },
    /// An event only this backend has.
    Backend(BackendEvent),
}

/// Events only one backend has, typed in that backend's dialect module.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BackendEvent {
    /// PyTake's own events.
    PyTake(PyTakeEvent),
    /// PyTake Go's own events.
    PyTakeGo(super::pytake_go::PyTakeGoEvent),
    /// ConectCRM's own events: tickets, notifications, contact statuses.
    ConectCrm(super::conectcrm::ConectCrmEvent),
    /// NioChat's own events: relays, reactions, panels, dashboards.
    NioChat(super::niochat::NioChatEvent),
}

/// A frame of a kind this version does not know.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct UnknownFrame {
    /// Its type or event name, when it has one.
    pub kind: Option<String>,
    /// The frame's JSON as received (a Socket.IO event's `["name", ...args]`).
    pub raw: Value,
}

impl UnknownFrame {
    /// An unknown frame of `kind` (its type or event name, if any) with its raw JSON.
    pub fn new(kind: Option<String>, raw: Value) -> Self {
        Self { kind, raw }
    }
}

/// A frame that could not be read. It keeps the text, so nothing is lost.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The text is not JSON.
    #[error("frame is not JSON: {reason}")]
    NotJson {
        /// The parser's message.
        reason: String,
        /// The frame as received.
        raw: String,
    },
    /// The text is JSON but not of the expected shape (an object, an event array).
    #[error("frame has the wrong shape: {reason}")]
    WrongShape {
        /// What was expected.
        reason: String,
        /// The frame as received.
        raw: String,
    },
    /// The frame's type is known but its fields do not fit it.
    #[error("invalid `{frame_type}` frame: {reason}")]
    InvalidFrame {
        /// The frame's type or event name.
        frame_type: String,
        /// What did not fit.
        reason: String,
        /// The frame as received.
        raw: String,
    },
    /// A packet of the transport layer (Engine.IO, Socket.IO) that cannot be read.
    #[error("invalid packet: {reason}")]
    InvalidPacket {
        /// What is wrong with it.
        reason: String,
        /// The frame as received.
        raw: String,
    },
    /// Something the protocol allows but niochat does not handle (Socket.IO binary attachments).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What it is.
        what: &'static str,
        /// The frame as received.
        raw: String,
    },
    /// A binary frame, which this backend does not use.
    #[error("unexpected binary frame of {len} bytes")]
    Binary {
        /// Its length.
        len: usize,
    },
}

impl DecodeError {
    /// The frame's text as received (empty for binary frames).
    pub fn raw(&self) -> &str {
        match self {
            DecodeError::NotJson { raw, .. }
            | DecodeError::WrongShape { raw, .. }
            | DecodeError::InvalidFrame { raw, .. }
            | DecodeError::InvalidPacket { raw, .. }
            | DecodeError::Unsupported { raw, .. } => raw,
            DecodeError::Binary { .. } => "",
        }
    }
}

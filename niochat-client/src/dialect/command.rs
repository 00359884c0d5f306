//! What the engine asks a dialect to write.

use std::fmt;

use crate::model::{Id, PresenceStatus};

/// Names one request on the wire. Unique and increasing for the life of an engine, so a
/// dialect that matches answers by ack id can use it as the id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub(crate) u64);

impl RequestId {
    /// An id, for driving a dialect outside the engine (the engine hands out its own).
    pub fn new(id: u64) -> Self {
        Self(id)
    }

    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// One thing to tell the server, in chat terms.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// Send a chat message.
    Message {
        /// The conversation.
        conversation_id: Id,
        /// The text.
        content: String,
    },
    /// Start or stop the typing indicator.
    Typing {
        /// The conversation.
        conversation_id: Id,
        /// Started or stopped.
        is_typing: bool,
    },
    /// Mark messages read up to one.
    Read {
        /// The conversation.
        conversation_id: Id,
        /// The newest message read.
        message_id: Id,
    },
    /// Ask for the messages after one (all recent ones without it).
    Sync {
        /// The conversation.
        conversation_id: Id,
        /// The newest message the client has.
        after: Option<Id>,
    },
    /// An application-level ping.
    Ping,
    /// Announce the user's presence.
    Presence(PresenceStatus),
    /// Enter a conversation.
    Join(Id),
    /// Leave a conversation.
    Leave(Id),
    /// A command only one backend has, typed in its module.
    Backend(BackendCommand),
}

/// Commands only one backend has.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum BackendCommand {
    /// ConectCRM's own requests.
    ConectCrm(super::conectcrm::ConectCrmCommand),
}

impl Command {
    /// At most how many bytes its own texts (ids, content, status) take (a number id counts
    /// as its longest, 20), or `None` for a backend's own command, whose payload is
    /// free-form. With [`Protocol::frame_overhead`](super::Protocol::frame_overhead) this
    /// bounds the frame without writing it.
    pub fn text_bytes(&self) -> Option<usize> {
        /// A number id takes at most 20 characters (`-9223372036854775808`).
        fn id(id: &Id) -> usize {
            match id {
                Id::Text(text) => text.len(),
                Id::Number(_) => 20,
            }
        }
        Some(match self {
            Command::Message {
                conversation_id,
                content,
            } => id(conversation_id) + content.len(),
            Command::Typing {
                conversation_id,
                is_typing: _,
            } => id(conversation_id),
            Command::Read {
                conversation_id,
                message_id,
            } => id(conversation_id) + id(message_id),
            Command::Sync {
                conversation_id,
                after,
            } => id(conversation_id) + after.as_ref().map_or(0, id),
            Command::Ping => 0,
            Command::Presence(status) => status.as_str().len(),
            Command::Join(conversation) | Command::Leave(conversation) => id(conversation),
            Command::Backend(_) => return None,
        })
    }

    /// Which kind of command this is.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::Message { .. } => CommandKind::Message,
            Command::Typing { .. } => CommandKind::Typing,
            Command::Read { .. } => CommandKind::Read,
            Command::Sync { .. } => CommandKind::Sync,
            Command::Ping => CommandKind::Ping,
            Command::Presence(_) => CommandKind::Presence,
            Command::Join(_) => CommandKind::Join,
            Command::Leave(_) => CommandKind::Leave,
            Command::Backend(_) => CommandKind::Backend,
        }
    }
}

/// The kinds of [`Command`], for capabilities and errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CommandKind {
    /// `send_message` / `queue_message`.
    Message,
    /// `set_typing`.
    Typing,
    /// `mark_read`.
    Read,
    /// `sync`.
    Sync,
    /// `ping`.
    Ping,
    /// `set_presence`.
    Presence,
    /// `join`.
    Join,
    /// `leave`.
    Leave,
    /// A backend's own command (`Client::request` with `Command::Backend`).
    Backend,
}

impl CommandKind {
    /// The command's name in the client API.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::Message => "send_message",
            CommandKind::Typing => "set_typing",
            CommandKind::Read => "mark_read",
            CommandKind::Sync => "sync",
            CommandKind::Ping => "ping",
            CommandKind::Presence => "set_presence",
            CommandKind::Join => "join",
            CommandKind::Leave => "leave",
            CommandKind::Backend => "backend command",
        }
    }
}

impl fmt::Display for CommandKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A backend does not have this command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the {backend} backend has no {command}")]
pub struct Unsupported {
    /// The command.
    pub command: CommandKind,
    /// The backend's name.
    pub backend: &'static str,
}

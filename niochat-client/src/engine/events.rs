//! What the engine tells the application: events, and the life of each outgoing message.

use std::fmt;

use serde_json::Value;

use super::status::Status;
use crate::protocol::{
    ChatMessage, Connected, DecodeError, ErrorCode, Id, PresenceUpdate, ReadReceipt, ServerError,
    ServerFrame, Timestamp, TypingUpdate,
};

/// The client-side id of an outgoing chat message, known before the server's id exists.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientMessageId(pub(crate) u64);

impl ClientMessageId {
    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for ClientMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "local-{}", self.0)
    }
}

impl fmt::Display for ClientMessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "local-{}", self.0)
    }
}

/// The server's acknowledgement of a chat message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageAck {
    /// The conversation.
    pub conversation_id: Id,
    /// The id the server gave the message.
    pub message_id: Id,
    /// When the server stored it.
    pub timestamp: Option<Timestamp>,
}

/// Where an outgoing chat message is: `Queued` → `Sent` → `Acknowledged`, or `Failed`.
/// `Sent` goes back to `Queued` when its connection dies before the acknowledgement.
#[derive(Clone, Debug, PartialEq)]
pub enum MessageState {
    /// Waiting for a connection.
    Queued,
    /// Written to the socket, waiting for `message_sent`.
    Sent,
    /// Stored by the server.
    Acknowledged(MessageAck),
    /// Not delivered; the error says why.
    Failed(SendError),
}

impl MessageState {
    /// The final result, once there is one: the acknowledgement, or why the message failed.
    /// `None` while the message is still queued or in flight.
    pub fn outcome(&self) -> Option<Result<MessageAck, SendError>> {
        match self {
            MessageState::Queued | MessageState::Sent => None,
            MessageState::Acknowledged(ack) => Some(Ok(ack.clone())),
            MessageState::Failed(error) => Some(Err(error.clone())),
        }
    }
}

/// Why a command could not be carried out, or a message was not delivered.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The offline queue holds `capacity` messages already; nothing was queued.
    #[error("the outgoing queue is full ({capacity} messages)")]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The frame would be larger than the size limit; nothing was queued.
    #[error("the frame is {size} bytes, over the {max}-byte limit")]
    TooLarge {
        /// The encoded frame's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// This command is only sent on a live connection (typing indicators, pings, syncs).
    #[error("not connected")]
    NotConnected,
    /// The message was written but not acknowledged in time. It may or may not have been
    /// stored, and it is not sent again.
    #[error("no acknowledgement within {timeout_ms} ms")]
    AckTimeout {
        /// The timeout.
        timeout_ms: u64,
    },
    /// The server answered with an error.
    #[error("the server rejected the message: {code}: {error}")]
    Rejected {
        /// The server's code.
        code: ErrorCode,
        /// The server's description.
        error: String,
    },
    /// The client was shut down before the message was acknowledged.
    #[error("the client was shut down")]
    Shutdown,
}

/// Whether a chat message arrived live or through a sync after a reconnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Pushed by the server as it was sent.
    Live,
    /// Recovered by `sync` after a reconnect.
    Sync,
}

/// Something the application should know.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// The connection status changed.
    Status(Status),
    /// The server accepted the connection (`connected`).
    Session(Connected),
    /// A chat message, delivered once: duplicates from syncs and resends are dropped.
    Message {
        /// The message.
        message: ChatMessage,
        /// How it arrived.
        origin: Origin,
    },
    /// A message delivered before arrived again with other content (an edit or a deletion).
    MessageUpdated(ChatMessage),
    /// An outgoing chat message changed state.
    Outgoing {
        /// Its client-side id.
        id: ClientMessageId,
        /// Its conversation.
        conversation_id: Id,
        /// The new state.
        state: MessageState,
    },
    /// Someone started or stopped typing.
    Typing(TypingUpdate),
    /// Someone read messages.
    Read(ReadReceipt),
    /// Someone's presence changed.
    Presence(PresenceUpdate),
    /// The server reported an error.
    ServerError(ServerError),
    /// A confirmation the engine does not act on (`joined`, `left`, `typing_sent`, ...).
    Reply(ServerFrame),
    /// A frame with an unknown or missing `type`, as raw JSON.
    Unknown(Value),
    /// A frame that could not be read. The connection stays up.
    Malformed(DecodeError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_acknowledged_and_failed_are_final() {
        assert_eq!(MessageState::Queued.outcome(), None);
        assert_eq!(MessageState::Sent.outcome(), None);
        let ack = MessageAck {
            conversation_id: "c".into(),
            message_id: "m".into(),
            timestamp: None,
        };
        assert_eq!(
            MessageState::Acknowledged(ack.clone()).outcome(),
            Some(Ok(ack))
        );
        let failed = MessageState::Failed(SendError::Shutdown);
        assert_eq!(failed.outcome(), Some(Err(SendError::Shutdown)));
    }
}

//! What the engine tells the application: events in the chat vocabulary, the life of each
//! outgoing message, and what a command's answer was.

use std::fmt;

use web_time::Duration;

use super::errors::{DeliveryError, StopReason};
use super::status::Status;
use super::store::StoreError;
use crate::dialect::{BackendEvent, DecodeError, UnknownFrame};
use crate::model::{
    ChatMessage, ErrorCode, Id, MessageDeletion, MessageStatusUpdate, PresenceUpdate, ReadReceipt,
    Session, Timestamp, TypingUpdate,
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
#[non_exhaustive]
pub struct MessageAck {
    /// The conversation.
    pub conversation_id: Id,
    /// The id the server gave the message.
    pub message_id: Id,
    /// When the server stored it.
    pub timestamp: Option<Timestamp>,
}

impl MessageAck {
    /// An acknowledgement (for custom dialects and tests).
    pub fn new(
        conversation_id: impl Into<Id>,
        message_id: impl Into<Id>,
        timestamp: Option<Timestamp>,
    ) -> Self {
        Self {
            conversation_id: conversation_id.into(),
            message_id: message_id.into(),
            timestamp,
        }
    }
}

/// Where an outgoing chat message is: `Queued` → `Sent` → `Acknowledged`, or `Failed`.
/// `Sent` goes back to `Queued` when its connection dies before the acknowledgement; `Held`
/// says the client stopped trying while it was queued.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MessageState {
    /// Waiting for a connection.
    Queued,
    /// Written to the socket, waiting for the server's acknowledgement.
    Sent,
    /// Stored by the server.
    Acknowledged(MessageAck),
    /// Not delivered; the error says why. Final.
    Failed(DeliveryError),
    /// Still queued, but the client stopped trying (gave up, unauthorized, disconnected): it
    /// goes out after the next `connect()`.
    Held(StopReason),
}

impl MessageState {
    /// The outcome a `send_message` call resolves with, once there is one: the
    /// acknowledgement, or why the message is not delivered (failed, or held by a stopped
    /// client). `None` while the message is queued or in flight.
    pub fn outcome(&self, id: ClientMessageId) -> Option<Result<MessageAck, DeliveryError>> {
        match self {
            MessageState::Queued | MessageState::Sent => None,
            state => state.clone().into_outcome(id),
        }
    }

    /// [`outcome`](Self::outcome), taking the state rather than copying from it.
    pub fn into_outcome(self, id: ClientMessageId) -> Option<Result<MessageAck, DeliveryError>> {
        match self {
            MessageState::Queued | MessageState::Sent => None,
            MessageState::Acknowledged(ack) => Some(Ok(ack)),
            MessageState::Failed(error) => Some(Err(error)),
            MessageState::Held(reason) => Some(Err(DeliveryError::NotDelivered {
                message: Some(id),
                reason,
                still_queued: true,
            })),
        }
    }
}

/// Whether a chat message arrived live or through a sync after a reconnect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// Pushed by the server as it was sent.
    Live,
    /// Recovered by a sync after a reconnect.
    Sync,
}

/// Why some of a conversation's history could not be recovered.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GapReason {
    /// The sync answer was larger than the incoming frame limit: the client continued live
    /// instead of asking for it again and again.
    SyncTooLarge {
        /// The limit.
        max: usize,
    },
    /// The sync went unanswered for the ack timeout several times in a row (each time the
    /// connection was replaced): the client continued live instead of asking again.
    SyncTimedOut {
        /// How long each try waited.
        timeout: Duration,
    },
}

/// A positive answer to a command other than a chat message.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// The server confirmed it (or, on a backend that does not answer, it was written).
    Done,
    /// The server confirmed it with data (a Socket.IO ack's payload, such as ConectCRM's
    /// `{success, ticketId}`); the backend's module reads it into a typed answer.
    Confirmed(serde_json::Value),
    /// A ping's round trip.
    Pong {
        /// How long the answer took.
        rtt: Duration,
    },
    /// A sync's messages were delivered.
    Synced {
        /// How many messages the server sent.
        count: usize,
    },
}

/// Something the application should know.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The connection status changed.
    Status(Status),
    /// The session became ready; what the server said about it.
    Session(Session),
    /// A chat message, delivered once: duplicates from syncs and resends are dropped.
    Message {
        /// The message.
        message: ChatMessage,
        /// How it arrived.
        origin: Origin,
    },
    /// A message delivered before arrived again with other content (an edit).
    MessageUpdated(ChatMessage),
    /// A message was deleted.
    MessageDeleted(MessageDeletion),
    /// How far a message got, as the backend reports it.
    MessageStatus(MessageStatusUpdate),
    /// A second stored copy of one of our own messages: the server stored it twice because
    /// its first acknowledgement was lost in a cut and the client sent it again. It is not new
    /// mail; show it as the message `id` (or offer to delete the copy).
    OwnMessageCopy {
        /// The stored copy.
        message: ChatMessage,
        /// The outgoing message it copies.
        id: ClientMessageId,
    },
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
    /// Messages of a conversation after `after` may be missing and will not be recovered.
    HistoryGap {
        /// The conversation.
        conversation_id: Id,
        /// The last message seen before the gap.
        after: Option<Id>,
        /// Why.
        reason: GapReason,
    },
    /// The server reported an error that answers no request.
    ServerNotice {
        /// Its code, when it has one.
        code: Option<ErrorCode>,
        /// What it said.
        message: String,
    },
    /// An event only this backend has.
    Backend(BackendEvent),
    /// A frame of a kind this version does not know, kept raw.
    Unknown(UnknownFrame),
    /// A frame that could not be read. The connection stays up.
    Malformed(DecodeError),
    /// The outbox store could not save or forget a message. The message is still sent (and
    /// a forgotten one may be sent again after a restart); it is only not safe from a crash.
    StorageFailed(StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_acknowledged_failed_and_held_are_outcomes() {
        let id = ClientMessageId(7);
        assert_eq!(MessageState::Queued.outcome(id), None);
        assert_eq!(MessageState::Sent.outcome(id), None);
        let ack = MessageAck {
            conversation_id: "c".into(),
            message_id: "m".into(),
            timestamp: None,
        };
        assert_eq!(
            MessageState::Acknowledged(ack.clone()).outcome(id),
            Some(Ok(ack))
        );
        let held = MessageState::Held(StopReason::Unauthorized).outcome(id);
        assert_eq!(
            held,
            Some(Err(DeliveryError::NotDelivered {
                message: Some(id),
                reason: StopReason::Unauthorized,
                still_queued: true
            }))
        );
    }
}

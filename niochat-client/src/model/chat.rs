//! The things a chat shows: messages, who is typing, who read what, who is online, how far an
//! outgoing message got, and who the server says we are.
//!
//! Field names follow protocol 001, the primary protocol, so its frames carry these types as
//! they are; other dialects fill them from their own shapes and keep the rest in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::extra::deserialize_with_extra;
use super::scalars::{Content, DeliveryStatus, Id, PresenceStatus};
use super::timestamp::Timestamp;

/// A stored chat message.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ChatMessage {
    /// The server-assigned id.
    pub id: Id,
    /// The conversation.
    pub conversation_id: Id,
    /// The author, when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Id>,
    /// The body: text, or a structured object such as `{"text": "..."}`.
    pub content: Content,
    /// The author's role (`user`, `assistant`, `agent`, `customer`...), when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// When the server stored it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    /// Every other field, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A message was deleted. Backends say so in their own ways: NioChat's documented
/// `message_deleted` event, or its real server re-sending the message with
/// `additional_attributes.status = "deleted"` (then `message` holds it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageDeletion {
    /// The deleted message.
    pub message_id: Id,
    /// Its conversation, when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
    /// Who deleted it, when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<Id>,
    /// The message as last sent, when the deletion came as a re-send of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<ChatMessage>,
}

// Messages are the hot path of every backend: read in one pass (see `extra`).
deserialize_with_extra!(
    ChatMessage,
    required: [id = "id", conversation_id = "conversation_id", content = "content"],
    optional: [user_id = "user_id", role = "role", created_at = "created_at"],
);

/// Someone started or stopped typing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TypingUpdate {
    /// Who.
    pub user_id: Id,
    /// Where.
    pub conversation_id: Id,
    /// Started (`true`) or stopped.
    pub is_typing: bool,
}

/// Someone read messages up to one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadReceipt {
    /// Who read.
    pub user_id: Id,
    /// Where.
    pub conversation_id: Id,
    /// The newest message read.
    pub message_id: Id,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<Timestamp>,
}

/// Someone's presence changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PresenceUpdate {
    /// Whose presence.
    pub user_id: Id,
    /// The new status.
    pub status: PresenceStatus,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// How far a message got (sent, delivered, read), as the backend reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageStatusUpdate {
    /// The message.
    pub message_id: Id,
    /// Its conversation, when the backend says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<Id>,
    /// The new status.
    pub status: DeliveryStatus,
    /// When.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
}

/// What the server told us about the session when it became ready.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Session {
    /// The authenticated user, when the backend says: messages from this user are our own.
    pub user_id: Option<Id>,
    /// The server's clock at that moment, when it says.
    pub server_time: Option<Timestamp>,
    /// The backend's session id (Socket.IO's `sid`), when it has one.
    pub session_id: Option<String>,
}

impl Session {
    /// A session for `user_id`.
    pub fn new(user_id: Option<Id>) -> Self {
        Self {
            user_id,
            ..Self::default()
        }
    }
}

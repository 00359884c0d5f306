//! The things a chat shows: messages, who is typing, who read what, who is online, how far an
//! outgoing message got, and who the server says we are.
//!
//! Field names follow protocol 001, the primary protocol, so its frames carry these types as
//! they are; other dialects fill them from their own shapes and keep the rest in `extra`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::scalars::{Content, DeliveryStatus, Id, PresenceStatus, Timestamp};

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

/// Read by hand rather than with `#[serde(flatten)]`, which buffers every field before reading
/// it: messages are the hot path of every backend.
impl<'de> Deserialize<'de> for ChatMessage {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MessageVisitor)
    }
}

enum Field {
    Id,
    ConversationId,
    UserId,
    Content,
    Role,
    CreatedAt,
    Other(String),
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;

        impl serde::de::Visitor<'_> for FieldVisitor {
            type Value = Field;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }

            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Field, E> {
                Ok(match name {
                    "id" => Field::Id,
                    "conversation_id" => Field::ConversationId,
                    "user_id" => Field::UserId,
                    "content" => Field::Content,
                    "role" => Field::Role,
                    "created_at" => Field::CreatedAt,
                    other => Field::Other(other.to_owned()),
                })
            }
        }

        deserializer.deserialize_identifier(FieldVisitor)
    }
}

struct MessageVisitor;

impl<'de> serde::de::Visitor<'de> for MessageVisitor {
    type Value = ChatMessage;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a chat message object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<ChatMessage, A::Error> {
        use serde::de::Error;
        let (mut id, mut conversation_id, mut content) = (None, None, None);
        let (mut user_id, mut role, mut created_at) = (None, None, None);
        let mut extra = Map::new();
        while let Some(field) = map.next_key::<Field>()? {
            match field {
                Field::Id => id = Some(map.next_value()?),
                Field::ConversationId => conversation_id = Some(map.next_value()?),
                Field::Content => content = Some(map.next_value()?),
                Field::UserId => user_id = map.next_value()?,
                Field::Role => role = map.next_value()?,
                Field::CreatedAt => created_at = map.next_value()?,
                Field::Other(name) => {
                    extra.insert(name, map.next_value()?);
                }
            }
        }
        Ok(ChatMessage {
            id: id.ok_or_else(|| A::Error::missing_field("id"))?,
            conversation_id: conversation_id
                .ok_or_else(|| A::Error::missing_field("conversation_id"))?,
            user_id,
            content: content.ok_or_else(|| A::Error::missing_field("content"))?,
            role,
            created_at,
            extra,
        })
    }
}

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

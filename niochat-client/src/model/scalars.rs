//! The small value types every backend's messages are made of, written to survive what real
//! servers send.
//!
//! The documents say "uuid", but the real servers send integer ids too (Django), and values
//! such as statuses that no document lists. Each type here accepts what servers send and
//! keeps it, so that a frame re-encodes exactly as it arrived. Timestamps, read with every
//! message, are in their own module.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An identifier of a message, conversation or user: a string (uuid) or an integer.
///
/// Both forms compare by their text, so `Id::from(7)` equals `Id::from("7")`: servers that send
/// an id as a number in one frame and as a string in another do not break de-duplication.
///
/// A text id is shared, not copied, when cloned: an id goes into the outbox, the
/// acknowledgement, the event and the rooms' memory, and each copy of a `String` was an
/// allocation per message. Keep a conversation's `Id` and pass clones of it to send
/// messages without allocating one each time.
#[derive(Clone, Eq)]
pub enum Id {
    /// A textual id, such as a uuid.
    Text(Arc<str>),
    /// A numeric id, as Django and other integer-keyed backends send them.
    Number(i64),
}

impl PartialEq for Id {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Id::Text(a), Id::Text(b)) => a == b,
            (Id::Number(a), Id::Number(b)) => a == b,
            _ => self.to_string() == other.to_string(),
        }
    }
}

impl std::hash::Hash for Id {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Id::Text(text) => text.hash(state),
            // Hashed as its text, as equality compares, written on the stack: numeric ids
            // (Django backends) are hashed for every message.
            Id::Number(number) => {
                use std::io::Write as _;
                // 20 bytes hold every i64 (`-9223372036854775808`).
                let mut digits = [0u8; 20];
                let mut cursor = std::io::Cursor::new(&mut digits[..]);
                let _ = write!(cursor, "{number}");
                let len = cursor.position() as usize;
                std::str::from_utf8(&digits[..len])
                    .unwrap_or_default()
                    .hash(state);
            }
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Text(text) => f.write_str(text),
            Id::Number(number) => write!(f, "{number}"),
        }
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Text(text) => write!(f, "{text:?}"),
            Id::Number(number) => write!(f, "{number}"),
        }
    }
}

impl From<&str> for Id {
    fn from(text: &str) -> Self {
        Id::Text(text.into())
    }
}

impl From<String> for Id {
    fn from(text: String) -> Self {
        Id::Text(text.into())
    }
}

impl From<Arc<str>> for Id {
    fn from(text: Arc<str>) -> Self {
        Id::Text(text)
    }
}

impl From<i64> for Id {
    fn from(number: i64) -> Self {
        Id::Number(number)
    }
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Id::Text(text) => serializer.serialize_str(text),
            Id::Number(number) => serializer.serialize_i64(*number),
        }
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A visitor rather than an untagged enum: no buffering, one pass.
        struct IdVisitor;

        impl serde::de::Visitor<'_> for IdVisitor {
            type Value = Id;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer id")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Id, E> {
                Ok(Id::Text(text.into()))
            }

            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<Id, E> {
                Ok(Id::Number(number))
            }

            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<Id, E> {
                i64::try_from(number)
                    .map(Id::Number)
                    .map_err(|_| E::custom("an integer id beyond i64"))
            }
        }

        deserializer.deserialize_any(IdVisitor)
    }
}

/// The body of a chat message: plain text (protocol 001) or a structured object such as
/// Socket.IO backends' `{"text": "..."}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Any other JSON value, kept as sent.
    Structured(serde_json::Value),
}

impl<'de> Deserialize<'de> for Content {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Read once as a JSON value (a string costs what a `String` would), rather than
        // buffering for an untagged enum.
        Ok(match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => Content::Text(text),
            other => Content::Structured(other),
        })
    }
}

impl Content {
    /// The text of the message: the string itself, or a structured body's `text` field.
    pub fn text(&self) -> Option<&str> {
        match self {
            Content::Text(text) => Some(text),
            Content::Structured(value) => value.get("text").and_then(|text| text.as_str()),
        }
    }
}

impl From<&str> for Content {
    fn from(text: &str) -> Self {
        Content::Text(text.to_owned())
    }
}

impl From<String> for Content {
    fn from(text: String) -> Self {
        Content::Text(text)
    }
}

/// Defines a string enum with known values and a catch-all that keeps unknown text, so that a
/// server adding a value never makes a frame undecodable. Dialects use it for their own values.
macro_rules! open_string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// The value as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(text) => text,
                }
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                match text {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
                Ok($name::from(text.as_ref()))
            }
        }
    };
}

open_string_enum! {
    /// A user's presence.
    PresenceStatus {
        /// Available.
        Online = "online",
        /// Idle.
        Away = "away",
        /// Gone.
        Offline = "offline",
    }
}

open_string_enum! {
    /// How far an outgoing message got, as a backend reports it (`message:status` on PyTake).
    DeliveryStatus {
        /// Waiting to be sent by the server.
        Pending = "pending",
        /// Sent by the server.
        Sent = "sent",
        /// Delivered to the recipient's device.
        Delivered = "delivered",
        /// Read by the recipient.
        Read = "read",
        /// The server could not deliver it.
        Failed = "failed",
    }
}

open_string_enum! {
    /// A machine-readable error code a server answered with: protocol 001's codes, and a
    /// catch-all for every other backend's.
    ErrorCode {
        /// A frame was missing fields or had wrong types.
        ValidationError = "VALIDATION_ERROR",
        /// The frame's `type` is not one the server handles.
        UnknownType = "UNKNOWN_TYPE",
        /// A chat message could not be stored or delivered.
        MessageError = "MESSAGE_ERROR",
        /// A read receipt failed.
        ReadError = "READ_ERROR",
        /// A sync request failed.
        SyncError = "SYNC_ERROR",
        /// A typing indicator failed.
        TypingError = "TYPING_ERROR",
        /// A presence update failed.
        PresenceError = "PRESENCE_ERROR",
        /// Joining a conversation failed.
        JoinError = "JOIN_ERROR",
        /// Leaving a conversation failed.
        LeaveError = "LEAVE_ERROR",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_id_hashes_as_its_text_so_equal_ids_hash_equal() {
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        for number in [0, 7, -1, 42_000, i64::MAX, i64::MIN] {
            assert_eq!(
                hasher.hash_one(Id::Number(number)),
                hasher.hash_one(Id::from(number.to_string()))
            );
        }
    }

    #[test]
    fn a_cloned_text_id_shares_its_text() {
        let id = Id::from("a-long-text-id");
        let (Id::Text(original), Id::Text(copy)) = (&id, &id.clone()) else {
            panic!("text ids");
        };
        assert!(Arc::ptr_eq(original, copy));
    }

    #[test]
    fn ids_accept_strings_and_integers_and_compare_by_text() {
        let text: Id = serde_json::from_str("\"42\"").unwrap();
        let number: Id = serde_json::from_str("42").unwrap();
        assert_eq!(text, number);
        assert_eq!(serde_json::to_string(&number).unwrap(), "42");
        assert_eq!(serde_json::to_string(&text).unwrap(), "\"42\"");
        assert!(serde_json::from_str::<Id>("4.5").is_err());
    }

    #[test]
    fn open_enums_keep_unknown_values() {
        let code: ErrorCode = serde_json::from_str("\"RATE_LIMITED\"").unwrap();
        assert_eq!(code, ErrorCode::Other("RATE_LIMITED".into()));
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"RATE_LIMITED\"");
        let status: PresenceStatus = serde_json::from_str("\"away\"").unwrap();
        assert_eq!(status, PresenceStatus::Away);
    }

    #[test]
    fn structured_content_exposes_its_text() {
        let content: Content = serde_json::from_str(r#"{"text":"oi"}"#).unwrap();
        assert_eq!(content.text(), Some("oi"));
        assert!(matches!(content, Content::Structured(_)));
    }
}

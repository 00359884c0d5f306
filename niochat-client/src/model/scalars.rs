//! The small value types every backend's messages are made of, written to survive what real
//! servers send.
//!
//! The documents say "uuid" and "ISO-8601", but the real servers send integer ids (Django),
//! naive timestamps without a zone (FastAPI), offsets (`-03:00`) and placeholders such as
//! `2025-12-07T...` in the examples. Each type here accepts all of them, keeps the original text
//! so that a frame re-encodes exactly as it arrived, and offers a parsed view where one exists.

use std::fmt;
use std::sync::Arc;

use arrayvec::ArrayString;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
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

/// A timestamp as the server wrote it, with a parsed view when the text is a real date.
///
/// Naive timestamps (`2025-12-07T10:00:00.123456`, what the FastAPI server sends) are read as UTC;
/// `Z` and offsets (`+00:00`, `-03:00`) are honoured. Text that is not a date at all (the seed's
/// `2025-12-07T...`) is kept and re-encoded unchanged, and [`Timestamp::to_utc`] returns `None`.
#[derive(Clone)]
pub struct Timestamp {
    raw: TimestampText,
}

/// A timestamp's text, inline when it fits: every form servers send does (32 bytes hold
/// `2025-12-07T07:00:00.123456-03:00`), so reading a message or an acknowledgement does not
/// allocate for it (an allocation and a free were about 250 instructions of each, 3 % of a
/// pipelined send's). Anything longer is kept on the heap, unchanged.
#[derive(Clone)]
enum TimestampText {
    Inline(ArrayString<32>),
    Heap(Box<str>),
}

impl Timestamp {
    /// Wraps text received from, or to be sent to, a server.
    pub fn from_raw(raw: impl AsRef<str>) -> Self {
        let raw = raw.as_ref();
        let raw = match ArrayString::from(raw) {
            Ok(inline) => TimestampText::Inline(inline),
            Err(_) => TimestampText::Heap(raw.into()),
        };
        Self { raw }
    }

    /// A naive UTC timestamp with microseconds, the format protocol 001's server uses.
    pub fn naive_utc(at: DateTime<Utc>) -> Self {
        Self::from_raw(at.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string())
    }

    /// The text exactly as received.
    pub fn as_str(&self) -> &str {
        match &self.raw {
            TimestampText::Inline(text) => text,
            TimestampText::Heap(text) => text,
        }
    }

    /// The instant in UTC, or `None` when the text is not a date.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        self.with_offset().map(|at| at.with_timezone(&Utc))
    }

    /// The instant with the offset the server gave (UTC for naive timestamps), or `None`.
    pub fn with_offset(&self) -> Option<DateTime<FixedOffset>> {
        let raw = self.as_str();
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return Some(at);
        }
        let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f"))
            .ok()?;
        Some(naive.and_utc().fixed_offset())
    }
}

// By the text, whichever way it is held.
impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Timestamp {}

impl std::hash::Hash for Timestamp {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Borrowed when the input allows, so no `String` is made only to be copied.
        struct Text;

        impl serde::de::Visitor<'_> for Text {
            type Value = Timestamp;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a timestamp string")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Timestamp, E> {
                Ok(Timestamp::from_raw(text))
            }

            // UTF-8 bytes, as `String`'s own deserializer takes them (binary formats).
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Timestamp, E> {
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(bytes), &self))?;
                Ok(Timestamp::from_raw(text))
            }
        }

        deserializer.deserialize_str(Text)
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
    fn timestamps_parse_naive_zulu_and_offsets() {
        let naive = Timestamp::from_raw("2025-12-07T10:00:00.123456");
        let zulu = Timestamp::from_raw("2025-12-07T10:00:00.123456Z");
        let offset = Timestamp::from_raw("2025-12-07T07:00:00.123456-03:00");
        assert_eq!(naive.to_utc(), zulu.to_utc());
        assert_eq!(zulu.to_utc(), offset.to_utc());
        assert!(naive.to_utc().is_some());
        let placeholder = Timestamp::from_raw("2025-12-07T...");
        assert_eq!(placeholder.to_utc(), None);
        assert_eq!(placeholder.as_str(), "2025-12-07T...");
    }

    #[test]
    fn a_timestamp_keeps_its_text_whether_held_inline_or_not() {
        let fits = "2025-12-07T07:00:00.123456-03:00";
        let longer = "2025-12-07T07:00:00.123456789012-03:00 (Brasília)";
        use std::hash::BuildHasher;
        let hasher = std::collections::hash_map::RandomState::new();
        for text in ["", "2025-12-07T...", fits, longer] {
            let stamp = Timestamp::from_raw(text);
            assert_eq!(stamp.as_str(), text);
            assert_eq!(stamp.to_string(), text);
            assert_eq!(format!("{stamp:?}"), format!("{text:?}"));
            assert_eq!(
                serde_json::to_string(&stamp).unwrap(),
                serde_json::to_string(text).unwrap()
            );
            // A `String` is taken as before (the argument was `impl Into<String>`).
            let owned: String = text.into();
            assert_eq!(Timestamp::from_raw(owned), stamp);
            // Hashed as its text, as before it was held inline.
            assert_eq!(hasher.hash_one(&stamp), hasher.hash_one(text));
        }
        assert_eq!(
            Timestamp::from_raw(fits)
                .with_offset()
                .unwrap()
                .offset()
                .local_minus_utc(),
            -3 * 3600
        );
        assert!(Timestamp::from_raw(longer).to_utc().is_none());
    }

    #[test]
    fn a_timestamp_reads_from_escaped_json_from_values_and_refuses_other_types() {
        let escaped: Timestamp =
            serde_json::from_str(r#""2025-12-07T10:00:00\u002B00:00""#).unwrap();
        assert_eq!(escaped.as_str(), "2025-12-07T10:00:00+00:00");
        let from_value: Timestamp =
            serde_json::from_value(serde_json::json!("2025-12-07")).unwrap();
        assert_eq!(from_value.as_str(), "2025-12-07");
        let refused = serde_json::from_str::<Timestamp>("1733565600").unwrap_err();
        assert!(
            refused.to_string().contains("a timestamp string"),
            "{refused}"
        );
        // UTF-8 bytes, as a binary format hands them over; other bytes are refused.
        use serde::de::value::{BytesDeserializer, Error};
        let bytes = Timestamp::deserialize(BytesDeserializer::<Error>::new(b"2025-12-07"));
        assert_eq!(bytes.unwrap().as_str(), "2025-12-07");
        assert!(Timestamp::deserialize(BytesDeserializer::<Error>::new(b"\xff")).is_err());
        // Through serde's buffering (flatten, internally tagged enums), which hands over
        // owned or borrowed text.
        #[derive(serde::Deserialize)]
        struct Inner {
            at: Timestamp,
        }
        #[derive(serde::Deserialize)]
        struct Outer {
            #[serde(flatten)]
            inner: Inner,
        }
        let outer: Outer = serde_json::from_str(r#"{"at":"2025-12-07T10:00:00Z","x":1}"#).unwrap();
        assert_eq!(outer.inner.at.as_str(), "2025-12-07T10:00:00Z");
        #[derive(serde::Deserialize)]
        #[serde(tag = "type")]
        enum Tagged {
            Seen { at: Timestamp },
        }
        let Tagged::Seen { at } =
            serde_json::from_str(r#"{"at":"2025-12-07 10:00:00","type":"Seen"}"#).unwrap();
        assert_eq!(
            at.to_utc(),
            Timestamp::from_raw("2025-12-07T10:00:00Z").to_utc()
        );
    }

    #[test]
    fn thirty_two_bytes_are_held_inline_and_thirty_three_on_the_heap() {
        assert_eq!(
            std::mem::size_of::<Timestamp>(),
            40,
            "as the changelog says"
        );
        let inline = "2025-12-07T07:00:00.123456-03:00";
        let heap = "2025-12-07T07:00:00.1234567-03:00";
        assert_eq!((inline.len(), heap.len()), (32, 33));
        assert!(matches!(
            Timestamp::from_raw(inline).raw,
            TimestampText::Inline(_)
        ));
        assert!(matches!(
            Timestamp::from_raw(heap).raw,
            TimestampText::Heap(_)
        ));
        assert_eq!(Timestamp::from_raw(heap).as_str(), heap);
        assert_eq!(
            Timestamp::from_raw(heap).to_utc(),
            Timestamp::from_raw("2025-12-07T10:00:00.1234567Z").to_utc()
        );
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

//! The two frames received at volume, `message_sent` and `message`, read by hand when they
//! come in their plain shape; everything else goes through serde as before.
//!
//! Why: through serde, reading a `message_sent` frame took about 2,000 instructions (a fifth
//! of a pipelined run's client) and a `message` frame about 5,500 (over half of receiving),
//! most of it generic machinery around short strings. By hand: about 1,300 and 3,650
//! (callgrind; the runs' totals fell 8 % and 19 %).
//!
//! "Plain" is what servers write: the `type` first, then fields whose values are strings
//! without escapes, integers, booleans or `null` (the chat message one object deep in
//! `message`). Anything else — an escape, a float, a nested value, a duplicated field where
//! serde would refuse it, trailing text — returns `None` here, and the caller reads the
//! frame with serde, errors included. So this path only ever answers what serde would have
//! answered; a test holds the two equal over every one-byte edit of real frames.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::frames::{MessageSent, NewMessage, ServerFrame};
use super::json_bytes::first_special;
use crate::model::{ChatMessage, Content, Id, Timestamp};

/// `text` as a `message_sent` or `message` frame, if it is one in the plain shape.
pub(crate) fn read(text: &str) -> Option<ServerFrame> {
    let mut reader = Reader { text, at: 0 };
    reader.token(b'{')?;
    if reader.string()? != "type" {
        return None;
    }
    reader.token(b':')?;
    let frame = match reader.string()? {
        "message_sent" => ServerFrame::MessageSent(message_sent(&mut reader)?),
        "message" => ServerFrame::Message(new_message(&mut reader)?),
        _ => return None,
    };
    reader.end()?;
    Some(frame)
}

/// The rest of `{"type":"message_sent", "message_id": …, "timestamp": …}`. Other fields are
/// ignored, as serde ignores them; a repeated field is left to serde, which refuses it.
fn message_sent(reader: &mut Reader<'_>) -> Option<MessageSent> {
    let mut message_id = None;
    let mut timestamp = None;
    reader.rest_of_object(|key, value| {
        match key {
            "message_id" if message_id.is_none() => message_id = Some(value.id()?),
            "timestamp" if timestamp.is_none() => timestamp = Some(value.timestamp()?),
            "message_id" | "timestamp" => return None,
            _ => {}
        }
        Some(())
    })?;
    Some(MessageSent {
        message_id: message_id?,
        timestamp: timestamp.flatten(),
    })
}

/// The rest of `{"type":"message", "message": {…}}`, with no other field.
fn new_message(reader: &mut Reader<'_>) -> Option<NewMessage> {
    reader.token(b',')?;
    if reader.string()? != "message" {
        return None;
    }
    reader.token(b':')?;
    let message = chat_message(reader)?;
    reader.token(b'}')?;
    Some(NewMessage { message })
}

/// A chat message's fields, read as `ChatMessage`'s own deserializer reads them: a repeated
/// field takes its last value, and unknown fields go to `extra`.
fn chat_message(reader: &mut Reader<'_>) -> Option<ChatMessage> {
    let (mut id, mut conversation_id, mut content) = (None, None, None);
    let (mut user_id, mut role, mut created_at) = (None, None, None);
    let mut extra = Map::new();
    reader.object(|key, value| {
        match key {
            "id" => id = Some(value.id()?),
            "conversation_id" => conversation_id = Some(value.id()?),
            "content" => content = Some(Content::Text(value.text()?.to_owned())),
            "user_id" => user_id = value.optional(Plain::id)?,
            "role" => role = value.optional(|text| Some(text.text()?.to_owned()))?,
            "created_at" => created_at = value.timestamp()?,
            _ => {
                extra.insert(key.to_owned(), value.json());
            }
        }
        Some(())
    })?;
    Some(ChatMessage {
        id: id?,
        conversation_id: conversation_id?,
        user_id,
        content: content?,
        role,
        created_at,
        extra,
    })
}

/// A plain value.
#[derive(Clone, Copy)]
enum Plain<'a> {
    Text(&'a str),
    Integer(i64),
    Bool(bool),
    Null,
}

impl<'a> Plain<'a> {
    fn text(self) -> Option<&'a str> {
        match self {
            Plain::Text(text) => Some(text),
            _ => None,
        }
    }

    fn id(self) -> Option<Id> {
        match self {
            Plain::Text(text) => Some(Id::Text(Arc::from(text))),
            Plain::Integer(number) => Some(Id::Number(number)),
            _ => None,
        }
    }

    /// `null` as `None`, anything else through `read`.
    fn optional<T>(self, read: impl FnOnce(Self) -> Option<T>) -> Option<Option<T>> {
        match self {
            Plain::Null => Some(None),
            value => read(value).map(Some),
        }
    }

    fn timestamp(self) -> Option<Option<Timestamp>> {
        self.optional(|value| Some(Timestamp::from_raw(value.text()?)))
    }

    fn json(self) -> Value {
        match self {
            Plain::Text(text) => Value::String(text.to_owned()),
            Plain::Integer(number) => Value::from(number),
            Plain::Bool(value) => Value::Bool(value),
            Plain::Null => Value::Null,
        }
    }
}

/// A cursor over the frame's text. Every method skips JSON whitespace first and returns
/// `None` for anything outside the plain shape.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.at..]
    }

    /// The next byte after whitespace, not taken.
    fn peek(&mut self) -> Option<u8> {
        let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | b'\r');
        let bytes = self.bytes();
        match bytes.first() {
            // Compact JSON has none: skip the scan.
            Some(byte) if !is_space(byte) => Some(*byte),
            _ => {
                let skipped = bytes.iter().position(|byte| !is_space(byte))?;
                self.at += skipped;
                Some(bytes[skipped])
            }
        }
    }

    fn token(&mut self, expected: u8) -> Option<()> {
        (self.peek()? == expected).then(|| self.at += 1)
    }

    /// Only whitespace is left.
    fn end(&mut self) -> Option<()> {
        match self.peek() {
            None => Some(()),
            Some(_) => None,
        }
    }

    /// A string without escapes (or control characters, which JSON forbids).
    fn string(&mut self) -> Option<&'a str> {
        self.token(b'"')?;
        let start = self.at;
        let length = first_special(self.bytes())?;
        if self.bytes().get(length) != Some(&b'"') {
            return None;
        }
        self.at += length + 1;
        // Between two quotes, so on character boundaries.
        self.text.get(start..start + length)
    }

    fn value(&mut self) -> Option<Plain<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Plain::Text),
            b'-' | b'0'..=b'9' => self.integer().map(Plain::Integer),
            _ => {
                let bytes = self.bytes();
                let words = [
                    ("true", Plain::Bool(true)),
                    ("false", Plain::Bool(false)),
                    ("null", Plain::Null),
                ];
                let (word, value) = words
                    .into_iter()
                    .find(|(word, _)| bytes.starts_with(word.as_bytes()))?;
                self.at += word.len();
                Some(value)
            }
        }
    }

    /// JSON's integer grammar, within `i64`. Not `-0`: serde_json reads it as a float.
    fn integer(&mut self) -> Option<i64> {
        let bytes = self.bytes();
        let negative = bytes.first() == Some(&b'-');
        let digits = &bytes[usize::from(negative)..];
        let length = digits
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count();
        let leading_zero = digits.first() == Some(&b'0');
        if length == 0 || (leading_zero && (length > 1 || negative)) {
            return None;
        }
        // A fraction or an exponent makes it a float.
        if matches!(digits.get(length), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let text = std::str::from_utf8(&bytes[..usize::from(negative) + length]).ok()?;
        let number = text.parse().ok()?;
        self.at += text.len();
        Some(number)
    }

    /// The fields of an object, from its `{` through its `}`, each handed to `field`;
    /// `None` when one is not plain or `field` refuses it. An empty object is left to serde.
    fn object(&mut self, mut field: impl FnMut(&'a str, Plain<'a>) -> Option<()>) -> Option<()> {
        self.token(b'{')?;
        self.field(&mut field)?;
        self.rest_of_object(field)
    }

    /// The fields after one already read, through the object's `}`.
    fn rest_of_object(
        &mut self,
        mut field: impl FnMut(&'a str, Plain<'a>) -> Option<()>,
    ) -> Option<()> {
        loop {
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
            self.field(&mut field)?;
        }
    }

    fn field(&mut self, field: &mut impl FnMut(&'a str, Plain<'a>) -> Option<()>) -> Option<()> {
        let key = self.string()?;
        self.token(b':')?;
        field(key, self.value()?)
    }
}

#[cfg(test)]
#[path = "plain_frames_tests.rs"]
mod tests;

//! The chat message frame, `{"type":"message","conversation_id":…,"content":…}`, written by
//! hand: the one frame sent at volume.
//!
//! Through serde (a struct flattened into the tagged frame) it went through the map
//! serializer and escaped its constant keys like any string: about 890 instructions a
//! message (callgrind of a pipelined run), 7.8 % of the client's. Here the keys are
//! literals and a value is copied as it is when nothing in it needs escaping; serde_json
//! writes the rest, so escapes are its own. A test keeps the output equal to the
//! `ClientFrame`'s.

use super::json_bytes::needs_escape;
use crate::model::Id;

/// The frame for `content` in `conversation_id`.
///
/// Its capacity is its length whenever nothing needs escaping: the socket's writer turns
/// the text into `Bytes`, which takes a buffer whose length is its capacity as it is and
/// allocates a shared header for any other (an allocation per message, 1.8 % of a
/// pipelined run's instructions).
pub(crate) fn message_text(conversation_id: &Id, content: &str) -> serde_json::Result<String> {
    const HEAD: &str = r#"{"type":"message","conversation_id":"#;
    const CONTENT: &str = r#","content":"#;
    let digits;
    let (id, quoted) = match conversation_id {
        Id::Text(id) => (&**id, true),
        Id::Number(number) => {
            digits = number.to_string();
            (digits.as_str(), false)
        }
    };
    let id_escapes = quoted && needs_escape(id.as_bytes());
    let content_escapes = needs_escape(content.as_bytes());
    let quotes = 2 * usize::from(quoted) + 2;
    let mut text =
        String::with_capacity(HEAD.len() + id.len() + CONTENT.len() + content.len() + quotes + 1);
    text.push_str(HEAD);
    match quoted {
        true => push_string(&mut text, id, id_escapes)?,
        false => text.push_str(id),
    }
    text.push_str(CONTENT);
    push_string(&mut text, content, content_escapes)?;
    text.push('}');
    if id_escapes || content_escapes {
        text.shrink_to_fit();
    }
    Ok(text)
}

/// `value` as a JSON string: copied between quotes, or escaped by serde_json.
fn push_string(text: &mut String, value: &str, escapes: bool) -> serde_json::Result<()> {
    match escapes {
        false => {
            text.push('"');
            text.push_str(value);
            text.push('"');
        }
        true => text.push_str(&serde_json::to_string(value)?),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_fills_its_buffer_exactly_so_the_writer_need_not_allocate() {
        for id in [Id::from("c1"), Id::Number(-7), Id::from("é\"")] {
            for content in ["hello", "", "ção 🙂", "quote \" and \u{1}"] {
                let text = message_text(&id, content).unwrap();
                assert_eq!(text.len(), text.capacity(), "{text}");
            }
        }
    }
}

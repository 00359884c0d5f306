use super::read;
use crate::dialect::renum::{JsonCodec, ServerFrame};

/// Frames as servers write them: the bench server's, the real server's (uuid ids, naive
/// timestamps), numeric ids, `null`s, unknown fields, whitespace and non-ASCII text.
const FRAMES: &[&str] = &[
    r#"{"type":"message_sent","message_id":"s1","timestamp":"2025-12-07T10:00:00.000001"}"#,
    r#"{"type":"message_sent","message_id":"0b6f3c1e-8a52-4d7e-9a51-3f0e2b7c9d10","timestamp":"2025-12-07T10:00:00.123456"}"#,
    r#"{"type":"message_sent","message_id":42}"#,
    r#"{"type":"message_sent","timestamp":null,"message_id":-7,"ok":true,"type":"x"}"#,
    r#"{"type":"message_sent","message_id":-9223372036854775808}"#,
    r#"{"type":"message","message":{"id":"m1","conversation_id":"c1","user_id":"agent","content":"message number 1 of the benchmark","role":"user","created_at":"2025-12-07T10:00:00.000001"}}"#,
    r#"{"type":"message","message":{"id":7,"conversation_id":0,"user_id":null,"content":"héllo ✓ 日本","role":null,"created_at":null,"is_read":false,"seq":12,"note":"x","gone":null,"low":-12,"high":9223372036854775807}}"#,
    r#"{"type":"message","message":{"content":"","id":"a","conversation_id":"b","id":"c","user_id":"u","user_id":null}}"#,
    " { \"type\" :\t\"message\" ,\r\n \"message\" : { \"id\" : \"m1\" , \"conversation_id\" : 12 , \"content\" : \"hi\" } } \n",
];

/// What the codec reads from `text` with serde alone, as it read every frame before.
fn with_serde(text: &str) -> Option<ServerFrame> {
    JsonCodec.decode_server_with_serde(text).ok()
}

/// Frames compared by their `Debug` form, which tells more apart than `==` does: a text id
/// equals a numeric one with the same digits, but prints with quotes.
fn shown(frame: Option<ServerFrame>) -> String {
    format!("{frame:?}")
}

#[test]
fn plain_frames_are_read_by_hand_as_serde_reads_them() {
    for text in FRAMES {
        let by_hand = read(text).unwrap_or_else(|| panic!("not read by hand: {text}"));
        assert_eq!(shown(Some(by_hand)), shown(with_serde(text)), "{text}");
    }
}

/// Every one-byte edit of every frame above (a byte removed, or one of these inserted or
/// put in its place): whatever the hand reader accepts, serde reads the same. Most edits
/// break the frame, and the hand reader must then leave it to serde.
#[test]
fn every_edit_is_read_as_serde_reads_it_or_left_to_serde() {
    const EDITS: &[&str] = &[
        " ", "\"", "\\", ",", ":", "{", "}", "[", "0", "1", "9", "-", ".", "e", "E", "n", "t", "x",
        "\n", "\t", "\r", "\u{b}", "\u{c}", "\u{1}", "\u{7f}", "\u{a0}", "é",
    ];
    let mut read_by_hand = 0;
    let mut edited = 0;
    for text in FRAMES {
        let mut variants = Vec::new();
        for (at, _) in text.char_indices() {
            let next = at + text[at..].chars().next().map_or(0, char::len_utf8);
            variants.push(format!("{}{}", &text[..at], &text[next..]));
            for edit in EDITS {
                variants.push(format!("{}{edit}{}", &text[..at], &text[at..]));
                variants.push(format!("{}{edit}{}", &text[..at], &text[next..]));
            }
        }
        for variant in variants {
            edited += 1;
            if let Some(by_hand) = read(&variant) {
                read_by_hand += 1;
                assert_eq!(
                    shown(Some(by_hand)),
                    shown(with_serde(&variant)),
                    "{variant}"
                );
            }
        }
    }
    // Whitespace, digits and letters inside strings keep many edits plain.
    assert!(read_by_hand > edited / 10, "{read_by_hand} of {edited}");
}

/// Shapes serde reads (or refuses) that the hand reader leaves to it.
#[test]
fn other_shapes_are_left_to_serde() {
    let left = [
        // An escape, in a value or a key.
        r#"{"type":"message_sent","message_id":"s\"1"}"#,
        r#"{"type":"message_sent","message_\u0069d":"s1"}"#,
        // `type` not first.
        r#"{"message_id":"s1","type":"message_sent"}"#,
        // A repeated field serde refuses.
        r#"{"type":"message_sent","message_id":"s1","message_id":"s2"}"#,
        r#"{"type":"message_sent","message_id":1,"timestamp":null,"timestamp":"x"}"#,
        // Numbers serde reads otherwise: a float, `-0`, beyond `i64`.
        r#"{"type":"message_sent","message_id":1.5}"#,
        r#"{"type":"message_sent","message_id":-0}"#,
        r#"{"type":"message_sent","message_id":9223372036854775808}"#,
        r#"{"type":"message_sent","message_id":18446744073709551615}"#,
        r#"{"type":"message_sent","message_id":-9223372036854775809}"#,
        // Whitespace JSON does not have: a form feed.
        "{\"type\":\"message_sent\",\"message_id\":1}\u{c}",
        // Nested values, structured content, other outer fields.
        r#"{"type":"message","message":{"id":"m","conversation_id":"c","content":"x","meta":{}}}"#,
        r#"{"type":"message","message":{"id":"m","conversation_id":"c","content":{"text":"x"}}}"#,
        r#"{"type":"message","message":{"id":"m","conversation_id":"c","content":"x"},"sender":null}"#,
        // Missing fields, and text after the frame.
        r#"{"type":"message_sent"}"#,
        r#"{"type":"message","message":{"id":"m","content":"x"}}"#,
        r#"{"type":"message_sent","message_id":"s1"} x"#,
        // Other frames.
        r#"{"type":"pong","timestamp":"2025-12-07T10:00:00.000001"}"#,
    ];
    for text in left {
        assert!(read(text).is_none(), "{text}");
    }
}

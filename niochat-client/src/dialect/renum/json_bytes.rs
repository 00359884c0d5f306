//! Finding the bytes a JSON string cannot hold as they are — quotes, backslashes and control
//! characters — eight bytes at a time, for the frames written and read by hand
//! (`message_text`, `plain_frames`).
//!
//! Why: a byte at a time, with a test and an exit at each, cost about as much as serde_json's
//! own escaping when writing, and about 200 instructions a field name or value when reading
//! (callgrind). Eight bytes are tested together with the word-at-a-time trick for finding a
//! zero byte.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

/// The high bit of each byte of `word` that is below `limit` (`limit` ≤ 0x80). Subtracting
/// borrows into the next byte, so bytes after a flagged one may be flagged wrongly; the
/// lowest flagged byte is always right, which is all [`first_special`] reads.
fn below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGHS
}

/// The high bit of each byte of a little-endian `word` that must be escaped (the lowest
/// one right, as in [`below`]).
fn special_bytes(word: u64) -> u64 {
    below(word, 0x20)
        | below(word ^ (ONES * u64::from(b'"')), 1)
        | below(word ^ (ONES * u64::from(b'\\')), 1)
}

/// Where the first byte of `bytes` that must be escaped is, if any.
pub(crate) fn first_special(bytes: &[u8]) -> Option<usize> {
    let mut words = bytes.chunks_exact(8);
    let mut start = 0;
    let mut word = [0; 8];
    for whole in &mut words {
        word.copy_from_slice(whole);
        let flagged = special_bytes(u64::from_le_bytes(word));
        if flagged != 0 {
            return Some(start + flagged.trailing_zeros() as usize / 8);
        }
        start += 8;
    }
    // The last bytes, one at a time.
    let rest = words.remainder();
    let at = rest
        .iter()
        .position(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')?;
    Some(start + at)
}

/// Whether any byte of `bytes` must be escaped.
pub(crate) fn needs_escape(bytes: &[u8]) -> bool {
    first_special(bytes).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_serde_json_escapes_is_found_wherever_it_is() {
        for byte in 0u8..=0x7f {
            let escaped = serde_json::to_string(&char::from(byte).to_string()).unwrap();
            let escapes = escaped.len() != 3;
            // Alone, in the eight-byte words and in the remainder.
            for at in [0, 5, 15, 16, 31, 33] {
                let mut text = vec![b'a'; 34];
                text[at] = byte;
                assert_eq!(needs_escape(&text), escapes, "byte {byte:#x} at {at}");
            }
        }
        assert!(!needs_escape("ção 🙂 </script>".as_bytes()));
    }

    #[test]
    fn the_first_special_byte_is_found_in_chunks_and_in_the_rest() {
        for length in [0, 1, 15, 16, 17, 31, 32, 40] {
            let plain = vec![b'a'; length];
            assert_eq!(first_special(&plain), None, "length {length}");
            for first in 0..length {
                let mut text = plain.clone();
                text[first] = b'"';
                // A later special byte does not hide the first.
                if let Some(later) = text.get_mut(first + 3) {
                    *later = b'\\';
                }
                assert_eq!(first_special(&text), Some(first), "length {length}");
            }
        }
    }

    #[test]
    fn every_byte_value_is_told_apart_at_every_position_of_a_word() {
        for byte in 0..=u8::MAX {
            let special = byte < 0x20 || byte == b'"' || byte == b'\\';
            for at in 0..20 {
                // Each byte after it a control one, to catch a borrow flagging the wrong byte.
                let mut text = [b'a'; 20];
                text[at] = byte;
                if let Some(after) = text.get_mut(at + 1) {
                    *after = 0x01;
                }
                let expected = if special { at } else { at + 1 };
                let expected = (expected < 20).then_some(expected);
                assert_eq!(first_special(&text), expected, "byte {byte:#x} at {at}");
            }
        }
    }
}

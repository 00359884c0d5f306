//! Decoding a JWT segment: unpadded base64url (RFC 4648 §5), canonical only.
//!
//! Written here rather than taken from `data-encoding`, which it replaced: that crate's one
//! generic decoder, for every base and option, was 22 KB of the npm package's wasm (11.8 KB
//! gzipped, measured by leaving it out) for reading one claim of a token. The tests hold it
//! to `data-encoding`'s answers on random input.

/// `text` decoded, or `None` when it is not canonical unpadded base64url: a character outside
/// the alphabet, a length that leaves one character over, or unused bits that are not zero.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut bytes = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let mut bits: u32 = 0;
    let mut held = 0;
    for &character in text {
        bits = bits << 6 | u32::from(sextet(character)?);
        held += 6;
        if held >= 8 {
            held -= 8;
            bytes.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    // What is left (0, 2 or 4 bits) only pads the last character: canonical text has zeros.
    (bits == 0).then_some(bytes)
}

/// The value of one base64url character.
fn sextet(character: u8) -> Option<u8> {
    match character {
        b'A'..=b'Z' => Some(character - b'A'),
        b'a'..=b'z' => Some(character - b'a' + 26),
        b'0'..=b'9' => Some(character - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_rfc_4648_vectors() {
        for (text, plain) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(decode(text.as_bytes()).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(decode(b"-_8").as_deref(), Some(&[0xfb, 0xff][..]));
    }

    #[test]
    fn refuses_what_is_not_canonical_unpadded_base64url() {
        for text in ["Z", "Zm9vY", "Zh", "Zm+v", "Zm/v", "Zm9v\n", "Zg==", "Zm 9"] {
            assert_eq!(decode(text.as_bytes()), None, "{text:?}");
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// The same answers as `data-encoding`, which this replaced, for any bytes encoded
        /// and for any text at all over the alphabet and a few characters outside it.
        #[test]
        fn answers_as_data_encoding_does(
            plain in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            text in "[A-Za-z0-9_=+/ -]{0,24}",
        ) {
            let encoded = data_encoding::BASE64URL_NOPAD.encode(&plain);
            proptest::prop_assert_eq!(decode(encoded.as_bytes()), Some(plain));
            proptest::prop_assert_eq!(
                decode(text.as_bytes()),
                data_encoding::BASE64URL_NOPAD.decode(text.as_bytes()).ok()
            );
        }
    }
}

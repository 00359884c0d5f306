//! A timestamp as servers write it: kept as its text, so that a frame re-encodes exactly as
//! it arrived, with a parsed view when the text is a date. The real servers send naive
//! timestamps without a zone (FastAPI), offsets (`-03:00`) and placeholders such as
//! `2025-12-07T...` in the examples.
//!
//! The text is held inline when it fits, because a timestamp is read with every message and
//! every acknowledgement (see `TimestampText`).

use std::fmt;

use arrayvec::ArrayString;
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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
    ///
    /// Read as RFC 3339 (two-digit fields, `T`, `t` or a space between date and time, any
    /// number of fraction digits, `Z` or `±HH:MM`). A naive timestamp is read as if it ended
    /// in `Z`, through the same reader: chrono's format-string parser, which read naive ones
    /// before, was 15 KB of the npm package's gzipped wasm (measured by leaving it out).
    pub fn with_offset(&self) -> Option<DateTime<FixedOffset>> {
        let raw = self.as_str();
        if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
            return Some(at);
        }
        // Inline, so that sorting a sync by time does not allocate for each comparison.
        let mut zulu = ArrayString::<48>::new();
        let read = match zulu.try_push_str(raw).is_ok() && zulu.try_push('Z').is_ok() {
            true => DateTime::parse_from_rfc3339(&zulu),
            false => DateTime::parse_from_rfc3339(&format!("{raw}Z")),
        };
        read.ok()
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// The reading against chrono's format-string parser, which read naive timestamps
    /// before (proptest is a native dev-dependency).
    #[cfg(not(target_arch = "wasm32"))]
    mod against_chrono {
        use super::*;

        /// How naive timestamps were read before (chrono's format-string parser): the oracle.
        pub(super) fn read_before(raw: &str) -> Option<DateTime<FixedOffset>> {
            use chrono::NaiveDateTime;
            if let Ok(at) = DateTime::parse_from_rfc3339(raw) {
                return Some(at);
            }
            let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f"))
                .ok()?;
            Some(naive.and_utc().fixed_offset())
        }

        /// Whether `raw` starts `YYYY-MM-DD?HH:MM:SS`, every field two digits (four the year).
        fn two_digit_fields(raw: &str) -> bool {
            let bytes = raw.as_bytes();
            bytes.len() >= 19
                && (0..19).all(|at| match at {
                    4 | 7 => bytes[at] == b'-',
                    13 | 16 => bytes[at] == b':',
                    10 => true,
                    _ => bytes[at].is_ascii_digit(),
                })
        }

        proptest::proptest! {
            /// Every timestamp with two-digit fields reads as it did: real or impossible dates
            /// and times, leap seconds, fractions of any length, every separator and zone form,
            /// and text cut short or run on.
            #[test]
            fn timestamps_read_as_chronos_format_parser_read_them(
                year in 1960u32..2100,
                month in 0u32..14,
                day in 0u32..33,
                hour in 0u32..25,
                minute in 0u32..61,
                second in 0u32..62,
                fraction in "(\\.[0-9]{1,12})?",
                separator in "[Tt ]",
                zone in "(Z|z|[+-][0-2][0-9]:[0-5][0-9]|[+-][0-9]{4}|)",
                cut in 0usize..40,
                tail in "(|x| |Z)",
            ) {
                let full = format!(
                    "{year:04}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}{fraction}{zone}"
                );
                for raw in [full.clone(), format!("{full}{tail}"), full[..cut.min(full.len())].to_owned()] {
                    let before = read_before(&raw);
                    let now = Timestamp::from_raw(&raw).with_offset();
                    // The differences: a naive timestamp with a lowercase `t` reads now (RFC
                    // 3339 allows it), as its `T` form did; text outside the fixed layout (a
                    // field of another width, here text cut short) no longer does.
                    let outside_layout = now.is_none() && !two_digit_fields(&raw);
                    if outside_layout {
                        continue;
                    }
                    if before.is_none() && raw.as_bytes().get(10) == Some(&b't') {
                        let upper = read_before(&raw.replacen('t', "T", 1));
                        proptest::prop_assert_eq!(now, upper, "{}", raw);
                    } else {
                        proptest::prop_assert_eq!(now, before, "{}", raw);
                    }
                }
            }
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn text_outside_the_fixed_layout_is_no_longer_read_as_a_date() {
        use against_chrono::read_before;
        // chrono's format-string parser took one or two digits a field, one to four the
        // year, a sign, and whitespace before a field. ISO 8601 (and every server here)
        // writes the fixed layout.
        for loose in [
            "2025-1-7T9:05:00",
            " 2025-12-07T10:00:00",
            "2025-12-07T 9:05:00",
            "925-12-07T10:00:00",
        ] {
            assert!(read_before(loose).is_some(), "{loose:?}");
            assert_eq!(Timestamp::from_raw(loose).to_utc(), None, "{loose:?}");
        }
        // Naive text longer than the inline buffer still reads.
        let long = "2025-12-07T10:00:00.123456789012345678901234567890";
        assert_eq!(
            Timestamp::from_raw(long).to_utc(),
            Timestamp::from_raw("2025-12-07T10:00:00.123456789Z").to_utc()
        );
    }
}

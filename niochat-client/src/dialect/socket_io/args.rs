//! A server event's arguments, as the text they arrived in.
//!
//! An event is a JSON array, `["name", arg, ...]`. Reading it into a `serde_json::Value` tree
//! and then each argument from the tree into its type builds a map per object only to throw
//! it away; here a preset reads the argument it wants straight from its text into its type.
//!
//! Nearly every event is `["name", one-object]`. [`split_event`] reads the name by hand and
//! leaves the rest unread; the preset's one typed read then scans the argument once, and
//! checks it is one whole JSON value. Splitting every array into its arguments first scanned
//! each event twice (about a tenth of the Socket.IO dialect's CPU). An array of any other
//! shape, or one whose arguments do not read as a single value, is split in full, as before.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

/// An event's arguments, unread.
#[derive(Clone, Copy, Debug)]
pub struct EventArgs<'a> {
    raw: Raw<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Raw<'a> {
    /// Split by a full parse of the array.
    Split(&'a [&'a RawValue]),
    /// The text after the name's comma, without the closing bracket (empty: no arguments).
    /// `checked` is set once some read has found it valid JSON.
    Unread {
        text: &'a str,
        checked: &'a Cell<bool>,
    },
}

impl<'a> EventArgs<'a> {
    pub(super) fn new(raw: &'a [&'a RawValue]) -> Self {
        Self {
            raw: Raw::Split(raw),
        }
    }

    /// The arguments as `text` from [`split_event`], not yet checked; `checked` records
    /// whether a read has found them valid since.
    pub(super) fn unread(text: &'a str, checked: &'a Cell<bool>) -> Self {
        Self {
            raw: Raw::Unread { text, checked },
        }
    }

    /// The first argument read as `T` (a missing one reads as `null`); the error says why
    /// it does not fit.
    pub fn first<T: DeserializeOwned>(&self) -> Result<T, String> {
        match self.raw {
            Raw::Split(raw) => read(raw.first().map_or("null", |raw| raw.get())),
            Raw::Unread { text: "", checked } => {
                checked.set(true);
                read("null")
            }
            Raw::Unread { text, checked } => match serde_json::from_str(text) {
                Ok(value) => {
                    // One whole value: the array `[name, value]` is valid JSON.
                    checked.set(true);
                    Ok(value)
                }
                // Several arguments, or none that reads: split them to tell which.
                Err(_) => self.split(|raw| read(raw.first().map_or("null", |raw| raw.get())))?,
            },
        }
    }

    /// Every argument as a JSON value.
    pub fn to_values(&self) -> Vec<Value> {
        let values = |raw: &[&RawValue]| {
            raw.iter()
                .map(|raw| serde_json::from_str(raw.get()).unwrap_or(Value::Null))
                .collect()
        };
        match self.raw {
            Raw::Split(raw) => values(raw),
            Raw::Unread { .. } => self.split(values).unwrap_or_default(),
        }
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        match self.raw {
            Raw::Split(raw) => raw.len(),
            Raw::Unread { .. } => self.split(|raw| raw.len()).unwrap_or(0),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the arguments are valid JSON (the event then was a valid array).
    pub(super) fn is_valid(&self) -> bool {
        match self.raw {
            Raw::Split(_) => true,
            Raw::Unread { checked, .. } if checked.get() => true,
            Raw::Unread { .. } => self.split(|_| ()).is_ok(),
        }
    }

    /// `use_split` on the arguments split in full; an error when they are not valid JSON.
    fn split<R>(&self, use_split: impl FnOnce(&[&RawValue]) -> R) -> Result<R, String> {
        match self.raw {
            Raw::Split(raw) => Ok(use_split(raw)),
            Raw::Unread { text, checked } => {
                let array = format!("[{text}]");
                let raw: Vec<&RawValue> =
                    serde_json::from_str(&array).map_err(|error| error.to_string())?;
                checked.set(true);
                Ok(use_split(&raw))
            }
        }
    }
}

fn read<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|error| error.to_string())
}

/// `["name", rest]` read by hand, when the name has no escapes: the name, and the text of
/// the arguments after its comma without the closing bracket (empty when there are none),
/// unread. `None` for any other shape; the caller then parses the array in full.
pub(super) fn split_event(data: &str) -> Option<(&str, &str)> {
    const WHITESPACE: [char; 4] = [' ', '\t', '\n', '\r'];
    let inner = data
        .trim_matches(WHITESPACE)
        .strip_prefix('[')?
        .strip_suffix(']')?
        .trim_start_matches(WHITESPACE)
        .strip_prefix('"')?;
    let end = inner.find(['"', '\\'])?;
    let name = &inner[..end];
    // A raw control character is not valid in a JSON string; an escape needs the parser.
    if inner.as_bytes()[end] != b'"' || name.bytes().any(|byte| byte < 0x20) {
        return None;
    }
    let after = inner[end + 1..].trim_matches(WHITESPACE);
    match after.strip_prefix(',') {
        Some(args) if !args.trim_matches(WHITESPACE).is_empty() => {
            Some((name, args.trim_matches(WHITESPACE)))
        }
        Some(_) => None,
        None if after.is_empty() => Some((name, "")),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_without_escapes_are_read_by_hand_and_the_rest_left_unread() {
        assert_eq!(
            split_event(r#"["message:new",{"id":1}]"#),
            Some(("message:new", r#"{"id":1}"#))
        );
        assert_eq!(
            split_event(" [ \"a\" , 1 , {\"b\":[2]} ]\n"),
            Some(("a", r#"1 , {"b":[2]}"#))
        );
        assert_eq!(split_event(r#"["pong"]"#), Some(("pong", "")));
        for other in [
            r#"["with \"escape\"",1]"#,
            r#"[1,2]"#,
            r#"{"a":1}"#,
            r#"["a",]"#,
            r#"["a" 1]"#,
            "[\"tab\there\",1]",
            r#"["unterminated"#,
            "",
        ] {
            assert_eq!(split_event(other), None, "{other}");
        }
    }

    /// Every way of reading gives what reading the whole array would.
    #[test]
    fn unread_arguments_read_as_the_split_ones_do() {
        for (data, first, count) in [
            (r#"["e",{"id":1}]"#, json!({"id": 1}), 1),
            (r#"["e",{"id":1},"x",[2]]"#, json!({"id": 1}), 3),
            (r#"["e"]"#, Value::Null, 0),
            (r#"["e", "text" ]"#, json!("text"), 1),
        ] {
            let (_, text) = split_event(data).unwrap();
            let checked = Cell::new(false);
            let unread = EventArgs::unread(text, &checked);
            let array: Vec<&RawValue> = serde_json::from_str(data).unwrap();
            let split = EventArgs::new(&array[1..]);
            assert_eq!(unread.first::<Value>(), Ok(first.clone()), "{data}");
            assert_eq!(split.first::<Value>(), Ok(first), "{data}");
            assert_eq!(unread.len(), count, "{data}");
            assert_eq!(unread.to_values(), split.to_values(), "{data}");
            assert!(unread.is_valid() && checked.get(), "{data}");
        }
    }

    #[test]
    fn unread_arguments_that_are_not_json_are_found_invalid() {
        let (_, text) = split_event(r#"["e",{"id":}]"#).unwrap();
        let checked = Cell::new(false);
        let args = EventArgs::unread(text, &checked);
        assert!(args.first::<Value>().is_err());
        assert!(!args.is_valid());
        assert!(args.to_values().is_empty());
        // A type that does not fit says why, as from a split array.
        let (_, text) = split_event(r#"["e","text"]"#).unwrap();
        let args = EventArgs::unread(text, &checked);
        assert!(args.first::<u32>().unwrap_err().contains("invalid type"));
    }
}

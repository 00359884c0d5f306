//! A server event's arguments, as the text they arrived in.
//!
//! An event is a JSON array, `["name", arg, ...]`. Reading it into a `serde_json::Value` tree
//! and then each argument from the tree into its type builds a map per object only to throw
//! it away; here the array is split into its arguments' raw texts, and a preset reads the one
//! it wants straight into its type.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

/// An event's arguments, unread.
#[derive(Clone, Copy, Debug)]
pub struct EventArgs<'a> {
    raw: &'a [&'a RawValue],
}

impl<'a> EventArgs<'a> {
    pub(super) fn new(raw: &'a [&'a RawValue]) -> Self {
        Self { raw }
    }

    /// The first argument read as `T` (a missing one reads as `null`); the error says why
    /// it does not fit.
    pub fn first<T: DeserializeOwned>(&self) -> Result<T, String> {
        let text = self.raw.first().map_or("null", |raw| raw.get());
        serde_json::from_str(text).map_err(|error| error.to_string())
    }

    /// Every argument as a JSON value.
    pub fn to_values(&self) -> Vec<Value> {
        self.raw
            .iter()
            .map(|raw| serde_json::from_str(raw.get()).unwrap_or(Value::Null))
            .collect()
    }

    /// How many arguments there are.
    pub fn len(&self) -> usize {
        self.raw.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

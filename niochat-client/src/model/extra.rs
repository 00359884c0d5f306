//! One-pass reading of objects that keep their unknown fields.
//!
//! Messages from every backend carry fields beyond the ones we type, kept in an `extra` map.
//! serde's `#[serde(flatten)]` does that by buffering every field of the object into an
//! intermediate tree before reading it, which on the receive path costs as much as the rest of
//! the decoding together. [`deserialize_with_extra!`] writes the visitor instead: each known
//! field is read straight into its type, each other one into `extra`, in one pass.
//!
//! The way back is here too: a dialect that read a field into a type of its own, with no
//! place for it in the common message, puts it back into `extra` with [`with_fields`].

use std::borrow::Cow;

use serde_json::{Map, Value};

/// `extra` with each of `fields` that is present put back under its wire name, in order.
pub(crate) fn with_fields(
    mut extra: Map<String, Value>,
    fields: impl IntoIterator<Item = (&'static str, Option<Value>)>,
) -> Map<String, Value> {
    for (name, value) in fields {
        if let Some(value) = value {
            extra.insert(name.to_owned(), value);
        }
    }
    extra
}

/// A field name, borrowed from the input when it can be.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(name)))
            }

            fn visit_str<E>(self, name: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(name.to_owned())))
            }

            fn visit_string<E>(self, name: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(name)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// `impl Deserialize` for a struct with `required` fields (an error when absent), `optional`
/// ones (`Option`s: absent or `null` is `None`), each named by its wire name, and an
/// `extra: Map<String, Value>` for every other field.
macro_rules! deserialize_with_extra {
    (
        $name:ident,
        required: [$($required:ident = $required_wire:literal),* $(,)?],
        optional: [$($optional:ident = $optional_wire:literal),* $(,)?] $(,)?
    ) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl<'de> serde::de::Visitor<'de> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }

                    fn visit_map<A: serde::de::MapAccess<'de>>(
                        self,
                        mut map: A,
                    ) -> Result<$name, A::Error> {
                        $(let mut $required = None;)*
                        $(let mut $optional = None;)*
                        let mut extra = serde_json::Map::new();
                        while let Some(key) = map.next_key::<$crate::model::extra::Key<'de>>()? {
                            match key.0.as_ref() {
                                $($required_wire => $required = Some(map.next_value()?),)*
                                $($optional_wire => $optional = map.next_value()?,)*
                                _ => {
                                    extra.insert(key.0.into_owned(), map.next_value()?);
                                }
                            }
                        }
                        Ok($name {
                            $($required: $required.ok_or_else(|| {
                                <A::Error as serde::de::Error>::missing_field($required_wire)
                            })?,)*
                            $($optional,)*
                            extra,
                        })
                    }
                }

                deserializer.deserialize_map(Visitor)
            }
        }
    };
}

pub(crate) use deserialize_with_extra;

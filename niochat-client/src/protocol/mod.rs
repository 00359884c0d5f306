//! Protocol 001 as types: every frame in both directions, the values they carry, and the codec
//! that reads and writes them. Nothing here does I/O or keeps state.
//!
//! Decoding follows what the real servers send, not only the document: ids are integers or
//! strings, timestamps are naive, `Z` or offset, an unknown or missing `type` is
//! [`ServerFrame::Unknown`] with the raw JSON, and a frame that cannot be read is a
//! [`DecodeError`] that keeps the text.

mod codec;
mod frames;
mod scalars;

pub use codec::{DecodeError, JsonCodec, WireCodec};
pub use frames::*;
pub use scalars::{Content, ErrorCode, Id, PresenceStatus, Timestamp};

#[cfg(test)]
mod tests;

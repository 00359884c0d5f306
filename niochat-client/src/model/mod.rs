//! The chat vocabulary every backend is translated into: ids, timestamps, content, messages,
//! typing, read receipts, presence and message statuses.
//!
//! A dialect (see [`dialect`](crate::dialect)) turns each backend's frames into these types, so
//! an application written against them works with every backend. What only one backend has is
//! typed in that backend's dialect module instead and reaches the app as
//! [`Event::Backend`](crate::Event::Backend).
//!
//! The types are written to survive what real servers send: ids are integers or strings,
//! timestamps are naive, `Z` or offset, content is text or a structured object, and fields a
//! message carries beyond the common ones are kept in `extra`.

mod chat;
pub(crate) mod extra;
mod scalars;
mod timestamp;

pub use chat::{
    ChatMessage, MessageDeletion, MessageStatusUpdate, PresenceUpdate, ReadReceipt, Session,
    TypingUpdate,
};
pub use scalars::{Content, DeliveryStatus, ErrorCode, Id, PresenceStatus};
pub use timestamp::Timestamp;

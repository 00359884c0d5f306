//! # niochat-ffi
//!
//! niochat for Kotlin, Swift and Python through UniFFI: a thin layer over `niochat-client`
//! that translates types and callbacks and holds no chat logic (reconnection, the queue,
//! keep-alive, the app's lifecycle and the persisted outbox are in the core).
//!
//! - [`Client`]: built from a [`ClientConfig`], with an optional [`TokenProvider`] (async,
//!   asked before each attempt) and [`OutboxStorage`] (the app's own storage); async methods
//!   for every command; `next_events()` for every event; the app's lifecycle
//!   (`network_changed`, `enter_background`, `enter_foreground`); `shutdown()` ends everything.
//! - [`NioChatError`]: the one error enum foreign code sees.
#![deny(unsafe_code)]

mod callbacks;
mod client;
mod errors;
mod records;
mod runtime;

pub use callbacks::{OutboxStorage, TokenProvider};
pub use client::Client;
pub use errors::NioChatError;
pub use records::{
    BackendConfig, ChatMessage, ClientConfig, Event, MessageAck, Metrics, NioChatEndpoint,
    OutgoingState, ReconnectAttempts, Status, StoredMessage,
};

uniffi::setup_scaffolding!();

//! # niochat-client
//!
//! A real-time chat client SDK: one client for several chat backends, that never loses a
//! message and recovers from bad networks by itself. Layers, each usable on its own:
//!
//! - [`model`]: the chat vocabulary every backend is translated into (messages, typing, read
//!   receipts, presence), written to survive what real servers send.
//! - [`dialect`]: one module per backend behind one seam — protocol 001
//!   ([`dialect::renum`]), Socket.IO ([`dialect::socket_io`], with the
//!   [`PyTake`](dialect::pytake) and [`ConectCRM`](dialect::conectcrm) presets),
//!   [`NioChat`](dialect::niochat) and [`PyTake Go`](dialect::pytake_go). Choose one with
//!   [`ClientBuilder::backend`].
//! - [`engine`]: the connection logic (status, reconnection with backoff, the offline queue,
//!   one ledger of requests and answers, keep-alive, re-join and sync, de-duplication, token
//!   refresh) as a pure state machine fed with events and the current time.
//! - [`core`]: the runtime-free client around the engine — [`Client`], [`ClientBuilder`],
//!   completions, event fan-out, status — shared by every driver and binding.
//! - the native driver (feature `native`, on by default): [`ClientBuilder::build`] runs the
//!   core on tokio + tokio-tungstenite, with `ws://` and `wss://` (rustls).
//!
//! Secrets stay secret: [`AuthToken`] and [`SecretUrl`] print `***` for the token everywhere.
//!
//! ```no_run
//! # #[cfg(feature = "native")]
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use niochat_client::{ClientBuilder, Event, Status};
//!
//! let client = ClientBuilder::new("wss://chat.example.com/ws").token("jwt").build()?;
//! let mut events = client.events();
//! client.connect();
//! client.join("conversation-1").await?;
//! // Offline, this waits in the queue and goes out after the reconnect.
//! let ack = client.send_message("conversation-1", "Hello!").await?;
//! println!("stored as {} at {:?}", ack.message_id, ack.timestamp);
//! while let Some(event) = events.next().await {
//!     match event {
//!         Event::Message { message, .. } => println!("{}", message.content.text().unwrap_or_default()),
//!         Event::Status(Status::Reconnecting { attempt, delay, .. }) => {
//!             println!("reconnecting: attempt {attempt} in {delay:?}")
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok(()) }
//! ```
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod auth;
#[cfg(all(feature = "chaos", not(target_arch = "wasm32")))]
pub mod chaos;
pub mod core;
pub mod dialect;
pub mod engine;
pub mod model;
mod platform;

#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
mod native;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
mod web;

pub use auth::{AuthToken, SecretUrl};
pub use core::{
    Answer, BuildError, Client, ClientBuilder, EventStream, StatusStream, TokenError, TokenProvider,
};
pub use dialect::Backend;
pub use engine::{
    ClientMessageId, CommandError, ConnectionError, ConnectionErrorKind, DeliveryError, Event,
    GapReason, MemoryOutboxStore, MessageAck, MessageState, Metrics, Origin, OutboxStore, Refused,
    Status, StopReason, StoreError, StoredMessage,
};
pub use model::{ChatMessage, Content, Id, PresenceStatus, Timestamp};
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub use native::{Driver, FileOutboxStore};
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub use web::LocalStorageOutbox;

/// The README's Rust examples, compiled as doc tests so that they stay true.
#[cfg(all(doctest, feature = "native"))]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

/// The crate README's example (what crates.io shows), compiled too.
#[cfg(all(doctest, feature = "native"))]
#[doc = include_str!("../README.md")]
struct CrateReadme;

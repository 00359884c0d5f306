//! # niochat-client
//!
//! A real-time chat client SDK. Three layers, each usable on its own:
//!
//! - [`protocol`]: every frame of protocol 001 in both directions as a Rust type, and the
//!   [`WireCodec`](protocol::WireCodec) that reads and writes them. The decoder survives what real
//!   servers send: integer or string ids, naive / `Z` / offset timestamps, unknown frames.
//! - [`engine`]: the connection logic (status, reconnection with backoff, the offline queue,
//!   acknowledgements, keep-alive, re-join and sync, de-duplication, token refresh) as a pure
//!   state machine: it is fed commands, transport events and the current time, and returns
//!   actions. No I/O, no clock, no async runtime, so it runs the same natively, in the browser
//!   and behind FFI, and is tested on a virtual clock.
//! - the native client (feature `native`, on by default): [`Client`], a tokio +
//!   tokio-tungstenite driver around the engine, with `ws://` and `wss://` (rustls).
//!
//! Secrets stay secret: [`AuthToken`] and [`SecretUrl`] print `***` for the token everywhere.
//!
//! ```no_run
//! # #[cfg(feature = "native")]
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use niochat_client::ClientBuilder;
//! use niochat_client::engine::{Event, Status};
//!
//! let client = ClientBuilder::new("wss://chat.example.com/ws").token("jwt").build()?;
//! let mut events = client.events();
//! client.connect();
//! client.join("conversation-1").await?;
//! // Offline, this waits in the queue and goes out after the next connect.
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

pub mod auth;
pub mod engine;
pub mod protocol;

#[cfg(feature = "native")]
mod native;

#[cfg(feature = "native")]
pub use native::{
    BoxFuture, BuildError, Client, ClientBuilder, EventStream, TokenError, TokenProvider,
};

pub use auth::{AuthToken, SecretUrl};

/// The README's Rust examples, compiled as doc tests so that they stay true.
#[cfg(all(doctest, feature = "native"))]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

//! # niochat-client
//!
//! A real-time chat client SDK. Three layers, each usable on its own:
//!
//! - [`protocol`]: every frame of protocol 001 in both directions as a Rust type, and the
//!   [`WireCodec`](protocol::WireCodec) that reads and writes them.
//! - [`engine`]: the connection logic (status, reconnection with backoff, the offline queue,
//!   acknowledgements, keep-alive, re-join and sync, de-duplication, token refresh) as a pure
//!   state machine: it is fed commands, transport events and the current time, and returns
//!   actions. No I/O, no clock, no async runtime, so it runs the same natively, in the browser
//!   and behind FFI, and is tested on a virtual clock.
//! - `native` (feature `native`, on by default): [`Client`], a tokio + tokio-tungstenite driver
//!   around the engine, with `ws://` and `wss://` (rustls).
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

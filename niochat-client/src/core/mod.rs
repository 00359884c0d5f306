//! The runtime-free client: what every driver and binding shares.
//!
//! - [`Client`]: the handle applications hold, with a method per command that takes the
//!   command at once and returns an [`Answer`] to await.
//! - [`ClientBuilder`]: settings, validated before anything runs.
//! - [`ClientCore`]: the engine plus request tickets and their completions, event fan-out to
//!   subscribers, the current status, token requests matched to attempts. A driver (tokio,
//!   the browser, a foreign runtime) only does I/O around it: see [`DriverAction`].
//! - [`EventStream`] and [`StatusStream`]: unbounded streams that receive each burst of
//!   events as one batch, with one wake-up.
//!
//! Nothing here uses a clock, randomness or an async runtime: futures complete through
//! `futures-channel` oneshots, which work under any executor.

mod answer;
mod builder;
mod client;
mod command;
mod conectcrm;
mod driver_core;
mod queue;
mod shared;
mod tokens;

pub use answer::Answer;
pub use builder::{BuildError, ClientBuilder, CommandInbox};
pub use client::Client;
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub(crate) use client::InlineTurn;
pub use command::ClientCommand;
pub use conectcrm::ConectCrmAgent;
pub use driver_core::{ClientCore, DriverAction};
pub use queue::Subscription;
pub use shared::{EventStream, StatusStream};
pub use tokens::{BoxFuture, SendOutsideWasm, SyncOutsideWasm, TokenError, TokenProvider};

//! # niochat-wasm
//!
//! The JavaScript face of niochat, behind the `niochat` npm package: a thin wasm-bindgen
//! layer over `niochat-client`'s browser driver. It translates options, events, answers and
//! errors between Rust types and the shapes `niochat.d.ts` declares, and holds no chat logic:
//! reconnection, the queue, keep-alive, re-join and sync, the persisted outbox and the page's
//! life are all in the core.
//!
//! - [`convert`]: Rust values → the declared JSON shapes (pure, tested natively against the
//!   `.d.ts`).
//! - [`options`]: `ClientOptions` → `ClientBuilder`.
//! - `client` (wasm32 only): the `NioChatClient` class, listeners, promises, `NioChatError`.
#![deny(unsafe_code)]

pub mod convert;
pub mod options;

#[cfg(target_arch = "wasm32")]
mod client;

/// The TypeScript declarations of the package, also used by the drift test.
pub const TYPESCRIPT: &str = include_str!("niochat.d.ts");

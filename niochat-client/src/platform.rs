//! What differs between native targets and wasm32: whether values cross threads, and whether
//! a driver can send WebSocket pings.
//!
//! Natively the client's task may run on any thread of the runtime, so what the application
//! hands it (token providers, outbox stores) must be `Send + Sync`. In a browser everything
//! runs on one thread and JavaScript values are neither, so the bounds vanish there.

/// `Send` natively; nothing on wasm32, where nothing crosses threads.
#[cfg(not(target_arch = "wasm32"))]
pub trait SendOutsideWasm: Send {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Send> SendOutsideWasm for T {}
/// `Send` natively; nothing on wasm32, where nothing crosses threads.
#[cfg(target_arch = "wasm32")]
pub trait SendOutsideWasm {}
#[cfg(target_arch = "wasm32")]
impl<T> SendOutsideWasm for T {}

/// `Sync` natively; nothing on wasm32.
#[cfg(not(target_arch = "wasm32"))]
pub trait SyncOutsideWasm: Sync {}
#[cfg(not(target_arch = "wasm32"))]
impl<T: Sync> SyncOutsideWasm for T {}
/// `Sync` natively; nothing on wasm32.
#[cfg(target_arch = "wasm32")]
pub trait SyncOutsideWasm {}
#[cfg(target_arch = "wasm32")]
impl<T> SyncOutsideWasm for T {}

/// Whether drivers on this target can send WebSocket ping frames: natively yes; on wasm32 the
/// browser's (and Node's) `WebSocket` has no way to, so a backend whose keep-alive is the
/// WebSocket's own must not be watched there (every idle connection would look dead).
pub(crate) const SOCKET_PINGS: bool = cfg!(not(target_arch = "wasm32"));

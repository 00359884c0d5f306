//! What differs between native targets and wasm32: whether values cross threads.
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

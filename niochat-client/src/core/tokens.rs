//! Where tokens come from: the application's provider, asked before every attempt.

use std::future::Future;
use std::pin::Pin;

use crate::auth::AuthToken;

/// A boxed future, as token providers return them: `Send` natively, not on wasm32 (browser
/// futures are not).
#[cfg(not(target_arch = "wasm32"))]
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
/// A boxed future, as token providers return them: `Send` natively, not on wasm32 (browser
/// futures are not).
#[cfg(target_arch = "wasm32")]
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + 'static>>;

pub use crate::platform::{SendOutsideWasm, SyncOutsideWasm};

/// Why the token provider could not supply a token. Say why without quoting the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

/// Supplies a token for each connection attempt: a fresh one when `refresh` is true, which
/// means the server refused the previous one. A provider that does not answer within the
/// token timeout (15 s) counts as a failed attempt.
///
/// Any `Fn(bool) -> impl Future<Output = Result<AuthToken, TokenError>>` is a provider:
///
/// ```
/// # use niochat_client::{AuthToken, ClientBuilder, TokenError};
/// let builder = ClientBuilder::new("wss://chat.example.com/ws").token_provider(|refresh: bool| async move {
///     // Ask your identity service; `refresh` says the last token was refused.
///     Ok::<_, TokenError>(AuthToken::new(if refresh { "new" } else { "cached" }))
/// });
/// ```
pub trait TokenProvider: SendOutsideWasm + SyncOutsideWasm + 'static {
    /// A token for the next attempt.
    fn token(&self, refresh: bool) -> BoxFuture<Result<AuthToken, TokenError>>;
}

impl<F, Fut> TokenProvider for F
where
    F: Fn(bool) -> Fut + SendOutsideWasm + SyncOutsideWasm + 'static,
    Fut: Future<Output = Result<AuthToken, TokenError>> + SendOutsideWasm + 'static,
{
    fn token(&self, refresh: bool) -> BoxFuture<Result<AuthToken, TokenError>> {
        Box::pin(self(refresh))
    }
}

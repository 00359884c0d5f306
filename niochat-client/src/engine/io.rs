//! The engine's side of the contract with a driver: what it asks for, and what it is told.
//!
//! A driver (tokio, the browser, a test) loops: carry out every [`Action`] from
//! [`Engine::poll_action`](super::Engine::poll_action), report what the transport does as a
//! [`TransportEvent`], and call [`Engine::handle_timeout`](super::Engine::handle_timeout) at
//! [`Engine::poll_timeout`](super::Engine::poll_timeout).

use super::events::Event;
use super::status::ConnectionError;
use crate::auth::SecretUrl;

/// Names one connection attempt, so that events of an old socket are never taken for the
/// current one's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub(crate) u64);

/// Work for the driver.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Get a token for `connection` and pass it to [`Engine::handle_token`](super::Engine::handle_token).
    /// `refresh` is true when the server refused the previous one.
    RequestToken {
        /// The attempt the token is for.
        connection: ConnectionId,
        /// Whether the last token was refused.
        refresh: bool,
    },
    /// Open a WebSocket to `url`.
    Open {
        /// The attempt.
        connection: ConnectionId,
        /// Where; prints redacted.
        url: SecretUrl,
    },
    /// Send a text frame.
    Send {
        /// On which connection.
        connection: ConnectionId,
        /// The frame.
        text: String,
    },
    /// Close a connection (or abandon an attempt) with a close frame.
    Close {
        /// Which.
        connection: ConnectionId,
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// Deliver an event to the application.
    Emit(Event),
}

/// What happened on a connection.
#[derive(Clone, Debug, PartialEq)]
pub enum TransportEvent {
    /// The WebSocket handshake succeeded.
    Opened,
    /// A text frame arrived.
    Frame(String),
    /// A binary frame arrived (protocol 001 has none).
    Binary(Vec<u8>),
    /// The connection closed, with the close frame's code and reason if there was one.
    Closed {
        /// The close code (`None`: closed without a close frame).
        code: Option<u16>,
        /// The close reason.
        reason: String,
    },
    /// The handshake was answered with an HTTP error status.
    HandshakeRefused {
        /// The status.
        status: u16,
    },
    /// Opening failed, or the open connection failed.
    Failed(ConnectionError),
}

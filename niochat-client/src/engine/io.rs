//! The engine's side of the contract with a driver: what it asks for, and what it is told.
//!
//! A driver (tokio, the browser, a test) loops: carry out every [`Action`] from
//! [`Engine::poll_action`](super::Engine::poll_action), report what the transport does as a
//! [`TransportEvent`], and call [`Engine::handle_timeout`](super::Engine::handle_timeout) at
//! [`Engine::poll_timeout`](super::Engine::poll_timeout).

use std::fmt;

use super::errors::{ConnectionError, DeliveryError};
use super::events::{Event, Reply};
use crate::dialect::{ConnectRequest, RequestId};

/// Names one connection attempt, so that events of an old socket are never taken for the
/// current one's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnectionId(pub(crate) u64);

/// Work for the driver.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// Get a token for `connection` and pass it to
    /// [`Engine::handle_token`](super::Engine::handle_token) (or `handle_token_at` where the
    /// transport cannot see why a handshake failed). `refresh` is true when the
    /// server refused the previous one.
    RequestToken {
        /// The attempt the token is for.
        connection: ConnectionId,
        /// Whether the last token was refused.
        refresh: bool,
    },
    /// Open a WebSocket.
    Open {
        /// The attempt.
        connection: ConnectionId,
        /// What to open; its URL prints redacted.
        request: ConnectRequest,
    },
    /// Send a text frame. Its `Debug` shows only the length: frames can carry tokens
    /// (a Socket.IO CONNECT packet).
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
    /// Send a WebSocket ping control frame, on backends whose keep-alive is the WebSocket's
    /// own ([`KeepAliveMode::WebSocketPing`](crate::dialect::KeepAliveMode::WebSocketPing)).
    /// Report the pong as [`TransportEvent::Pong`]. Browsers cannot send one: a browser
    /// driver ignores it, and the connection is watched by its other traffic only.
    PingSocket {
        /// On which connection.
        connection: ConnectionId,
    },
    /// Deliver an event to the application.
    Emit(Event),
    /// A request the application made has its outcome.
    Complete {
        /// The request, as the command method returned it.
        request: RequestId,
        /// Its outcome.
        outcome: Result<Reply, DeliveryError>,
    },
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::RequestToken {
                connection,
                refresh,
            } => f
                .debug_struct("RequestToken")
                .field("connection", connection)
                .field("refresh", refresh)
                .finish(),
            Action::Open {
                connection,
                request,
            } => f
                .debug_struct("Open")
                .field("connection", connection)
                .field("request", request)
                .finish(),
            Action::Send { connection, text } => f
                .debug_struct("Send")
                .field("connection", connection)
                .field("bytes", &text.len())
                .finish(),
            Action::Close {
                connection,
                code,
                reason,
            } => f
                .debug_struct("Close")
                .field("connection", connection)
                .field("code", code)
                .field("reason", reason)
                .finish(),
            Action::PingSocket { connection } => f
                .debug_struct("PingSocket")
                .field("connection", connection)
                .finish(),
            Action::Emit(event) => f.debug_tuple("Emit").field(event).finish(),
            Action::Complete { request, outcome } => f
                .debug_struct("Complete")
                .field("request", request)
                .field("outcome", outcome)
                .finish(),
        }
    }
}

/// What happened on a connection.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum TransportEvent {
    /// The WebSocket handshake succeeded (the backend's own handshake may still be to come).
    Opened,
    /// A text frame arrived.
    Frame(String),
    /// A binary frame arrived.
    Binary(Vec<u8>),
    /// A WebSocket pong control frame arrived (the connection is alive).
    Pong,
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

//! The connection status an application shows, and why a connection failed.

use std::time::Duration;

/// Where the connection stands. Every change is reported as [`Event::Status`](super::Event::Status).
///
/// The document's five states, plus two terminal ones that say why the engine stopped trying:
/// only [`Engine::connect`](super::Engine::connect) or
/// [`Engine::reconnect`](super::Engine::reconnect) leave them.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// Not connected, and not trying: before `connect()` and after `disconnect()`.
    Disconnected,
    /// Opening the first connection after `connect()` or `reconnect()`.
    Connecting,
    /// Connected.
    Connected,
    /// The connection was lost; attempt `attempt` opens after `delay`.
    Reconnecting {
        /// This attempt's number, from 1.
        attempt: u32,
        /// The attempt budget (`None`: unlimited).
        max_attempts: Option<u32>,
        /// The wait before it, jitter included.
        delay: Duration,
    },
    /// A connection or an attempt just failed; the next status says what happens next.
    Error(ConnectionError),
    /// Terminal: every reconnection attempt failed.
    GaveUp {
        /// How many attempts were made.
        attempts: u32,
    },
    /// Terminal: the server refused the credentials, also after a token refresh.
    Unauthorized,
}

impl Status {
    /// A short name for the status, the document's vocabulary plus `gave_up` and `unauthorized`.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Disconnected => "disconnected",
            Status::Connecting => "connecting",
            Status::Connected => "connected",
            Status::Reconnecting { .. } => "reconnecting",
            Status::Error(_) => "error",
            Status::GaveUp { .. } => "gave_up",
            Status::Unauthorized => "unauthorized",
        }
    }

    /// Whether the engine stopped trying by itself.
    pub fn is_terminal(&self) -> bool {
        matches!(self, Status::GaveUp { .. } | Status::Unauthorized)
    }
}

/// Why a connection, or an attempt to open one, failed. Never contains the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectionError {
    /// The connection could not be opened (refused, unreachable, DNS, TLS).
    #[error("could not connect: {0}")]
    ConnectFailed(String),
    /// The server answered the WebSocket handshake with an HTTP error.
    #[error("the server refused the handshake with HTTP {status}")]
    HandshakeRefused {
        /// The HTTP status.
        status: u16,
    },
    /// Opening took longer than the connect timeout.
    #[error("no connection within {0:?}")]
    ConnectTimeout(Duration),
    /// The server closed the connection.
    #[error("the connection closed (code {code:?}, reason {reason:?})")]
    Closed {
        /// The close code, if the server sent a close frame.
        code: Option<u16>,
        /// The close reason.
        reason: String,
    },
    /// The connection failed while open.
    #[error("transport error: {0}")]
    Transport(String),
    /// Nothing arrived within the keep-alive timeout after a ping.
    #[error("no reply to keep-alive within {0:?}")]
    KeepAliveTimeout(Duration),
    /// The server sent a frame over the size limit.
    #[error("the server sent a frame over the {max}-byte limit")]
    FrameTooLarge {
        /// The limit.
        max: usize,
    },
    /// The application's token provider failed.
    #[error("the token provider failed: {0}")]
    TokenUnavailable(String),
}

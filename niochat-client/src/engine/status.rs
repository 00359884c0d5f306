//! The connection status an application shows, and why a connection failed.

use web_time::Duration;

use super::errors::ConnectionError;

/// Where the connection stands. Every change is reported as [`Event::Status`](super::Event::Status).
///
/// The document's five states, plus two terminal ones that say why the engine stopped trying:
/// only [`Engine::connect`](super::Engine::connect) or
/// [`Engine::reconnect`](super::Engine::reconnect) leave them.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Status {
    /// Not connected, and not trying: before `connect()` and after `disconnect()`.
    Disconnected,
    /// Opening the first connection after `connect()` or `reconnect()`.
    Connecting,
    /// Connected: the socket is open and the backend said the session is ready.
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

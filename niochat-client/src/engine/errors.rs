//! Every way a command or a connection can fail, split by concern and typed so that no
//! application has to parse a string:
//!
//! - [`Refused`]: the client did not take the command at all (nothing was queued or sent).
//! - [`DeliveryError`]: the command was taken, but its delivery ended badly.
//! - [`CommandError`]: either of the two, what an async command resolves with.
//! - [`ConnectionError`]: why a connection or an attempt failed, with a [`ConnectionErrorKind`].

use std::fmt;
use std::sync::Arc;

use web_time::Duration;

use super::events::ClientMessageId;
use crate::dialect::{CommandKind, Rejection};

/// The client did not take the command: nothing was queued, nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refused {
    /// The outgoing queue already holds `capacity` messages.
    #[error("the outgoing queue is full ({capacity} messages)")]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The frame would be larger than the outgoing size limit.
    #[error("the frame is {size} bytes, over the {max}-byte limit")]
    TooLarge {
        /// The encoded frame's size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// A chat message with no text (servers reject them).
    #[error("the message is empty")]
    Empty,
    /// The backend has no such command.
    #[error("the {backend} backend has no {command}")]
    Unsupported {
        /// The command.
        command: CommandKind,
        /// The backend's name.
        backend: &'static str,
    },
    /// This command is only sent on a live connection (typing, sync, ping).
    #[error("not connected")]
    NotConnected,
    /// The client is shut down.
    #[error("the client is shut down")]
    Closed,
}

impl From<crate::dialect::Unsupported> for Refused {
    fn from(unsupported: crate::dialect::Unsupported) -> Self {
        Refused::Unsupported {
            command: unsupported.command,
            backend: unsupported.backend,
        }
    }
}

/// Why the client stopped trying to deliver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// Every reconnection attempt failed.
    GaveUp,
    /// The server refused the credentials.
    Unauthorized,
    /// The application called `disconnect()`.
    Disconnected,
    /// The connection was lost before the answer came.
    ConnectionLost,
    /// The client was shut down.
    Shutdown,
    /// A later command made it moot (leaving a conversation before its join went out).
    Superseded,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StopReason::GaveUp => "the client gave up reconnecting",
            StopReason::Unauthorized => "the server refused the credentials",
            StopReason::Disconnected => "the client was disconnected",
            StopReason::ConnectionLost => "the connection was lost before the answer",
            StopReason::Shutdown => "the client was shut down",
            StopReason::Superseded => "a later command made it moot",
        })
    }
}

/// A command was taken, but its delivery ended badly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeliveryError {
    /// No answer came in time. The server may or may not have acted on it.
    #[error("no answer within {timeout:?}")]
    AckTimeout {
        /// How long the client waited.
        timeout: Duration,
    },
    /// The server answered with an error.
    #[error("the server rejected it: {0}")]
    Rejected(Rejection),
    /// It could not be delivered for now. `message` names a chat message; `still_queued` says
    /// whether it waits in the queue for the next `connect()` (the default) or was dropped.
    #[error("not delivered: {reason}{}", if *still_queued { " (still queued for the next connect)" } else { "" })]
    NotDelivered {
        /// The chat message, when it is one.
        message: Option<ClientMessageId>,
        /// Why.
        reason: StopReason,
        /// Whether it stays queued and goes out after the next `connect()`.
        still_queued: bool,
    },
}

/// What an async command resolves with when it fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// Not taken.
    #[error(transparent)]
    Refused(#[from] Refused),
    /// Taken, not delivered.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
}

/// What went wrong with a connection or an attempt to open one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionErrorKind {
    /// The host name could not be resolved.
    Dns,
    /// The host refused or could not be reached (TCP).
    Refused,
    /// The TLS handshake failed (certificate, protocol).
    Tls,
    /// Opening and the handshake took longer than the connect timeout.
    Timeout(Duration),
    /// The server answered the WebSocket handshake with an HTTP error.
    HttpStatus(u16),
    /// The server refused the credentials inside the protocol (Socket.IO `44`).
    AuthRefused,
    /// The connection closed; `code` is `None` without a close frame.
    Closed {
        /// The close code.
        code: Option<u16>,
        /// The close reason.
        reason: String,
    },
    /// Nothing arrived in time after a keep-alive ping (or the server's ping never came).
    KeepAliveTimeout(Duration),
    /// A request waited longer than the ack timeout on a backend that answers in order: the
    /// connection is out of step and no longer trusted, so it was replaced.
    AnswerOverdue(Duration),
    /// The server answered something that cannot answer the request it settles: out of step.
    OutOfStep,
    /// The server sent a frame over the incoming size limit.
    FrameTooLarge {
        /// The limit.
        max: usize,
    },
    /// The handshake failed without the transport saying why (a browser hides HTTP refusals)
    /// while the token had expired by its own `exp` claim, read unverified and with a minute's
    /// leeway: taken as the server refusing it (a refreshed token, then `Unauthorized`).
    TokenExpired,
    /// The application's token provider failed.
    TokenUnavailable,
    /// The application's token provider did not answer in time.
    TokenTimeout(Duration),
    /// Any other transport failure (reset, write failure).
    Transport,
}

impl ConnectionErrorKind {
    /// A stable short name (`keepAliveTimeout`, `authRefused`...), for bindings and logs.
    pub fn name(&self) -> &'static str {
        match self {
            ConnectionErrorKind::Dns => "dns",
            ConnectionErrorKind::Refused => "refused",
            ConnectionErrorKind::Tls => "tls",
            ConnectionErrorKind::Timeout(_) => "timeout",
            ConnectionErrorKind::HttpStatus(_) => "httpStatus",
            ConnectionErrorKind::AuthRefused => "authRefused",
            ConnectionErrorKind::Closed { .. } => "closed",
            ConnectionErrorKind::KeepAliveTimeout(_) => "keepAliveTimeout",
            ConnectionErrorKind::AnswerOverdue(_) => "answerOverdue",
            ConnectionErrorKind::OutOfStep => "outOfStep",
            ConnectionErrorKind::FrameTooLarge { .. } => "frameTooLarge",
            ConnectionErrorKind::TokenExpired => "tokenExpired",
            ConnectionErrorKind::TokenUnavailable => "tokenUnavailable",
            ConnectionErrorKind::TokenTimeout(_) => "tokenTimeout",
            ConnectionErrorKind::Transport => "transport",
        }
    }
}

/// Why a connection or an attempt failed: a [`kind`](Self::kind) to match on, and the
/// underlying error as [`source`](std::error::Error::source). Never contains the token.
#[derive(Clone)]
pub struct ConnectionError {
    kind: ConnectionErrorKind,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl ConnectionError {
    /// An error of `kind` with no underlying error.
    pub fn new(kind: ConnectionErrorKind) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source`. The source's text must hold no secret.
    pub fn with_source(
        kind: ConnectionErrorKind,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            source: Some(Arc::new(source)),
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ConnectionErrorKind {
        &self.kind
    }
}

impl From<ConnectionErrorKind> for ConnectionError {
    fn from(kind: ConnectionErrorKind) -> Self {
        Self::new(kind)
    }
}

/// Errors compare by kind: the underlying error is detail.
impl PartialEq for ConnectionError {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

impl Eq for ConnectionError {}

impl fmt::Debug for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ConnectionError");
        debug.field("kind", &self.kind);
        if let Some(source) = &self.source {
            debug.field("source", &source.to_string());
        }
        debug.finish()
    }
}

impl fmt::Display for ConnectionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ConnectionErrorKind::Dns => write!(f, "the host name could not be resolved"),
            ConnectionErrorKind::Refused => write!(f, "the host refused the connection"),
            ConnectionErrorKind::Tls => write!(f, "the TLS handshake failed"),
            ConnectionErrorKind::Timeout(after) => write!(f, "no connection within {after:?}"),
            ConnectionErrorKind::HttpStatus(status) => {
                write!(f, "the server refused the handshake with HTTP {status}")
            }
            ConnectionErrorKind::AuthRefused => write!(f, "the server refused the credentials"),
            ConnectionErrorKind::Closed {
                code: Some(code),
                reason,
            } => {
                write!(f, "the connection closed with code {code}")?;
                match reason.is_empty() {
                    true => Ok(()),
                    false => write!(f, " ({reason})"),
                }
            }
            ConnectionErrorKind::Closed { code: None, .. } => {
                write!(f, "the connection closed without a close frame")
            }
            ConnectionErrorKind::KeepAliveTimeout(after) => {
                write!(f, "no sign of life within {after:?}")
            }
            ConnectionErrorKind::AnswerOverdue(after) => {
                write!(f, "an answer was overdue by {after:?}: connection replaced")
            }
            ConnectionErrorKind::OutOfStep => {
                write!(
                    f,
                    "the server's answers were out of step: connection replaced"
                )
            }
            ConnectionErrorKind::FrameTooLarge { max } => {
                write!(f, "the server sent a frame over the {max}-byte limit")
            }
            ConnectionErrorKind::TokenExpired => write!(
                f,
                "the handshake failed and the token has expired (by its exp claim)"
            ),
            ConnectionErrorKind::TokenUnavailable => write!(f, "the token provider failed"),
            ConnectionErrorKind::TokenTimeout(after) => {
                write!(f, "the token provider did not answer within {after:?}")
            }
            ConnectionErrorKind::Transport => write!(f, "the connection failed"),
        }?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConnectionError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// An underlying error given as text (already free of secrets).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Detail(pub String);

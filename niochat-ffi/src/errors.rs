//! The one error type foreign code sees, mapped from the core's errors in one place.

use niochat_client::{CommandError, DeliveryError, Refused, StopReason};

/// What a command or a setting failed with. Kotlin and Swift see a sealed class / an enum with
/// these cases, each with a message that never holds a token.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum NioChatError {
    /// The server refused the credentials, also after a token refresh.
    #[error("unauthorized: {message}")]
    Unauthorized { message: String },
    /// The offline queue is full.
    #[error("queue full: {message}")]
    QueueFull { message: String },
    /// The message or frame is over the size limit.
    #[error("too large: {message}")]
    TooLarge { message: String },
    /// No answer in time.
    #[error("timeout: {message}")]
    Timeout { message: String },
    /// The server (or the client, for an empty message) rejected it.
    #[error("rejected: {message}")]
    Rejected { message: String },
    /// The backend has no such command.
    #[error("unsupported: {message}")]
    Unsupported { message: String },
    /// The client is closed.
    #[error("closed: {message}")]
    Closed { message: String },
    /// A setting is invalid.
    #[error("invalid config: {message}")]
    InvalidConfig { message: String },
    /// Not connected, or the connection failed; the message may still be queued.
    #[error("transport: {message}")]
    Transport { message: String },
}

impl From<CommandError> for NioChatError {
    fn from(error: CommandError) -> Self {
        let message = error.to_string();
        match error {
            CommandError::Refused(refused) => match refused {
                Refused::QueueFull { .. } => Self::QueueFull { message },
                Refused::TooLarge { .. } => Self::TooLarge { message },
                Refused::Empty => Self::Rejected { message },
                Refused::Unsupported { .. } => Self::Unsupported { message },
                Refused::Closed => Self::Closed { message },
                _ => Self::Transport { message },
            },
            CommandError::Delivery(delivery) => match delivery {
                DeliveryError::AckTimeout { .. } => Self::Timeout { message },
                DeliveryError::Rejected(_) => Self::Rejected { message },
                DeliveryError::NotDelivered {
                    reason: StopReason::Unauthorized,
                    ..
                } => Self::Unauthorized { message },
                _ => Self::Transport { message },
            },
            _ => Self::Transport { message },
        }
    }
}

impl From<Refused> for NioChatError {
    fn from(refused: Refused) -> Self {
        CommandError::Refused(refused).into()
    }
}

/// A foreign callback threw something it did not declare.
impl From<uniffi::UnexpectedUniFFICallbackError> for NioChatError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Transport {
            message: format!("a callback failed: {}", error.reason),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_error_maps_to_its_case() {
        let queue = NioChatError::from(Refused::QueueFull { capacity: 1 });
        assert!(matches!(queue, NioChatError::QueueFull { .. }));
        let closed = NioChatError::from(Refused::Closed);
        assert!(matches!(closed, NioChatError::Closed { .. }));
        let unauthorized =
            NioChatError::from(CommandError::Delivery(DeliveryError::NotDelivered {
                message: None,
                reason: StopReason::Unauthorized,
                still_queued: true,
            }));
        assert!(matches!(unauthorized, NioChatError::Unauthorized { .. }));
        let timeout = NioChatError::from(CommandError::Delivery(DeliveryError::AckTimeout {
            timeout: std::time::Duration::from_secs(1),
        }));
        assert!(matches!(timeout, NioChatError::Timeout { .. }));
    }
}

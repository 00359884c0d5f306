//! The one error type foreign code sees, mapped from the core's errors in one place.

use niochat_client::{BuildError, CommandError, DeliveryError, Refused, StopReason};

/// What a command or a setting failed with. Kotlin and Swift see a sealed class / an enum with
/// these cases, each with a `detail` that never holds a token.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[non_exhaustive]
pub enum NioChatError {
    /// The server refused the credentials, also after a token refresh.
    #[error("unauthorized: {detail}")]
    Unauthorized { detail: String },
    /// The offline queue is full.
    #[error("queue full: {detail}")]
    QueueFull { detail: String },
    /// The message or frame is over the size limit.
    #[error("too large: {detail}")]
    TooLarge { detail: String },
    /// No answer in time.
    #[error("timeout: {detail}")]
    Timeout { detail: String },
    /// The server (or the client, for an empty message) rejected it.
    #[error("rejected: {detail}")]
    Rejected { detail: String },
    /// The backend has no such command.
    #[error("unsupported: {detail}")]
    Unsupported { detail: String },
    /// The client is closed.
    #[error("closed: {detail}")]
    Closed { detail: String },
    /// A setting is invalid.
    #[error("invalid config: {detail}")]
    InvalidConfig { detail: String },
    /// The outbox storage failed: its `load` threw when the client was built (the client is
    /// not made, so that the messages it holds are not forgotten). A storage may also throw
    /// it from `save` or `remove`; the client then reports `Event.StorageFailed`.
    #[error("storage: {detail}")]
    Storage { detail: String },
    /// Not connected, or the connection failed; the message may still be queued.
    #[error("transport: {detail}")]
    Transport { detail: String },
}

impl From<CommandError> for NioChatError {
    fn from(error: CommandError) -> Self {
        let detail = error.to_string();
        match error {
            CommandError::Refused(refused) => match refused {
                Refused::QueueFull { .. } => Self::QueueFull { detail },
                Refused::TooLarge { .. } => Self::TooLarge { detail },
                Refused::Empty => Self::Rejected { detail },
                Refused::Unsupported { .. } => Self::Unsupported { detail },
                Refused::Closed => Self::Closed { detail },
                _ => Self::Transport { detail },
            },
            CommandError::Delivery(delivery) => match delivery {
                DeliveryError::AckTimeout { .. } => Self::Timeout { detail },
                DeliveryError::Rejected(_) => Self::Rejected { detail },
                DeliveryError::NotDelivered {
                    reason: StopReason::Unauthorized,
                    ..
                } => Self::Unauthorized { detail },
                // The app closed the client: nothing more goes out.
                DeliveryError::NotDelivered {
                    reason: StopReason::Shutdown,
                    ..
                } => Self::Closed { detail },
                // Not connected (before `connect()`, after `disconnect()`): the client is
                // open and the message, still queued, goes out on the next `connect()`. As
                // `Closed` an app would have sent it again: twice.
                _ => Self::Transport { detail },
            },
            _ => Self::Transport { detail },
        }
    }
}

/// Why a client could not be made: a setting, or its outbox storage.
impl From<BuildError> for NioChatError {
    fn from(error: BuildError) -> Self {
        match error {
            // The storage's own words (a foreign storage's already say `storage: ...`).
            BuildError::Storage(failure) => Self::Storage { detail: failure.0 },
            // As before `Storage` existed: everything else is the settings' fault.
            other => Self::InvalidConfig {
                detail: other.to_string(),
            },
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
            detail: format!("a callback failed: {}", error.reason),
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
        let shut = NioChatError::from(CommandError::Delivery(DeliveryError::NotDelivered {
            message: None,
            reason: StopReason::Shutdown,
            still_queued: false,
        }));
        assert!(matches!(shut, NioChatError::Closed { .. }));
        let lost = NioChatError::from(CommandError::Delivery(DeliveryError::NotDelivered {
            message: None,
            reason: StopReason::GaveUp,
            still_queued: true,
        }));
        assert!(matches!(lost, NioChatError::Transport { .. }));
        let not_connected =
            NioChatError::from(CommandError::Delivery(DeliveryError::NotDelivered {
                message: None,
                reason: StopReason::Disconnected,
                still_queued: true,
            }));
        assert!(
            matches!(not_connected, NioChatError::Transport { .. }),
            "{not_connected:?}"
        );
    }

    #[test]
    fn a_storage_that_cannot_load_is_a_storage_error_and_a_bad_setting_a_config_error() {
        let storage = NioChatError::from(BuildError::Storage(niochat_client::StoreError(
            "disk gone".into(),
        )));
        assert!(
            matches!(&storage, NioChatError::Storage { detail } if detail == "disk gone"),
            "{storage:?}"
        );
        let endpoint = NioChatError::from(BuildError::InvalidEndpoint);
        assert!(matches!(endpoint, NioChatError::InvalidConfig { .. }));
    }
}

//! What the app implements in Kotlin, Swift or Python: where tokens come from and where the
//! outbox is kept. Each is adapted here to the core's trait, nothing more.

use std::sync::Arc;

use niochat_client::core::BoxFuture;
use niochat_client::{AuthToken, OutboxStore, StoreError, TokenError};

use crate::errors::NioChatError;
use crate::records::StoredMessage;

/// Gives a token before each connection attempt.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait TokenProvider: Send + Sync {
    /// A token for the next attempt; `refresh` is true after the server refused the last one.
    async fn token(&self, refresh: bool) -> Result<String, NioChatError>;
}

/// Keeps the outbox where the app wants it (a database, a file, preferences), so that
/// messages queued before the app was killed are sent when it starts again.
#[uniffi::export(with_foreign)]
pub trait OutboxStorage: Send + Sync {
    /// Every message saved and not removed.
    fn load(&self) -> Result<Vec<StoredMessage>, NioChatError>;
    /// Keeps a new message.
    fn save(&self, message: StoredMessage) -> Result<(), NioChatError>;
    /// Forgets a message (unknown ids are not an error).
    fn remove(&self, id: u64) -> Result<(), NioChatError>;
}

pub(crate) struct ForeignTokens(pub(crate) Arc<dyn TokenProvider>);

impl niochat_client::TokenProvider for ForeignTokens {
    fn token(&self, refresh: bool) -> BoxFuture<Result<AuthToken, TokenError>> {
        let provider = self.0.clone();
        Box::pin(async move {
            match provider.token(refresh).await {
                Ok(token) => Ok(AuthToken::new(token)),
                // The app's error text, never the token itself.
                Err(error) => Err(TokenError(error.to_string())),
            }
        })
    }
}

pub(crate) struct ForeignStore(pub(crate) Arc<dyn OutboxStorage>);

fn store_error(error: NioChatError) -> StoreError {
    StoreError(error.to_string())
}

impl OutboxStore for ForeignStore {
    fn load(&self) -> Result<Vec<niochat_client::StoredMessage>, StoreError> {
        let messages = self.0.load().map_err(store_error)?;
        Ok(messages
            .into_iter()
            .map(|m| niochat_client::StoredMessage::new(m.id, m.conversation_id, m.content))
            .collect())
    }

    fn save(&self, message: &niochat_client::StoredMessage) -> Result<(), StoreError> {
        self.0
            .save(StoredMessage {
                id: message.id,
                conversation_id: message.conversation_id.to_string(),
                content: message.content.clone(),
            })
            .map_err(store_error)
    }

    fn remove(&self, id: u64) -> Result<(), StoreError> {
        self.0.remove(id).map_err(store_error)
    }
}

//! Where the outbox keeps its messages so that they outlive the process.
//!
//! A chat message typed just before the tab closes, the app is killed or the laptop dies
//! must still go out, once, when the app starts again. The outbox writes every message it
//! takes to an [`OutboxStore`] and removes it once it is acknowledged or failed; a new
//! client on the same store queues what is left, in its original order and with its
//! original id, before anything new. The calls are synchronous and small (one message each),
//! which every platform's storage can do: a file natively, `localStorage` in a browser, a
//! foreign-language callback on mobile.
//!
//! Delivery stays at-least-once: a message whose acknowledgement was lost in the crash is
//! sent again and de-duplicated like any resend.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::model::Id;
use crate::platform::{SendOutsideWasm, SyncOutsideWasm};

/// A message waiting in the outbox, as a store keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredMessage {
    /// Its client-side id ([`ClientMessageId::get`](super::ClientMessageId::get)): unique
    /// across restarts, because a client on a store numbers new messages after the highest
    /// id it found there.
    pub id: u64,
    /// Its conversation.
    pub conversation_id: Id,
    /// Its text.
    pub content: String,
}

impl StoredMessage {
    /// A stored message (for store implementations and their tests).
    pub fn new(id: u64, conversation_id: impl Into<Id>, content: impl Into<String>) -> Self {
        Self {
            id,
            conversation_id: conversation_id.into(),
            content: content.into(),
        }
    }
}

/// Why a store could not read or write (a full disk, a quota, a broken file). The text says
/// what failed; it never holds a token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("outbox storage failed: {0}")]
pub struct StoreError(pub String);

/// Persistent storage for the outbox. Implement it over whatever the platform offers; every
/// method is called from the client's own task, one call at a time.
///
/// A failed `save` does not refuse the message: it is sent as usual (it is only not safe from
/// a crash), and the application hears of it as [`Event::StorageFailed`](super::Event).
pub trait OutboxStore: SendOutsideWasm + SyncOutsideWasm + 'static {
    /// Every message saved and not removed, in any order.
    fn load(&self) -> Result<Vec<StoredMessage>, StoreError>;
    /// Keeps `message` (a new one: its id was never saved before).
    fn save(&self, message: &StoredMessage) -> Result<(), StoreError>;
    /// Forgets the message with this id; forgetting an unknown id is not an error.
    fn remove(&self, id: u64) -> Result<(), StoreError>;
}

impl std::fmt::Debug for dyn OutboxStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OutboxStore")
    }
}

/// An [`OutboxStore`] in memory: it outlives a client, not the process. Share one between a
/// client and its replacement (a hot reload, a component mounted twice, a new login) and the
/// replacement sends what the first left unsent.
#[derive(Clone, Debug, Default)]
pub struct MemoryOutboxStore {
    messages: Arc<Mutex<BTreeMap<u64, StoredMessage>>>,
}

impl MemoryOutboxStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn messages(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, StoredMessage>> {
        self.messages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many messages it holds.
    pub fn len(&self) -> usize {
        self.messages().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl OutboxStore for MemoryOutboxStore {
    fn load(&self) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.messages().values().cloned().collect())
    }

    fn save(&self, message: &StoredMessage) -> Result<(), StoreError> {
        self.messages().insert(message.id, message.clone());
        Ok(())
    }

    fn remove(&self, id: u64) -> Result<(), StoreError> {
        self.messages().remove(&id);
        Ok(())
    }
}

//! [`LocalStorageOutbox`]: the outbox in the browser's `localStorage`.
//!
//! `localStorage` is synchronous, survives closing the tab and the browser, and holds a few
//! megabytes per origin: enough for an outbox of a few hundred short messages, which is all
//! this keeps (IndexedDB is asynchronous and would not fit a synchronous store for no gain
//! at this size). The list is one JSON array under one key, rewritten on every change.
//!
//! Two tabs of the same app share `localStorage`: give each client its own key (per user,
//! per tab if tabs must not take over each other's messages).

use std::cell::RefCell;
use std::collections::BTreeMap;

use web_sys::Storage;

use crate::engine::{OutboxStore, StoreError, StoredMessage};

/// An [`OutboxStore`] in `localStorage` under one key.
pub struct LocalStorageOutbox {
    key: String,
    storage: Storage,
    messages: RefCell<BTreeMap<u64, StoredMessage>>,
}

impl std::fmt::Debug for LocalStorageOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStorageOutbox")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl LocalStorageOutbox {
    /// The store under `key`, with what it holds. Fails where there is no `localStorage`
    /// (a worker, storage disabled) or its content cannot be read: those messages would be
    /// lost, so it is an error rather than an empty store.
    pub fn open(key: impl Into<String>) -> Result<Self, StoreError> {
        let key = key.into();
        let storage = web_sys::window()
            .and_then(|window| window.local_storage().ok().flatten())
            .ok_or_else(|| StoreError("localStorage is not available here".into()))?;
        let stored = storage
            .get_item(&key)
            .map_err(|_| StoreError(format!("cannot read localStorage key {key:?}")))?;
        let list: Vec<StoredMessage> = match stored {
            Some(json) => serde_json::from_str(&json)
                .map_err(|error| StoreError(format!("localStorage key {key:?}: {error}")))?,
            None => Vec::new(),
        };
        Ok(Self {
            key,
            storage,
            messages: RefCell::new(list.into_iter().map(|m| (m.id, m)).collect()),
        })
    }

    fn write(&self, messages: &BTreeMap<u64, StoredMessage>) -> Result<(), StoreError> {
        if messages.is_empty() {
            return self
                .storage
                .remove_item(&self.key)
                .map_err(|_| StoreError(format!("cannot write localStorage key {:?}", self.key)));
        }
        let list: Vec<&StoredMessage> = messages.values().collect();
        let json = serde_json::to_string(&list).map_err(|error| StoreError(error.to_string()))?;
        self.storage.set_item(&self.key, &json).map_err(|_| {
            StoreError(format!(
                "cannot write localStorage key {:?} (quota exceeded?)",
                self.key
            ))
        })
    }
}

impl OutboxStore for LocalStorageOutbox {
    fn load(&self) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.messages.borrow().values().cloned().collect())
    }

    fn save(&self, message: &StoredMessage) -> Result<(), StoreError> {
        let mut messages = self.messages.borrow_mut();
        messages.insert(message.id, message.clone());
        self.write(&messages)
    }

    fn remove(&self, id: u64) -> Result<(), StoreError> {
        let mut messages = self.messages.borrow_mut();
        if messages.remove(&id).is_some() {
            self.write(&messages)?;
        }
        Ok(())
    }
}

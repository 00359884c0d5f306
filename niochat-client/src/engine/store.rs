//! Where the outbox keeps its messages so that they outlive the process.
//!
//! A chat message typed just before the tab closes, the app is killed or the laptop dies
//! must still go out, once, when the app starts again. The outbox writes every message it
//! takes to an [`OutboxStore`] and removes it once it is acknowledged or failed; a new
//! client on the same store queues what is left, in its original order and with its
//! original id, before anything new. (A browser tab taking over what several tabs left
//! numbers a tab's messages anew if their ids clash with another tab's: `merge_stored`.)
//! The calls are synchronous and small (one message each), which every platform's storage
//! can do: a file natively, `localStorage` in a browser, a foreign-language callback on
//! mobile.
//!
//! Delivery stays at-least-once: a message whose acknowledgement was lost in the crash is
//! sent again and de-duplicated like any resend.

use std::collections::{BTreeMap, BTreeSet};
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
    /// Where it was first stored, for stores that take over each other's messages (the
    /// browser's `LocalStorageOutbox`): copies of one message, as a crash in the middle of
    /// a take-over or a tab writing its key again can leave, carry the same origin and are
    /// queued once. `None` elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl StoredMessage {
    /// A stored message (for store implementations and their tests).
    pub fn new(id: u64, conversation_id: impl Into<Id>, content: impl Into<String>) -> Self {
        Self {
            id,
            conversation_id: conversation_id.into(),
            content: content.into(),
            origin: None,
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

/// One list of the messages that several stores left, for a store that takes them over (a
/// browser tab taking over the outboxes of tabs since closed): every message once, each
/// part in its own order. A part keeps its ids when none is taken by an earlier part, so a
/// client that takes over a single store (the common case: the same app restarted) keeps
/// every message's id. A part with a clashing id (two stores numbered from the same start)
/// is numbered anew after the highest id, in its order: the outbox keeps one message per id
/// and sends by id, so a clash would otherwise drop a message or reorder a conversation. A
/// message whose [`origin`](StoredMessage::origin) an earlier one has is a copy: left out.
#[cfg_attr(not(all(feature = "web", target_arch = "wasm32")), allow(dead_code))]
pub(crate) fn merge_stored(parts: Vec<Vec<StoredMessage>>) -> BTreeMap<u64, StoredMessage> {
    let highest = parts.iter().flatten().map(|message| message.id).max();
    let mut next = highest.map_or(1, |id| id.saturating_add(1));
    let mut merged = BTreeMap::new();
    let mut origins = BTreeSet::new();
    for part in parts {
        // In id order, one message per id (maps rather than sorts: the npm package's size),
        // and none that is a copy of one already taken.
        let part: BTreeMap<u64, StoredMessage> = part
            .into_iter()
            .filter(|message| message.origin.as_ref().is_none_or(|o| !origins.contains(o)))
            .map(|message| (message.id, message))
            .collect();
        origins.extend(part.values().filter_map(|message| message.origin.clone()));
        let clashes = part.keys().any(|id| merged.contains_key(id));
        for (_, mut message) in part {
            if clashes {
                message.id = next;
                next = next.saturating_add(1);
            }
            merged.insert(message.id, message);
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In the order the outbox sends them: by id.
    fn ids_and_texts(messages: &BTreeMap<u64, StoredMessage>) -> Vec<(u64, &str)> {
        messages
            .iter()
            .map(|(id, message)| {
                assert_eq!(*id, message.id);
                (message.id, message.content.as_str())
            })
            .collect()
    }

    #[test]
    fn one_part_keeps_its_ids_in_order() {
        let part = vec![
            StoredMessage::new(7, "c", "b"),
            StoredMessage::new(3, "c", "a"),
        ];
        let merged = merge_stored(vec![part]);
        assert_eq!(ids_and_texts(&merged), [(3, "a"), (7, "b")]);
    }

    #[test]
    fn a_part_with_a_clashing_id_is_numbered_anew_in_its_order() {
        // Two tabs on one outbox, both numbering from 1.
        let first = vec![
            StoredMessage::new(1, "c", "one"),
            StoredMessage::new(2, "c", "two"),
        ];
        let second = vec![
            StoredMessage::new(5, "c", "cinco"),
            StoredMessage::new(1, "c", "uno"),
        ];
        let merged = merge_stored(vec![first, second]);
        assert_eq!(
            ids_and_texts(&merged),
            [(1, "one"), (2, "two"), (6, "uno"), (7, "cinco")]
        );
        assert_eq!(merged.len(), 4, "none dropped");
    }

    #[test]
    fn parts_without_clashes_keep_their_ids() {
        let first = vec![
            StoredMessage::new(1, "c", "a1"),
            StoredMessage::new(3, "c", "a3"),
        ];
        let second = vec![StoredMessage::new(2, "c", "b2")];
        let merged = merge_stored(vec![first, second]);
        assert_eq!(ids_and_texts(&merged), [(1, "a1"), (2, "b2"), (3, "a3")]);
    }

    #[test]
    fn copies_of_one_message_are_taken_once_and_messages_without_an_origin_always() {
        let copy = |id, origin: Option<&str>| {
            let mut message = StoredMessage::new(id, "c", "same text");
            message.origin = origin.map(str::to_owned);
            message
        };
        // A tab's key written again after another took it over: two copies of `a:1`.
        let merged = merge_stored(vec![
            vec![copy(1, Some("a:1")), copy(2, None)],
            vec![copy(1, Some("a:1")), copy(5, Some("b:1")), copy(2, None)],
        ]);
        let origins: Vec<Option<&str>> = merged
            .values()
            .map(|message| message.origin.as_deref())
            .collect();
        assert_eq!(
            origins,
            [Some("a:1"), None, None, Some("b:1")],
            "one copy of a:1; both messages without an origin"
        );
    }

    #[test]
    fn nothing_stored_is_nothing_merged() {
        assert!(merge_stored(Vec::new()).is_empty());
        assert!(merge_stored(vec![Vec::new(), Vec::new()]).is_empty());
    }

    #[test]
    fn a_restored_merge_queues_every_message() {
        // What the outbox does with the list: one entry per id, none dropped.
        let store = MemoryOutboxStore::new();
        let parts = vec![
            vec![StoredMessage::new(1, "c", "a")],
            vec![StoredMessage::new(1, "c", "b")],
        ];
        for message in merge_stored(parts).values() {
            store.save(message).unwrap();
        }
        assert_eq!(store.len(), 2);
    }
}

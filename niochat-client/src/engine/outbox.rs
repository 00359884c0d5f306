//! The outgoing chat messages, from `send_message` until the server acknowledges them.
//!
//! Messages wait here in the order they were sent. Those written on the current connection
//! form a prefix of the queue; the rest wait for a connection. Each written message is also a
//! ticket in the connection's [ledger](super::ledger), which matches its answer. A connection
//! that dies takes its ledger with it and every written, unacknowledged message becomes unsent
//! again, keeping its place, so it is written first on the next connection (at-least-once).
//!
//! With an [`OutboxStore`] every message is also saved when queued and removed when
//! settled, so that a new client on the same store can take over what was left.

use std::collections::VecDeque;
use std::sync::Arc;

use super::errors::Refused;
use super::events::ClientMessageId;
use super::store::{OutboxStore, StoreError, StoredMessage};
use crate::model::Id;

#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) id: ClientMessageId,
    pub(crate) conversation_id: Id,
    pub(crate) content: String,
    /// How many times its answer was overdue.
    pub(crate) timeouts: u32,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    capacity: usize,
    pending: VecDeque<Pending>,
    /// `pending[..written]` are written on the current connection; the rest are not.
    written: usize,
    next_id: u64,
    store: Option<Arc<dyn OutboxStore>>,
    /// Store failures not yet reported to the application.
    store_failures: Vec<StoreError>,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            pending: VecDeque::new(),
            written: 0,
            next_id: 1,
            store: None,
            store_failures: Vec::new(),
        }
    }

    /// Keeps every message in `store` from now on, after queueing what it holds (oldest id
    /// first, even beyond the capacity: nothing stored is dropped). Returns the restored
    /// messages' ids and conversations.
    pub(crate) fn restore(
        &mut self,
        store: Arc<dyn OutboxStore>,
    ) -> Result<Vec<(ClientMessageId, Id)>, StoreError> {
        let mut stored = store.load()?;
        stored.sort_by_key(|message| message.id);
        stored.dedup_by_key(|message| message.id);
        let mut restored = Vec::with_capacity(stored.len());
        for message in stored {
            let id = ClientMessageId(message.id);
            self.next_id = self.next_id.max(message.id.saturating_add(1));
            // Ids already queued in this client (none, normally) keep their own entry.
            if self.get(id).is_some() {
                continue;
            }
            restored.push((id, message.conversation_id.clone()));
            self.pending.push_back(Pending {
                id,
                conversation_id: message.conversation_id,
                content: message.content,
                timeouts: 0,
            });
        }
        self.store = Some(store);
        Ok(restored)
    }

    /// Store failures since the last call, to report.
    pub(crate) fn take_store_failures(&mut self) -> Vec<StoreError> {
        std::mem::take(&mut self.store_failures)
    }

    fn stored(&mut self, outcome: Result<(), StoreError>) {
        if let Err(error) = outcome {
            tracing::warn!(%error, "outbox store");
            self.store_failures.push(error);
        }
    }

    /// Queues a message, or refuses it when the outbox is full.
    pub(crate) fn push(
        &mut self,
        conversation_id: Id,
        content: String,
    ) -> Result<ClientMessageId, Refused> {
        if self.pending.len() >= self.capacity {
            return Err(Refused::QueueFull {
                capacity: self.capacity,
            });
        }
        let id = ClientMessageId(self.next_id);
        self.next_id += 1;
        if let Some(store) = &self.store {
            let saved = store.save(&StoredMessage::new(
                id.0,
                conversation_id.clone(),
                &*content,
            ));
            self.stored(saved);
        }
        self.pending.push_back(Pending {
            id,
            conversation_id,
            content,
            timeouts: 0,
        });
        Ok(id)
    }

    /// The next message waiting to be written, marked as written.
    pub(crate) fn write_next(&mut self) -> Option<&mut Pending> {
        let pending = self.pending.get_mut(self.written)?;
        self.written += 1;
        Some(pending)
    }

    /// Puts back the conversation and text of message `id`, taken out of it to write its
    /// frame (rather than copied: copies of them were 3 % of a pipelined send's samples), if
    /// the message is still queued. It is the last one written.
    pub(crate) fn give_back(&mut self, id: ClientMessageId, conversation_id: Id, content: String) {
        let mut written = self.pending.range_mut(..self.written).rev();
        if let Some(pending) = written.find(|pending| pending.id == id) {
            pending.conversation_id = conversation_id;
            pending.content = content;
        }
    }

    /// Takes a message out (acknowledged, rejected or failed).
    pub(crate) fn remove(&mut self, id: ClientMessageId) -> Option<Pending> {
        // Answers mostly come in order: the message is almost always at the front.
        let index = self.pending.iter().position(|pending| pending.id == id)?;
        if index < self.written {
            self.written -= 1;
        }
        if let Some(store) = &self.store {
            let removed = store.remove(id.0);
            self.stored(removed);
        }
        self.pending.remove(index)
    }

    /// The connection is gone: every written message waits to be written again, in its place.
    pub(crate) fn connection_lost(&mut self) {
        self.written = 0;
    }

    /// Every message, oldest first (to report them held, or drop them).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Pending> {
        self.pending.iter()
    }

    /// Drops every message.
    pub(crate) fn clear(&mut self) -> Vec<Pending> {
        self.written = 0;
        let cleared: Vec<Pending> = self.pending.drain(..).collect();
        if let Some(store) = self.store.clone() {
            for pending in &cleared {
                let removed = store.remove(pending.id.0);
                self.stored(removed);
            }
        }
        cleared
    }

    /// A message still waiting for its acknowledgement.
    pub(crate) fn get(&self, id: ClientMessageId) -> Option<&Pending> {
        self.pending.iter().find(|pending| pending.id == id)
    }

    /// A message's answer was overdue; returns how many times that happened now.
    pub(crate) fn timed_out(&mut self, id: ClientMessageId) -> u32 {
        match self.pending.iter_mut().find(|pending| pending.id == id) {
            Some(pending) => {
                pending.timeouts += 1;
                pending.timeouts
            }
            None => 0,
        }
    }

    /// How many messages wait for an acknowledgement, queued or written.
    pub(crate) fn depth(&self) -> usize {
        self.pending.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_all(outbox: &mut Outbox) -> Vec<String> {
        std::iter::from_fn(|| outbox.write_next().map(|pending| pending.content.clone())).collect()
    }

    #[test]
    fn a_full_outbox_refuses_and_keeps_what_it_has() {
        let mut outbox = Outbox::new(2);
        outbox.push("c".into(), "m1".into()).unwrap();
        outbox.push("c".into(), "m2".into()).unwrap();
        assert_eq!(
            outbox.push("c".into(), "m3".into()),
            Err(Refused::QueueFull { capacity: 2 })
        );
        assert_eq!(outbox.depth(), 2);
    }

    #[test]
    fn a_text_taken_out_to_write_comes_back_unless_the_message_left() {
        let mut outbox = Outbox::new(10);
        let first = outbox.push("c".into(), "m1".into()).unwrap();
        let second = outbox.push("c".into(), "m2".into()).unwrap();
        let lend = |pending: &mut Pending| {
            let conversation = std::mem::replace(&mut pending.conversation_id, Id::Number(0));
            (conversation, std::mem::take(&mut pending.content))
        };
        let (conversation, text) = lend(outbox.write_next().unwrap());
        outbox.give_back(first, conversation, text);
        let (conversation, text) = lend(outbox.write_next().unwrap());
        assert!(outbox.remove(second).is_some());
        outbox.give_back(second, conversation, text);
        outbox.connection_lost();
        assert_eq!(write_all(&mut outbox), ["m1"]);
        assert_eq!(outbox.get(first).unwrap().conversation_id, Id::from("c"));
    }

    #[test]
    fn unacknowledged_messages_are_written_again_first_after_a_loss() {
        let mut outbox = Outbox::new(10);
        let first = outbox.push("c".into(), "m1".into()).unwrap();
        outbox.push("c".into(), "m2".into()).unwrap();
        assert_eq!(write_all(&mut outbox), ["m1", "m2"]);
        assert!(outbox.remove(first).is_some());
        outbox.connection_lost();
        outbox.push("c".into(), "m3".into()).unwrap();
        assert_eq!(write_all(&mut outbox), ["m2", "m3"]);
    }

    #[test]
    fn removing_from_the_middle_keeps_the_written_prefix_right() {
        let mut outbox = Outbox::new(10);
        outbox.push("c".into(), "m1".into()).unwrap();
        let second = outbox.push("c".into(), "m2".into()).unwrap();
        outbox.write_next();
        outbox.write_next();
        outbox.push("c".into(), "m3".into()).unwrap();
        outbox.remove(second);
        assert_eq!(write_all(&mut outbox), ["m3"]);
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;
    use crate::engine::store::MemoryOutboxStore;

    #[test]
    fn a_new_outbox_on_the_same_store_takes_over_in_order_and_numbers_after_it() {
        let store = MemoryOutboxStore::new();
        let mut first = Outbox::new(10);
        first.restore(Arc::new(store.clone())).unwrap();
        let m1 = first.push("c".into(), "m1".into()).unwrap();
        let m2 = first.push("c".into(), "m2".into()).unwrap();
        first.push("c".into(), "m3".into()).unwrap();
        first.remove(m2);
        drop(first);

        let mut second = Outbox::new(10);
        let restored = second.restore(Arc::new(store.clone())).unwrap();
        assert_eq!(restored.len(), 2);
        assert_eq!(restored[0].0, m1);
        let m4 = second.push("c".into(), "m4".into()).unwrap();
        assert!(m4.get() > 3, "ids stay unique across restarts");
        let written: Vec<String> =
            std::iter::from_fn(|| second.write_next().map(|p| p.content.clone())).collect();
        assert_eq!(written, ["m1", "m3", "m4"]);
        second.clear();
        assert!(store.is_empty());
    }

    struct Broken;
    impl OutboxStore for Broken {
        fn load(&self) -> Result<Vec<StoredMessage>, StoreError> {
            Ok(Vec::new())
        }
        fn save(&self, _: &StoredMessage) -> Result<(), StoreError> {
            Err(StoreError("quota exceeded".into()))
        }
        fn remove(&self, _: u64) -> Result<(), StoreError> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_store_keeps_the_message_queued_and_reports_the_failure() {
        let mut outbox = Outbox::new(10);
        outbox.restore(Arc::new(Broken)).unwrap();
        outbox.push("c".into(), "m1".into()).unwrap();
        assert_eq!(outbox.depth(), 1);
        assert_eq!(
            outbox.take_store_failures(),
            [StoreError("quota exceeded".into())]
        );
        assert!(outbox.take_store_failures().is_empty());
    }
}

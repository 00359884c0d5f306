//! The outgoing chat messages: queued while offline, then written and matched to their
//! acknowledgements.
//!
//! Every message keeps its place from `send_message` until the server acknowledges it. The
//! server acknowledges one connection's messages in the order it received them, so the
//! messages written on the current connection form a FIFO that `message_sent` frames pop. A
//! connection that dies takes its FIFO with it, and its unacknowledged messages become queued
//! again, in their original order, to be written first on the next connection
//! (at-least-once). A message whose acknowledgement times out is failed, and its FIFO slot
//! stays as a tombstone so that a late acknowledgement cannot be matched to the next message.

use std::collections::VecDeque;

use web_time::{Duration, Instant};

use super::events::{ClientMessageId, SendError};
use crate::protocol::{Id, SendMessage};

#[derive(Debug)]
struct Pending {
    id: ClientMessageId,
    frame: SendMessage,
    written_at: Option<Instant>,
}

/// One acknowledgement the current connection owes, in write order.
#[derive(Debug, PartialEq)]
enum Slot {
    Waiting(ClientMessageId),
    /// Timed out and failed: its acknowledgement, should it come, is consumed and ignored.
    Tombstone,
}

/// A message that left the outbox.
#[derive(Debug, PartialEq)]
pub(crate) struct Settled {
    pub(crate) id: ClientMessageId,
    pub(crate) conversation_id: Id,
}

#[derive(Debug)]
pub(crate) struct Outbox {
    capacity: usize,
    pending: VecDeque<Pending>,
    slots: VecDeque<Slot>,
    next_id: u64,
}

impl Outbox {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            pending: VecDeque::new(),
            slots: VecDeque::new(),
            next_id: 1,
        }
    }

    /// Queues a message, or refuses it when the outbox is full.
    pub(crate) fn push(&mut self, frame: SendMessage) -> Result<ClientMessageId, SendError> {
        if self.pending.len() >= self.capacity {
            return Err(SendError::QueueFull {
                capacity: self.capacity,
            });
        }
        let id = ClientMessageId(self.next_id);
        self.next_id += 1;
        self.pending.push_back(Pending {
            id,
            frame,
            written_at: None,
        });
        Ok(id)
    }

    /// Marks every unwritten message as written now, oldest first, and returns them.
    pub(crate) fn write_unsent(&mut self, now: Instant) -> Vec<(ClientMessageId, SendMessage)> {
        let mut written = Vec::new();
        for pending in self
            .pending
            .iter_mut()
            .filter(|pending| pending.written_at.is_none())
        {
            pending.written_at = Some(now);
            self.slots.push_back(Slot::Waiting(pending.id));
            written.push((pending.id, pending.frame.clone()));
        }
        written
    }

    /// Takes the message the next acknowledgement belongs to. `None` for a tombstone or when
    /// nothing is owed.
    pub(crate) fn acknowledge(&mut self) -> Option<Settled> {
        match self.slots.pop_front()? {
            Slot::Tombstone => None,
            Slot::Waiting(id) => self.remove(id),
        }
    }

    /// Fails the message the next acknowledgement belongs to (the server refused it).
    pub(crate) fn reject(&mut self) -> Option<Settled> {
        self.acknowledge()
    }

    /// The connection died: every written, unacknowledged message is queued again. Returns
    /// those messages.
    pub(crate) fn connection_lost(&mut self) -> Vec<Settled> {
        self.slots.clear();
        self.pending
            .iter_mut()
            .filter_map(|pending| {
                pending.written_at.take()?;
                Some(Settled {
                    id: pending.id,
                    conversation_id: pending.frame.conversation_id.clone(),
                })
            })
            .collect()
    }

    /// Fails the written messages whose acknowledgement is overdue.
    pub(crate) fn expire(&mut self, now: Instant, timeout: Duration) -> Vec<Settled> {
        let overdue: Vec<ClientMessageId> = self
            .pending
            .iter()
            .filter(|pending| pending.written_at.is_some_and(|at| now >= at + timeout))
            .map(|pending| pending.id)
            .collect();
        for slot in &mut self.slots {
            if matches!(slot, Slot::Waiting(id) if overdue.contains(id)) {
                *slot = Slot::Tombstone;
            }
        }
        overdue
            .into_iter()
            .filter_map(|id| self.remove(id))
            .collect()
    }

    /// When the oldest written message's acknowledgement becomes overdue.
    pub(crate) fn next_deadline(&self, timeout: Duration) -> Option<Instant> {
        self.pending
            .iter()
            .filter_map(|pending| pending.written_at)
            .min()
            .map(|at| at + timeout)
    }

    /// How many messages wait for an acknowledgement, queued or written.
    pub(crate) fn depth(&self) -> usize {
        self.pending.len()
    }

    fn remove(&mut self, id: ClientMessageId) -> Option<Settled> {
        let index = self.pending.iter().position(|pending| pending.id == id)?;
        let pending = self.pending.remove(index)?;
        Some(Settled {
            id,
            conversation_id: pending.frame.conversation_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: u32) -> SendMessage {
        SendMessage {
            conversation_id: "c".into(),
            content: format!("m{n}"),
        }
    }

    fn contents(written: &[(ClientMessageId, SendMessage)]) -> Vec<String> {
        written
            .iter()
            .map(|(_, frame)| frame.content.clone())
            .collect()
    }

    #[test]
    fn a_full_outbox_refuses_and_keeps_what_it_has() {
        let mut outbox = Outbox::new(2);
        outbox.push(message(1)).unwrap();
        outbox.push(message(2)).unwrap();
        assert_eq!(
            outbox.push(message(3)),
            Err(SendError::QueueFull { capacity: 2 })
        );
        assert_eq!(outbox.depth(), 2);
    }

    #[test]
    fn acknowledgements_match_writes_in_order_and_lost_ones_are_written_again_first() {
        let now = Instant::now();
        let mut outbox = Outbox::new(10);
        let first = outbox.push(message(1)).unwrap();
        outbox.push(message(2)).unwrap();
        assert_eq!(contents(&outbox.write_unsent(now)), ["m1", "m2"]);
        assert_eq!(outbox.acknowledge().map(|settled| settled.id), Some(first));
        outbox.connection_lost();
        outbox.push(message(3)).unwrap();
        assert_eq!(contents(&outbox.write_unsent(now)), ["m2", "m3"]);
    }

    #[test]
    fn a_timed_out_message_leaves_a_tombstone_for_its_late_ack() {
        let now = Instant::now();
        let mut outbox = Outbox::new(10);
        outbox.push(message(1)).unwrap();
        outbox.write_unsent(now);
        let second = outbox.push(message(2)).unwrap();
        outbox.write_unsent(now + Duration::from_secs(5));
        let expired = outbox.expire(now + Duration::from_secs(10), Duration::from_secs(10));
        assert_eq!(expired.len(), 1);
        assert_eq!(
            outbox.acknowledge(),
            None,
            "the late ack of m1 is swallowed"
        );
        assert_eq!(outbox.acknowledge().map(|settled| settled.id), Some(second));
    }
}

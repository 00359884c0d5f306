//! One ledger of requests and answers per connection.
//!
//! Every frame the backend answers is a ticket, keyed by the [`RequestId`] it was written
//! with. Ids are handed out at write time and only grow, so the ledger's order is the write
//! order: an in-order backend's answer settles the first ticket, whatever it says (an error of
//! any code can never be attributed to the next request), and a backend with ack ids settles
//! the ticket it names. A connection that dies takes its ledger with it; the engine decides
//! what each unanswered ticket becomes (messages go back to the outbox).
//!
//! Because ids only grow, appending keeps the tickets sorted: they live in a `VecDeque`, where
//! opening one and settling the oldest allocate nothing once it has grown to the window in
//! flight (a `BTreeMap` allocated and freed nodes as the window slid, 4 % of a pipelined
//! send's samples), and a ticket named by its ack id is found by binary search.

use std::collections::VecDeque;

use web_time::{Duration, Instant};

use super::events::ClientMessageId;
use crate::dialect::{AnswerTo, RequestId};
use crate::model::{Id, PresenceStatus};

/// What a written request was, so that its answer can be acted on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum TicketKind {
    Message(ClientMessageId),
    Join(Id),
    Leave(Id),
    Sync(Id),
    Read {
        conversation: Id,
        message: Id,
    },
    Presence(PresenceStatus),
    Typing,
    Ping,
    /// A command only this backend has.
    Backend,
}

#[derive(Debug)]
pub(crate) struct Ticket {
    pub(crate) kind: TicketKind,
    pub(crate) written_at: Instant,
    /// The application's requests this answer completes.
    pub(crate) waiters: Vec<RequestId>,
}

#[derive(Debug, Default)]
pub(crate) struct Ledger {
    /// Sorted by request id, oldest first.
    open: VecDeque<(RequestId, Ticket)>,
    /// When the last answer came, on a backend that answers in order (see
    /// [`answered_in_order`](Self::answered_in_order)).
    last_in_order_answer: Option<Instant>,
}

impl Ledger {
    /// Opens a ticket for a request id newer than every open one (the engine hands ids out
    /// in write order).
    pub(crate) fn open(&mut self, request: RequestId, ticket: Ticket) {
        debug_assert!(self.open.back().is_none_or(|(last, _)| *last < request));
        self.open.push_back((request, ticket));
    }

    /// The ticket an answer belongs to, taken out of the ledger. Answers mostly settle the
    /// oldest; one named out of order is removed from the middle (moving up to the window in
    /// flight, which is fine for acks that are only occasionally out of order).
    pub(crate) fn settle(&mut self, to: AnswerTo) -> Option<Ticket> {
        let index = match to {
            AnswerTo::Oldest => 0,
            AnswerTo::Request(request) => self
                .open
                .binary_search_by_key(&request, |(id, _)| *id)
                .ok()?,
        };
        self.open.remove(index).map(|(_, ticket)| ticket)
    }

    /// An in-order backend answered at `now`. Its next answer is due `timeout` after the
    /// later of this and the oldest open request's writing: the server takes requests one at
    /// a time, so one written behind others (a burst, or frames still waiting in the
    /// driver's queue for a slow link) only gets its turn when the one before is answered.
    /// Counting from its writing alone took a long burst's tail for overdue while the server
    /// answered steadily.
    pub(crate) fn answered_in_order(&mut self, now: Instant) {
        self.last_in_order_answer = Some(now);
    }

    /// When the oldest open ticket becomes overdue.
    pub(crate) fn next_deadline(&self, timeout: Duration) -> Option<Instant> {
        self.open.front().map(|(_, ticket)| {
            let turn = self
                .last_in_order_answer
                .map_or(ticket.written_at, |answered| {
                    answered.max(ticket.written_at)
                });
            turn + timeout
        })
    }

    /// Whether the oldest open ticket is overdue.
    pub(crate) fn is_overdue(&self, now: Instant, timeout: Duration) -> bool {
        self.next_deadline(timeout).is_some_and(|due| now >= due)
    }

    /// Takes every overdue ticket, oldest first.
    pub(crate) fn take_overdue(
        &mut self,
        now: Instant,
        timeout: Duration,
    ) -> Vec<(RequestId, Ticket)> {
        let mut overdue = Vec::new();
        while self.is_overdue(now, timeout) {
            overdue.extend(self.open.pop_front());
        }
        overdue
    }

    /// The connection is gone: every open ticket, oldest first.
    pub(crate) fn drain(&mut self) -> Vec<Ticket> {
        self.last_in_order_answer = None;
        self.open.drain(..).map(|(_, ticket)| ticket).collect()
    }

    /// The oldest open ticket.
    pub(crate) fn oldest(&self) -> Option<&Ticket> {
        self.open.front().map(|(_, ticket)| ticket)
    }

    pub(crate) fn len(&self) -> usize {
        self.open.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(kind: TicketKind, written_at: Instant) -> Ticket {
        Ticket {
            kind,
            written_at,
            waiters: Vec::new(),
        }
    }

    #[test]
    fn in_order_answers_settle_the_oldest_and_ack_ids_settle_their_own() {
        let now = Instant::now();
        let mut ledger = Ledger::default();
        ledger.open(RequestId(1), ticket(TicketKind::Ping, now));
        ledger.open(RequestId(2), ticket(TicketKind::Typing, now));
        ledger.open(RequestId(3), ticket(TicketKind::Join("c".into()), now));
        let third = ledger.settle(AnswerTo::Request(RequestId(3))).unwrap();
        assert_eq!(third.kind, TicketKind::Join("c".into()));
        assert_eq!(
            ledger.settle(AnswerTo::Oldest).unwrap().kind,
            TicketKind::Ping
        );
        assert!(ledger.settle(AnswerTo::Request(RequestId(3))).is_none());
        assert_eq!(ledger.len(), 1);
    }

    #[test]
    fn overdue_tickets_come_out_oldest_first_and_only_when_due() {
        let now = Instant::now();
        let timeout = Duration::from_secs(10);
        let mut ledger = Ledger::default();
        ledger.open(RequestId(1), ticket(TicketKind::Ping, now));
        ledger.open(RequestId(2), ticket(TicketKind::Typing, now + timeout));
        assert_eq!(ledger.next_deadline(timeout), Some(now + timeout));
        assert!(ledger.take_overdue(now, timeout).is_empty());
        let overdue = ledger.take_overdue(now + timeout, timeout);
        assert_eq!(overdue.len(), 1);
        assert_eq!(ledger.drain().len(), 1);
    }

    #[test]
    fn in_order_the_next_answer_is_due_after_the_last_one_or_the_writing_whichever_is_later() {
        let now = Instant::now();
        let timeout = Duration::from_secs(10);
        let mut ledger = Ledger::default();
        ledger.open(RequestId(1), ticket(TicketKind::Ping, now));
        ledger.open(RequestId(2), ticket(TicketKind::Typing, now));
        ledger.settle(AnswerTo::Oldest);
        ledger.answered_in_order(now + Duration::from_secs(8));
        assert_eq!(
            ledger.next_deadline(timeout),
            Some(now + Duration::from_secs(18))
        );
        let later = now + Duration::from_secs(30);
        ledger.open(RequestId(3), ticket(TicketKind::Ping, later));
        ledger.settle(AnswerTo::Oldest);
        assert_eq!(ledger.next_deadline(timeout), Some(later + timeout));
        // A new connection starts from its own writes.
        ledger.drain();
        ledger.open(RequestId(4), ticket(TicketKind::Ping, now));
        assert_eq!(ledger.next_deadline(timeout), Some(now + timeout));
    }
}

//! What each answer, rejection, timeout or loss of a written request means.

use web_time::Instant;

use super::ledger::{Ticket, TicketKind};
use super::{
    ClientMessageId, ConnectionErrorKind, DeliveryError, Engine, Event, MessageAck, MessageState,
    PendingRead, Reply, StopReason,
};
use crate::dialect::{Answer, AnswerMode, AnswerTo, Rejection};
use crate::model::{Id, Timestamp};

impl Engine {
    /// An answer arrived for the request `to` names.
    pub(super) fn answered(
        &mut self,
        now: Instant,
        to: AnswerTo,
        outcome: Result<Answer, Rejection>,
    ) {
        let Some(ticket) = self.ledger.settle(to) else {
            // Nothing was asked: an error is still news for the app; anything else is noise.
            match outcome {
                Err(rejection) => self.emit(Event::ServerNotice {
                    code: rejection.code,
                    message: rejection.message,
                }),
                Ok(_) => tracing::debug!(?to, "an answer to no open request"),
            }
            return;
        };
        let in_order = self.capabilities().answers == AnswerMode::InOrder;
        if in_order {
            self.ledger.answered_in_order(now);
        }
        if in_order && !fits(&ticket.kind, &outcome) {
            tracing::warn!(kind = ?ticket.kind, "answer does not fit its request: out of step");
            self.ticket_lost(ticket);
            return self.replace_connection(now, ConnectionErrorKind::OutOfStep);
        }
        match outcome {
            Ok(answer) => self.succeeded(now, ticket, answer),
            Err(rejection) => self.rejected(ticket, rejection),
        }
    }

    /// An answer that could not be read settled a request: what it said is unknown.
    pub(super) fn unreadable_answer(&mut self, now: Instant, to: AnswerTo) {
        let Some(ticket) = self.ledger.settle(to) else {
            return;
        };
        match self.capabilities().answers {
            AnswerMode::InOrder => {
                self.ticket_lost(ticket);
                self.replace_connection(now, ConnectionErrorKind::OutOfStep);
            }
            _ => self.ticket_expired(ticket),
        }
    }

    fn succeeded(&mut self, now: Instant, ticket: Ticket, answer: Answer) {
        let reply = match ticket.kind {
            TicketKind::Message(id) => return self.acknowledged(id, answer),
            TicketKind::Sync(conversation) => {
                let messages = match answer {
                    Answer::History { messages, .. } => messages,
                    _ => Vec::new(),
                };
                let count = messages.len();
                let own_user = self.own_user().cloned();
                let deliveries = self
                    .rooms
                    .synced(&conversation, messages, own_user.as_ref());
                self.deliver_all(deliveries);
                Reply::Synced { count }
            }
            TicketKind::Ping => {
                let rtt = now.saturating_duration_since(ticket.written_at);
                self.recorder.rtt = Some(rtt);
                Reply::Pong { rtt }
            }
            TicketKind::Join(_)
            | TicketKind::Leave(_)
            | TicketKind::Read { .. }
            | TicketKind::Presence(_)
            | TicketKind::Typing
            | TicketKind::Backend => match answer {
                Answer::Done(serde_json::Value::Null) => Reply::Done,
                Answer::Done(payload) => Reply::Confirmed(payload),
                _ => Reply::Done,
            },
        };
        self.complete_all(ticket.waiters, Ok(reply));
    }

    fn acknowledged(&mut self, id: ClientMessageId, answer: Answer) {
        let (message_id, timestamp) = match answer {
            Answer::Stored {
                message_id,
                timestamp,
            } => (message_id, timestamp),
            Answer::Done(payload) => match payload_id(&payload) {
                Some(found) => found,
                None => {
                    let rejection = Rejection {
                        code: None,
                        message: "the server acknowledged the message without an id".into(),
                    };
                    return self.fail_message(id, DeliveryError::Rejected(rejection));
                }
            },
            Answer::History { .. } | Answer::Pong => {
                let rejection = Rejection {
                    code: None,
                    message: "the server answered the message with something else".into(),
                };
                return self.fail_message(id, DeliveryError::Rejected(rejection));
            }
        };
        let Some(pending) = self.outbox.remove(id) else {
            return;
        };
        self.rooms
            .own_message(&pending.conversation_id, &message_id);
        let ack = MessageAck {
            conversation_id: pending.conversation_id.clone(),
            message_id,
            timestamp,
        };
        self.emit(Event::Outgoing {
            id,
            conversation_id: pending.conversation_id,
            state: MessageState::Acknowledged(ack),
        });
    }

    fn rejected(&mut self, ticket: Ticket, rejection: Rejection) {
        match &ticket.kind {
            TicketKind::Message(id) => {
                return self.fail_message(*id, DeliveryError::Rejected(rejection));
            }
            TicketKind::Sync(conversation) => {
                let own_user = self.own_user().cloned();
                let released = self.rooms.sync_failed(conversation, own_user.as_ref());
                self.deliver_all(released);
            }
            // Not let in: not joined again after reconnects either.
            TicketKind::Join(conversation) => self.rooms.join_refused(conversation),
            _ => {}
        }
        if ticket.waiters.is_empty() {
            // The engine's own request (a re-join, a re-announced presence): nobody waits for
            // it, so the app hears of the refusal as a notice.
            self.emit(Event::ServerNotice {
                code: rejection.code.clone(),
                message: rejection.message.clone(),
            });
        }
        self.complete_all(ticket.waiters, Err(DeliveryError::Rejected(rejection)));
    }

    /// A request's answer is overdue on a backend with ack ids: it alone fails.
    pub(super) fn ticket_expired(&mut self, ticket: Ticket) {
        let timeout = self.config.ack_timeout;
        match &ticket.kind {
            TicketKind::Message(id) => {
                return self.fail_message(*id, DeliveryError::AckTimeout { timeout });
            }
            TicketKind::Sync(conversation) => {
                let own_user = self.own_user().cloned();
                let released = self.rooms.sync_failed(conversation, own_user.as_ref());
                self.deliver_all(released);
            }
            _ => {}
        }
        self.complete_all(ticket.waiters, Err(DeliveryError::AckTimeout { timeout }));
    }

    /// A request's connection is gone before its answer: messages wait to be written again
    /// (the server may have stored them: a sync may bring a first copy back), remembered state
    /// goes out again on the next connection, live-only requests fail.
    pub(super) fn ticket_lost(&mut self, ticket: Ticket) {
        let lost = || DeliveryError::NotDelivered {
            message: None,
            reason: StopReason::ConnectionLost,
            still_queued: false,
        };
        match ticket.kind {
            TicketKind::Message(id) => {
                if let Some(pending) = self.outbox.get(id) {
                    let conversation_id = pending.conversation_id.clone();
                    let content = pending.content.clone();
                    self.rooms.resent(&conversation_id, &content, id);
                    if self.progress_events {
                        self.emit(Event::Outgoing {
                            id,
                            conversation_id,
                            state: MessageState::Queued,
                        });
                    }
                }
            }
            TicketKind::Join(conversation) => {
                let still_joined = self.rooms.joined().any(|joined| *joined == conversation);
                match still_joined {
                    true => {
                        for waiter in ticket.waiters {
                            self.rooms.wait_for_join(&conversation, waiter);
                        }
                    }
                    false => self.complete_all(ticket.waiters, Err(lost())),
                }
            }
            // The server forgets memberships with the connection.
            TicketKind::Leave(_) => self.complete_all(ticket.waiters, Ok(Reply::Done)),
            TicketKind::Sync(conversation) => {
                let own_user = self.own_user().cloned();
                let released = self.rooms.sync_failed(&conversation, own_user.as_ref());
                self.deliver_all(released);
                self.complete_all(ticket.waiters, Err(lost()));
            }
            TicketKind::Read {
                conversation,
                message,
            } => match self
                .pending_reads
                .iter_mut()
                .find(|read| read.conversation == conversation)
            {
                // Tickets come oldest first: a later one is the newer receipt.
                Some(pending) => {
                    pending.message = message;
                    pending.waiters.extend(ticket.waiters);
                }
                None => self.pending_reads.push(PendingRead {
                    conversation,
                    message,
                    waiters: ticket.waiters,
                }),
            },
            TicketKind::Presence(_) => self.presence_waiters.extend(ticket.waiters),
            TicketKind::Typing | TicketKind::Ping | TicketKind::Backend => {
                self.complete_all(ticket.waiters, Err(lost()))
            }
        }
    }

    /// Takes a message out of the outbox as failed.
    pub(super) fn fail_message(&mut self, id: ClientMessageId, error: DeliveryError) {
        if let Some(pending) = self.outbox.remove(id) {
            self.emit(Event::Outgoing {
                id,
                conversation_id: pending.conversation_id,
                state: MessageState::Failed(error),
            });
        }
    }
}

/// Whether `answer` can answer a request of `kind` (checked where answers come in order: one
/// that cannot means the connection is out of step).
fn fits(kind: &TicketKind, answer: &Result<Answer, Rejection>) -> bool {
    match (kind, answer) {
        (_, Err(_)) => true,
        (TicketKind::Message(_), Ok(Answer::Stored { .. })) => true,
        (
            TicketKind::Sync(asked),
            Ok(Answer::History {
                conversation_id, ..
            }),
        ) => asked == conversation_id,
        (TicketKind::Ping, Ok(Answer::Pong)) => true,
        (
            TicketKind::Join(_)
            | TicketKind::Leave(_)
            | TicketKind::Read { .. }
            | TicketKind::Presence(_)
            | TicketKind::Typing
            | TicketKind::Backend,
            Ok(Answer::Done(_)),
        ) => true,
        _ => false,
    }
}

/// A message id in an ack's payload (`id`, `message_id` or `messageId`), with its timestamp.
fn payload_id(payload: &serde_json::Value) -> Option<(Id, Option<Timestamp>)> {
    let id = ["id", "message_id", "messageId"]
        .iter()
        .find_map(|field| serde_json::from_value(payload.get(field)?.clone()).ok())?;
    let timestamp = ["timestamp", "created_at"]
        .iter()
        .find_map(|field| serde_json::from_value(payload.get(field)?.clone()).ok());
    Some((id, timestamp))
}

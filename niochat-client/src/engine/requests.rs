//! The application's commands, and how each one reaches the wire.
//!
//! A command the backend lacks is refused at the call with `Unsupported`; one that does not
//! fit is refused with `TooLarge` or `Empty`. Otherwise it is taken, and its outcome comes
//! later: a chat message's as [`Event::Outgoing`] states, any other command's as an
//! [`Action::Complete`] with the server's answer. What waits for a connection depends on
//! the command: messages queue, joins and presence are remembered and re-sent after every
//! reconnect, read receipts are coalesced, typing, syncs and pings are for live connections
//! only. While the client is stopped (disconnected, gave up, unauthorized), whatever waits for
//! a connection resolves at once with `NotDelivered`, saying it is still queued.

use web_time::Instant;

use super::ledger::{Ticket, TicketKind};
use super::{
    Action, ClientMessageId, DeliveryError, Engine, Event, MessageState, PendingRead, Refused,
    Reply,
};
use crate::dialect::{AnswerMode, Command, CommandKind, RequestId};
use crate::model::{Id, PresenceStatus};

impl Engine {
    /// Sends a chat message now, or queues it until the next connection. The returned id
    /// names it in the [`Event::Outgoing`] events that follow it to `Acknowledged`, `Failed`
    /// or `Held`.
    pub fn send_message(
        &mut self,
        now: Instant,
        conversation_id: Id,
        content: impl Into<String>,
    ) -> Result<ClientMessageId, Refused> {
        self.check_supported(CommandKind::Message)?;
        if self.capabilities().answers == AnswerMode::None {
            // Without answers there is no acknowledgement to wait for: such a backend must
            // echo messages to acknowledge them, which no dialect does yet.
            return Err(Refused::Unsupported {
                command: CommandKind::Message,
                backend: self.backend(),
            });
        }
        let content = content.into();
        // As `trim().is_empty()`, reading only up to the first visible character.
        if content.chars().all(char::is_whitespace) {
            return Err(Refused::Empty);
        }
        let (fits, conversation_id, content) =
            as_command(conversation_id, content, |command| self.check_size(command));
        fits?;
        let stopped = match self.is_ready() {
            true => None,
            false => self.stop_reason(),
        };
        // Only the events below name the conversation again: copied only for them.
        let named = (self.progress_events || stopped.is_some()).then(|| conversation_id.clone());
        let id = self.outbox.push(conversation_id, content)?;
        if self.progress_events
            && let Some(conversation_id) = &named
        {
            self.emit(Event::Outgoing {
                id,
                conversation_id: conversation_id.clone(),
                state: MessageState::Queued,
            });
        }
        if self.is_ready() {
            self.write_queued(now);
        } else if let (Some(reason), Some(conversation_id)) = (stopped, named) {
            let state = match self.config.keep_queue_when_stopped {
                true => MessageState::Held(reason),
                false => {
                    self.outbox.remove(id);
                    MessageState::Failed(DeliveryError::NotDelivered {
                        message: Some(id),
                        reason,
                        still_queued: false,
                    })
                }
            };
            self.emit(Event::Outgoing {
                id,
                conversation_id,
                state,
            });
        }
        Ok(id)
    }

    /// Joins a conversation now or at the next connect, and again after every reconnect.
    pub fn join(&mut self, now: Instant, conversation: Id) -> Result<RequestId, Refused> {
        let command = Command::Join(conversation.clone());
        self.check_supported(CommandKind::Join)?;
        self.check_size(&command)?;
        let request = self.new_request();
        self.rooms.join(&conversation);
        if self.is_ready() {
            self.rooms.joined_now(&conversation);
            self.write(now, command, TicketKind::Join(conversation), vec![request]);
        } else if !self.resolve_if_stopped(request) {
            self.rooms.wait_for_join(&conversation, request);
        }
        Ok(request)
    }

    /// Leaves a conversation: it is no longer joined after reconnects. Offline, the server has
    /// forgotten the membership already, so this completes at once.
    pub fn leave(&mut self, now: Instant, conversation: Id) -> Result<RequestId, Refused> {
        let command = Command::Leave(conversation.clone());
        self.check_supported(CommandKind::Leave)?;
        self.check_size(&command)?;
        let request = self.new_request();
        let own_user = self.own_user().cloned();
        let (released, joins) = self.rooms.leave(&conversation, own_user.as_ref());
        self.deliver_all(released);
        self.complete_all(joins, Err(superseded()));
        match self.is_ready() {
            true => self.write(now, command, TicketKind::Leave(conversation), vec![request]),
            false => self.complete(request, Ok(Reply::Done)),
        }
        Ok(request)
    }

    /// Starts or stops the typing indicator. Never queued: stale typing is worse than none.
    pub fn set_typing(
        &mut self,
        now: Instant,
        conversation_id: Id,
        is_typing: bool,
    ) -> Result<RequestId, Refused> {
        let command = Command::Typing {
            conversation_id,
            is_typing,
        };
        self.send_live(now, command, TicketKind::Typing)
    }

    /// Marks messages read up to `message_id`. Offline, only the newest receipt per
    /// conversation is kept, and sent after the next connect.
    pub fn mark_read(
        &mut self,
        now: Instant,
        conversation_id: Id,
        message_id: Id,
    ) -> Result<RequestId, Refused> {
        let command = Command::Read {
            conversation_id: conversation_id.clone(),
            message_id: message_id.clone(),
        };
        self.check_supported(CommandKind::Read)?;
        self.check_size(&command)?;
        let request = self.new_request();
        if self.is_ready() {
            let kind = TicketKind::Read {
                conversation: conversation_id,
                message: message_id,
            };
            self.write(now, command, kind, vec![request]);
            return Ok(request);
        }
        let waiters = match self.resolve_if_stopped(request) {
            true => Vec::new(),
            false => vec![request],
        };
        match self
            .pending_reads
            .iter_mut()
            .find(|read| read.conversation == conversation_id)
        {
            Some(read) => {
                read.message = message_id;
                read.waiters.extend(waiters);
            }
            None => self.pending_reads.push(PendingRead {
                conversation: conversation_id,
                message: message_id,
                waiters,
            }),
        }
        Ok(request)
    }

    /// Announces the user's presence now, and again after every reconnect.
    pub fn set_presence(
        &mut self,
        now: Instant,
        status: PresenceStatus,
    ) -> Result<RequestId, Refused> {
        let command = Command::Presence(status.clone());
        self.check_supported(CommandKind::Presence)?;
        self.check_size(&command)?;
        let request = self.new_request();
        self.presence = Some(status.clone());
        if self.is_ready() {
            self.write(now, command, TicketKind::Presence(status), vec![request]);
        } else if !self.resolve_if_stopped(request) {
            self.presence_waiters.push(request);
        }
        Ok(request)
    }

    /// Asks for the messages of `conversation_id` after `after` (by default the last one
    /// seen). The engine already does this after every reconnect.
    pub fn sync(
        &mut self,
        now: Instant,
        conversation_id: Id,
        after: Option<Id>,
    ) -> Result<RequestId, Refused> {
        let after = after.or_else(|| self.rooms.last_seen(&conversation_id).cloned());
        let kind = TicketKind::Sync(conversation_id.clone());
        self.send_live(
            now,
            Command::Sync {
                conversation_id,
                after,
            },
            kind,
        )
    }

    /// Pings now; the answer carries the round-trip time, also in [`Metrics::rtt`](super::Metrics::rtt).
    pub fn ping(&mut self, now: Instant) -> Result<RequestId, Refused> {
        let request = self.send_live(now, Command::Ping, TicketKind::Ping)?;
        self.keepalive.probe(now);
        Ok(request)
    }

    /// A command only this backend has (see its dialect module for typed helpers). For live
    /// connections only.
    pub fn backend_command(
        &mut self,
        now: Instant,
        command: crate::dialect::BackendCommand,
    ) -> Result<RequestId, Refused> {
        self.send_live(now, Command::Backend(command), TicketKind::Backend)
    }

    /// A command for live connections only.
    fn send_live(
        &mut self,
        now: Instant,
        command: Command,
        kind: TicketKind,
    ) -> Result<RequestId, Refused> {
        self.check_supported(command.kind())?;
        self.check_size(&command)?;
        if !self.is_ready() {
            return Err(Refused::NotConnected);
        }
        let request = self.new_request();
        self.write(now, command, kind, vec![request]);
        Ok(request)
    }

    fn check_supported(&self, command: CommandKind) -> Result<(), Refused> {
        match self.capabilities().supports(command) {
            true => Ok(()),
            false => Err(Refused::Unsupported {
                command,
                backend: self.backend(),
            }),
        }
    }

    /// Refuses a command whose frame would be over the outgoing limit. A command under the
    /// protocol's bound is taken as it is (encoding every message once more only to measure
    /// it was 6 % of a pipelined send's samples); one near the limit is encoded with a fresh
    /// dialect, so the live one's state (ack ids) is untouched.
    fn check_size(&self, command: &Command) -> Result<(), Refused> {
        let max = self.config.max_outgoing_bytes;
        if let (Some(overhead), Some(texts)) =
            (self.protocol.frame_overhead(), command.text_bytes())
            && texts.saturating_mul(6).saturating_add(overhead) <= max
        {
            return Ok(());
        }
        let size = self
            .protocol
            .dialect(None)
            .encode(RequestId(0), command)?
            .len();
        match size > max {
            true => Err(Refused::TooLarge { size, max }),
            false => Ok(()),
        }
    }

    /// While stopped, a request waiting for a connection resolves at once: not delivered,
    /// its state remembered for the next `connect()`. True when it was resolved (so it must
    /// not wait for that connection too).
    fn resolve_if_stopped(&mut self, request: RequestId) -> bool {
        let Some(reason) = self.stop_reason() else {
            return false;
        };
        let waiting = DeliveryError::NotDelivered {
            message: None,
            reason,
            still_queued: true,
        };
        self.complete(request, Err(waiting));
        true
    }

    /// Writes `command` on the ready connection as a ticket of the ledger (or, on a backend
    /// that does not answer, completes its waiters at once). Not for chat messages:
    /// [`write_queued`](Self::write_queued) writes those.
    pub(super) fn write(
        &mut self,
        now: Instant,
        command: Command,
        kind: TicketKind,
        waiters: Vec<RequestId>,
    ) {
        // A refusal has answered the waiters already.
        let _ = self.write_frame(now, &command, kind, waiters);
    }

    /// [`write`](Self::write), saying whether anything was written, or why the dialect
    /// refused the command (its waiters are then answered with that).
    fn write_frame(
        &mut self,
        now: Instant,
        command: &Command,
        kind: TicketKind,
        waiters: Vec<RequestId>,
    ) -> Result<bool, DeliveryError> {
        let super::Phase::Ready { connection, .. } = self.phase else {
            return Ok(false);
        };
        let request = self.new_request();
        let (encoded, answered) = match self.dialect.as_mut() {
            Some(dialect) => (
                dialect.encode(request, command),
                dialect.expects_answer(command),
            ),
            None => return Ok(false),
        };
        let text = match encoded {
            Ok(text) => text,
            Err(unsupported) => {
                // Checked before the command was taken (a restored outbox is not: see
                // `write_queued`); a dialect that refuses still resolves the wait instead of
                // hanging it.
                tracing::error!(%unsupported, "dialect refused a command");
                let refused = DeliveryError::Rejected(crate::dialect::Rejection {
                    code: None,
                    message: unsupported.to_string(),
                });
                self.complete_all(waiters, Err(refused.clone()));
                return Err(refused);
            }
        };
        self.actions.push_back(Action::Send { connection, text });
        match self.capabilities().answers {
            AnswerMode::InOrder | AnswerMode::ByAckId if answered => {
                let ticket = Ticket {
                    kind,
                    written_at: now,
                    waiters,
                };
                self.ledger.open(request, ticket);
            }
            // Nothing will answer it: written is done.
            _ => self.complete_all(waiters, Ok(Reply::Done)),
        }
        Ok(true)
    }

    /// Writes every queued message, oldest first.
    pub(super) fn write_queued(&mut self, now: Instant) {
        while let Some(pending) = self.outbox.write_next() {
            let id = pending.id;
            let conversation_id = std::mem::replace(&mut pending.conversation_id, Id::Number(0));
            let content = std::mem::take(&mut pending.content);
            let (written, conversation_id, content) =
                as_command(conversation_id, content, |command| {
                    self.write_frame(now, command, TicketKind::Message(id), Vec::new())
                });
            let sent =
                (written == Ok(true) && self.progress_events).then(|| conversation_id.clone());
            // Given back before a refusal fails the message, so that its event names it.
            self.outbox.give_back(id, conversation_id, content);
            match (written, sent) {
                // A message restored from a store into a backend without chat messages.
                (Err(refused), _) => self.fail_message(id, refused),
                (Ok(_), Some(conversation_id)) => self.emit(Event::Outgoing {
                    id,
                    conversation_id,
                    state: MessageState::Sent,
                }),
                (Ok(_), None) => {}
            }
        }
    }
}

/// Lends a chat message's parts to a [`Command`] for `use_it` (to measure or write it: a
/// command owns its texts) and takes them back, without copying either.
fn as_command<R>(
    conversation_id: Id,
    content: String,
    use_it: impl FnOnce(&Command) -> R,
) -> (R, Id, String) {
    let command = Command::Message {
        conversation_id,
        content,
    };
    let result = use_it(&command);
    match command {
        Command::Message {
            conversation_id,
            content,
        } => (result, conversation_id, content),
        _ => unreachable!("built as a message above"),
    }
}

/// What a request made moot by a later one resolves with.
fn superseded() -> DeliveryError {
    DeliveryError::NotDelivered {
        message: None,
        reason: super::StopReason::Superseded,
        still_queued: false,
    }
}

//! The two moments that touch everything the client remembers: a session becoming ready
//! (rooms, their syncs, presence, read receipts and queued messages go out, in that order),
//! and the client stopping (whatever waits for a connection resolves at once).

use web_time::Instant;

use super::keepalive::Mode;
use super::ledger::TicketKind;
use super::rooms::RejoinStep;
use super::{ConnectionId, DeliveryError, Engine, Event, MessageState, Phase, Status, StopReason};
use crate::dialect::{Command, KeepAliveMode, RoomMode};
use crate::model::Session;

impl Engine {
    /// The backend said the session is ready: connected. Rooms first (the server forgot
    /// them), then what they missed, then the user's state, then the messages written while
    /// offline, oldest first.
    pub(super) fn session_ready(
        &mut self,
        now: Instant,
        connection: ConnectionId,
        session: Session,
    ) {
        tracing::info!(?connection, "connected");
        self.phase = Phase::Ready {
            connection,
            since: now,
        };
        self.auth_refreshed = false;
        self.recorder.outage_ended(now);
        let caps = self.capabilities().clone();
        let (interval, timeout) = (self.config.ping_interval, self.config.pong_timeout);
        let mode = match (caps.keep_alive, self.server_ping) {
            (KeepAliveMode::ClientPing, _) => Mode::ClientPing { interval, timeout },
            // A driver that cannot ping (a browser) would take every idle connection for dead.
            (KeepAliveMode::WebSocketPing, _) if self.config.websocket_pings => {
                Mode::ClientPing { interval, timeout }
            }
            (KeepAliveMode::ServerPing, Some((interval, timeout))) => {
                Mode::ServerPing { interval, timeout }
            }
            // The server did not announce its timing: expect the configured one.
            (KeepAliveMode::ServerPing, None) => Mode::ServerPing { interval, timeout },
            _ => Mode::Off,
        };
        self.keepalive.start(now, mode);
        // A session that became ready proves the network, whatever the platform said.
        self.offline = false;
        self.session = Some(session.clone());
        self.set_status(Status::Connected);
        self.emit(Event::Session(session));
        if caps.rooms == RoomMode::Frames {
            let steps = self.rooms.rejoin(now, caps.history_sync);
            self.write_rejoin_steps(now, steps);
        }
        self.membership_refresh_at = (caps.rooms == RoomMode::Frames
            && caps.rooms_dropped_silently)
            .then(|| now + self.config.membership_refresh);
        if let Some(status) = self.presence.clone() {
            let waiters = std::mem::take(&mut self.presence_waiters);
            self.write(
                now,
                Command::Presence(status.clone()),
                TicketKind::Presence(status),
                waiters,
            );
        }
        for read in std::mem::take(&mut self.pending_reads) {
            let command = Command::Read {
                conversation_id: read.conversation.clone(),
                message_id: read.message.clone(),
            };
            let kind = TicketKind::Read {
                conversation: read.conversation,
                message: read.message,
            };
            self.write(now, command, kind, read.waiters);
        }
        self.write_queued(now);
    }

    /// Joins and syncs the joined conversations again on the open connection, for a backend
    /// that may drop rooms without a word: a room lost that way is back with what it missed.
    pub(super) fn refresh_membership(&mut self, now: Instant) {
        self.membership_refresh_at = Some(now + self.config.membership_refresh);
        let steps = self.rooms.refresh(now, self.capabilities().history_sync);
        tracing::debug!(steps = steps.len(), "membership refreshed");
        self.write_rejoin_steps(now, steps);
    }

    fn write_rejoin_steps(&mut self, now: Instant, steps: Vec<RejoinStep>) {
        for step in steps {
            match step {
                RejoinStep::Join {
                    conversation,
                    waiters,
                } => self.write(
                    now,
                    Command::Join(conversation.clone()),
                    TicketKind::Join(conversation),
                    waiters,
                ),
                RejoinStep::Sync {
                    conversation,
                    after,
                } => self.write(
                    now,
                    Command::Sync {
                        conversation_id: conversation.clone(),
                        after,
                    },
                    TicketKind::Sync(conversation),
                    Vec::new(),
                ),
                RejoinStep::Gap {
                    conversation,
                    after,
                    reason,
                } => self.emit(Event::HistoryGap {
                    conversation_id: conversation,
                    after,
                    reason,
                }),
            }
        }
    }

    /// The client stopped trying: what waits for a connection resolves now.
    pub(super) fn stopped(&mut self, reason: StopReason) {
        let waiting = DeliveryError::NotDelivered {
            message: None,
            reason,
            still_queued: true,
        };
        let mut waiters = self.rooms.take_all_waiters();
        waiters.append(&mut self.presence_waiters);
        for read in &mut self.pending_reads {
            waiters.append(&mut read.waiters);
        }
        self.complete_all(waiters, Err(waiting));
        if self.config.keep_queue_when_stopped {
            let held: Vec<_> = self
                .outbox
                .iter()
                .map(|pending| (pending.id, pending.conversation_id.clone()))
                .collect();
            for (id, conversation_id) in held {
                self.emit(Event::Outgoing {
                    id,
                    conversation_id,
                    state: MessageState::Held(reason),
                });
            }
        } else {
            for pending in self.outbox.clear() {
                let error = DeliveryError::NotDelivered {
                    message: Some(pending.id),
                    reason,
                    still_queued: false,
                };
                self.emit(Event::Outgoing {
                    id: pending.id,
                    conversation_id: pending.conversation_id,
                    state: MessageState::Failed(error),
                });
            }
        }
    }
}

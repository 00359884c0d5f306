//! A connection's life: connecting, authenticating, opening, losing it, backing off, giving up.

use web_time::{Duration, Instant};

use super::{
    Action, ConnectionError, ConnectionId, Engine, Event, MessageState, Phase, Status,
    TransportEvent,
};
use crate::auth::AuthToken;
use crate::protocol::{ClientFrame, Ping, SetPresence};

/// Close code for connections the client abandons as dead (a private-use code).
const CLOSE_ABANDONED: u16 = 4000;
/// Close code for the application's own disconnects and reconnects.
const CLOSE_NORMAL: u16 = 1000;

impl Engine {
    /// Starts connecting. Does nothing while connected or already trying; leaves the terminal
    /// states with a fresh schedule.
    pub fn connect(&mut self, _now: Instant) {
        if matches!(self.phase, Phase::Idle | Phase::Stopped) {
            self.start_over(Status::Connecting);
        }
    }

    /// Closes the connection and stops trying. Messages not yet acknowledged stay queued for
    /// the next `connect()`; nothing is reconnected by itself.
    pub fn disconnect(&mut self, now: Instant) {
        self.close_current(now, "client disconnect");
        self.recorder.outage_since = None;
        self.phase = Phase::Idle;
        self.set_status(Status::Disconnected);
    }

    /// Reconnects at once with a fresh schedule, from any state: closes a live connection
    /// first, and leaves `GaveUp` and `Unauthorized` (new credentials may have arrived).
    pub fn reconnect(&mut self, now: Instant) {
        if self.is_open() {
            self.recorder.outage_started(now);
        }
        self.close_current(now, "reconnect");
        self.start_over(Status::Connecting);
    }

    /// A hint that the network is back (an `online` event, a network-change callback, the app
    /// coming to the foreground): waiting or gave up → reconnect now with a fresh schedule;
    /// connected → ping now, to find out whether the connection survived.
    pub fn network_available(&mut self, now: Instant) {
        match self.phase {
            Phase::Open { .. } => {
                self.keepalive.probe(now);
                self.write(ClientFrame::Ping(Ping {}));
            }
            Phase::Waiting { .. } => self.start_over(Status::Connecting),
            Phase::Stopped if matches!(self.status, Status::GaveUp { .. }) => {
                self.start_over(Status::Connecting)
            }
            _ => {}
        }
    }

    /// The same as [`network_available`](Self::network_available), under the name apps use
    /// when they come back to the foreground.
    pub fn resume(&mut self, now: Instant) {
        self.network_available(now);
    }

    /// The answer to [`Action::RequestToken`]: a token (or `None` for no authentication), or
    /// why there is none. Answers for an abandoned attempt are ignored.
    pub fn handle_token(
        &mut self,
        now: Instant,
        connection: ConnectionId,
        token: Result<Option<AuthToken>, String>,
    ) {
        if self.phase != (Phase::AwaitingToken { connection }) {
            return;
        }
        match token {
            Ok(token) => {
                let url = self
                    .codec
                    .connect_url(&self.config.endpoint, token.as_ref());
                tracing::debug!(%url, "opening");
                self.phase = Phase::Opening {
                    connection,
                    deadline: now + self.config.connect_timeout,
                };
                self.actions.push_back(Action::Open { connection, url });
            }
            Err(reason) => self.connection_failed(now, ConnectionError::TokenUnavailable(reason)),
        }
    }

    /// What happened on `connection`. Events of connections the engine has moved on from are
    /// ignored.
    pub fn handle_transport(
        &mut self,
        now: Instant,
        connection: ConnectionId,
        event: TransportEvent,
    ) {
        if self.current_connection() != Some(connection) {
            tracing::trace!(?connection, "event of an old connection ignored");
            return;
        }
        match event {
            TransportEvent::Opened if matches!(self.phase, Phase::Opening { .. }) => {
                self.opened(now, connection)
            }
            TransportEvent::Opened => {}
            TransportEvent::Frame(text) => self.frame(now, text),
            TransportEvent::Binary(bytes) => self.binary(bytes.len()),
            TransportEvent::Closed { code, reason } => {
                self.connection_failed(now, ConnectionError::Closed { code, reason })
            }
            TransportEvent::HandshakeRefused {
                status: status @ (401 | 403),
            } => self.auth_refused(now, status),
            TransportEvent::HandshakeRefused { status } => {
                self.connection_failed(now, ConnectionError::HandshakeRefused { status })
            }
            TransportEvent::Failed(error) => self.connection_failed(now, error),
        }
    }

    /// Timers: the backoff delay, the connect timeout, keep-alive, acknowledgement and sync
    /// deadlines. Call it at [`poll_timeout`](Self::poll_timeout); calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.phase {
            Phase::Waiting { until } if now >= until => self.request_token(false),
            Phase::Opening { deadline, .. } if now >= deadline => {
                self.close_current(now, "connect timeout");
                self.connection_failed(
                    now,
                    ConnectionError::ConnectTimeout(self.config.connect_timeout),
                );
            }
            Phase::Open { .. } => self.open_timers(now),
            _ => {}
        }
    }

    fn open_timers(&mut self, now: Instant) {
        match self.keepalive.poll(now) {
            super::keepalive::Verdict::Idle => {}
            super::keepalive::Verdict::SendPing => self.write(ClientFrame::Ping(Ping {})),
            super::keepalive::Verdict::Dead => {
                let timeout = self.keepalive.timeout();
                tracing::info!(?timeout, "connection silent after ping: taken for dead");
                self.abandon_current("keep-alive timeout");
                self.connection_failed(now, ConnectionError::KeepAliveTimeout(timeout));
                return;
            }
        }
        let timeout_ms = self.config.ack_timeout.as_millis() as u64;
        for settled in self.outbox.expire(now, self.config.ack_timeout) {
            let state = MessageState::Failed(super::SendError::AckTimeout { timeout_ms });
            self.emit(Event::Outgoing {
                id: settled.id,
                conversation_id: settled.conversation_id,
                state,
            });
        }
        let released = self.rooms.expire_syncs(now, self.config.sync_timeout);
        self.deliver_all(released);
    }

    fn start_over(&mut self, status: Status) {
        self.backoff.reset();
        self.auth_refreshed = false;
        self.set_status(status);
        self.request_token(false);
    }

    fn request_token(&mut self, refresh: bool) {
        self.next_connection += 1;
        let connection = ConnectionId(self.next_connection);
        self.phase = Phase::AwaitingToken { connection };
        self.actions.push_back(Action::RequestToken {
            connection,
            refresh,
        });
    }

    fn current_connection(&self) -> Option<ConnectionId> {
        match self.phase {
            Phase::AwaitingToken { connection }
            | Phase::Opening { connection, .. }
            | Phase::Open { connection, .. } => Some(connection),
            Phase::Idle | Phase::Stopped | Phase::Waiting { .. } => None,
        }
    }

    fn opened(&mut self, now: Instant, connection: ConnectionId) {
        tracing::info!(?connection, "connected");
        self.phase = Phase::Open {
            connection,
            since: now,
        };
        self.auth_refreshed = false;
        self.recorder.outage_ended(now);
        self.keepalive.start(now);
        self.set_status(Status::Connected);
        // Order matters: rooms first (the server forgot them), then what they missed, then the
        // user's state, then the messages written while offline, oldest first.
        for frame in self.rooms.rejoin(now) {
            self.write(frame);
        }
        if let Some(status) = self.presence.clone() {
            self.write(ClientFrame::Presence(SetPresence { status }));
        }
        for receipt in std::mem::take(&mut self.pending_reads) {
            self.write(ClientFrame::Read(receipt));
        }
        self.write_queued(now);
    }

    /// The current connection or attempt failed: tidy up, then retry later or give up.
    fn connection_failed(&mut self, now: Instant, error: ConnectionError) {
        tracing::info!(%error, "connection lost");
        if let Phase::Open { since, .. } = self.phase {
            if now.saturating_duration_since(since) >= self.backoff.policy().stable_after {
                self.backoff.reset();
            }
            self.recorder.outage_started(now);
        }
        self.record_close(&error);
        self.tear_down(now);
        self.set_status(Status::Error(error));
        match self.backoff.next_attempt() {
            Some((attempt, delay)) => {
                self.phase = Phase::Waiting { until: now + delay };
                let max_attempts = self.backoff.policy().max_attempts;
                self.set_status(Status::Reconnecting {
                    attempt,
                    max_attempts,
                    delay,
                });
            }
            None => {
                self.phase = Phase::Stopped;
                self.set_status(Status::GaveUp {
                    attempts: self.backoff.attempts(),
                });
            }
        }
    }

    /// 401/403 at the handshake: one immediate retry with a refreshed token, then stop.
    fn auth_refused(&mut self, now: Instant, status: u16) {
        let error = ConnectionError::HandshakeRefused { status };
        self.record_close(&error);
        self.tear_down(now);
        self.set_status(Status::Error(error));
        if self.auth_refreshed {
            tracing::warn!(status, "credentials refused after a refresh: unauthorized");
            self.phase = Phase::Stopped;
            self.set_status(Status::Unauthorized);
        } else {
            tracing::info!(status, "credentials refused: asking for a fresh token");
            self.auth_refreshed = true;
            self.set_status(Status::Connecting);
            self.request_token(true);
        }
    }

    fn record_close(&mut self, error: &ConnectionError) {
        let (code, reason) = match error {
            ConnectionError::Closed { code, reason } => (*code, reason.clone()),
            other => (None, other.to_string()),
        };
        self.recorder.last_close_code = code;
        self.recorder.last_close_reason = Some(reason);
    }

    /// Forgets the connection's state: messages in flight are queued again, held-back live
    /// messages are released, keep-alive stops.
    fn tear_down(&mut self, now: Instant) {
        self.keepalive.stop();
        for requeued in self.outbox.connection_lost() {
            let state = MessageState::Queued;
            self.emit(Event::Outgoing {
                id: requeued.id,
                conversation_id: requeued.conversation_id,
                state,
            });
        }
        let released = self.rooms.expire_syncs(now, Duration::ZERO);
        self.deliver_all(released);
    }

    /// Closes the open connection or abandons the attempt under way, normally.
    fn close_current(&mut self, now: Instant, reason: &str) {
        if let Phase::Open { connection, .. } | Phase::Opening { connection, .. } = self.phase {
            self.actions.push_back(Action::Close {
                connection,
                code: CLOSE_NORMAL,
                reason: reason.to_owned(),
            });
        }
        self.tear_down(now);
    }

    /// Drops a connection taken for dead.
    fn abandon_current(&mut self, reason: &str) {
        if let Some(connection) = self.current_connection() {
            self.actions.push_back(Action::Close {
                connection,
                code: CLOSE_ABANDONED,
                reason: reason.to_owned(),
            });
        }
    }
}

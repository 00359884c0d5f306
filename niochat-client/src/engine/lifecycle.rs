//! A connection's life: connecting, authenticating, the backend's handshake, losing the
//! connection, backing off, giving up.

use web_time::{Duration, Instant};

use super::keepalive::Verdict;
use super::ledger::TicketKind;
use super::metrics::CloseInfo;
use super::{
    Action, ConnectionError, ConnectionErrorKind, ConnectionId, DeliveryError, Engine, GapReason,
    Phase, Status, StopReason, TransportEvent,
};
use crate::dialect::{AnswerMode, Command, KeepAliveMode};

/// Close code for connections the client abandons as dead or untrustworthy (private use).
const CLOSE_ABANDONED: u16 = 4000;
/// Close code for the application's own disconnects and reconnects.
const CLOSE_NORMAL: u16 = 1000;

impl Engine {
    /// Starts connecting. Does nothing while connected or already trying; leaves the terminal
    /// states with a fresh schedule, and a suspension (the app asking is the app back).
    pub fn connect(&mut self, now: Instant) {
        let was_away = std::mem::take(&mut self.suspended);
        self.background_close = None;
        match self.phase {
            Phase::Idle | Phase::Stopped => self.start_over(now, Status::Connecting),
            Phase::Waiting { .. } if was_away && !self.offline => {
                self.start_over(now, Status::Connecting)
            }
            _ => {}
        }
    }

    /// Closes the connection and stops trying. Unacknowledged messages stay queued for the
    /// next `connect()` (unless the configuration drops them); whatever waits for a
    /// connection resolves now with `NotDelivered`.
    pub fn disconnect(&mut self, now: Instant) {
        self.close_current(now, "client disconnect");
        self.recorder.outage_since = None;
        self.phase = Phase::Idle;
        self.set_status(Status::Disconnected);
        self.stopped(StopReason::Disconnected);
    }

    /// Reconnects at once with a fresh schedule, from any state: closes a live connection
    /// first, and leaves `GaveUp` and `Unauthorized` (new credentials may have arrived).
    pub fn reconnect(&mut self, now: Instant) {
        self.suspended = false;
        self.background_close = None;
        if self.is_ready() {
            self.recorder.outage_started(now);
        }
        self.close_current(now, "reconnect");
        self.start_over(now, Status::Connecting);
    }

    /// What happened on `connection`. Events of connections the engine has moved on from are
    /// ignored.
    pub fn handle_transport(
        &mut self,
        now: Instant,
        connection: ConnectionId,
        event: TransportEvent,
    ) {
        if !self.is_current(connection) {
            return;
        }
        match event {
            TransportEvent::Opened => self.socket_opened(now, connection),
            TransportEvent::Frame(text) => self.text_frame(now, &text),
            TransportEvent::Binary(bytes) => self.binary_frame(now, &bytes),
            TransportEvent::Pong => self.keepalive.activity(now),
            TransportEvent::Closed { code, reason } => {
                self.connection_failed(now, ConnectionErrorKind::Closed { code, reason }.into())
            }
            TransportEvent::HandshakeRefused {
                status: status @ (401 | 403),
            } => self.auth_refused(now, ConnectionErrorKind::HttpStatus(status)),
            TransportEvent::HandshakeRefused { status } => {
                self.connection_failed(now, ConnectionErrorKind::HttpStatus(status).into())
            }
            TransportEvent::Failed(error) if self.refused_as_expired(now, &error) => {
                self.auth_refused(now, ConnectionErrorKind::TokenExpired)
            }
            TransportEvent::Failed(error) => self.connection_failed(now, error),
        }
    }

    /// A text frame on `connection`, borrowed from the driver's read buffer: the same as
    /// [`TransportEvent::Frame`] without a copy of the text.
    pub fn handle_text(&mut self, now: Instant, connection: ConnectionId, text: &str) {
        if self.is_current(connection) {
            self.text_frame(now, text);
        }
    }

    fn is_current(&self, connection: ConnectionId) -> bool {
        let current = self.open_socket() == Some(connection)
            || matches!(self.phase, Phase::Opening { connection: opening, .. } if opening == connection);
        if !current {
            tracing::trace!(?connection, "event of an old connection ignored");
        }
        current
    }

    /// Timers: the backoff delay, the token and connect timeouts, keep-alive, answer and sync
    /// deadlines. Call it at [`poll_timeout`](Self::poll_timeout); calling it early is harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.background_close.is_some_and(|at| now >= at) {
            self.background_close = None;
            tracing::debug!("in the background past the grace: closing");
            self.suspend(now);
            return;
        }
        match self.phase {
            Phase::Waiting { until } if now >= until && !self.offline && !self.suspended => {
                self.request_token(now, false)
            }
            Phase::AwaitingToken { deadline, .. } if now >= deadline => {
                let timeout = self.config.token_timeout;
                self.connection_failed(now, ConnectionErrorKind::TokenTimeout(timeout).into());
            }
            Phase::Opening { deadline, .. } | Phase::Handshake { deadline, .. }
                if now >= deadline =>
            {
                self.abandon_current("connect timeout");
                let timeout = self.config.connect_timeout;
                self.connection_failed(now, ConnectionErrorKind::Timeout(timeout).into());
            }
            Phase::Ready { .. } => self.ready_timers(now),
            _ => {}
        }
    }

    fn ready_timers(&mut self, now: Instant) {
        match self.keepalive.poll(now) {
            Verdict::Idle => {}
            Verdict::SendPing => match (self.capabilities().keep_alive, self.phase) {
                (KeepAliveMode::WebSocketPing, Phase::Ready { connection, .. }) => {
                    self.actions.push_back(Action::PingSocket { connection })
                }
                _ => self.write(now, Command::Ping, TicketKind::Ping, Vec::new()),
            },
            Verdict::Dead => {
                let silence = self.keepalive.silence();
                tracing::info!(?silence, "connection silent: taken for dead");
                self.abandon_current("keep-alive timeout");
                let error = ConnectionErrorKind::KeepAliveTimeout(silence);
                return self.connection_failed(now, error.into());
            }
        }
        if self.membership_refresh_at.is_some_and(|at| now >= at) {
            if self.background_close.is_none() {
                self.refresh_membership(now);
            } else {
                // In the background the socket stays quiet until it closes.
                self.membership_refresh_at = Some(now + self.config.membership_refresh);
            }
        }
        let timeout = self.config.ack_timeout;
        match self.capabilities().answers {
            AnswerMode::InOrder if self.ledger.is_overdue(now, timeout) => {
                // Every later answer would be matched to the wrong request: replace the
                // connection. An overdue message or sync counts a timeout: after enough, the
                // message fails and the sync becomes a history gap, instead of being asked for
                // again and again.
                match self.ledger.oldest().map(|ticket| ticket.kind.clone()) {
                    Some(TicketKind::Message(id))
                        if self.outbox.timed_out(id) >= self.config.max_timeouts =>
                    {
                        self.ledger.settle(crate::dialect::AnswerTo::Oldest);
                        self.fail_message(id, DeliveryError::AckTimeout { timeout });
                    }
                    Some(TicketKind::Sync(conversation)) => {
                        self.rooms
                            .sync_timed_out(&conversation, self.config.max_timeouts, timeout);
                    }
                    _ => {}
                }
                return self.replace_connection(now, ConnectionErrorKind::AnswerOverdue(timeout));
            }
            AnswerMode::ByAckId => {
                for (request, ticket) in self.ledger.take_overdue(now, timeout) {
                    // An answer that comes after all is dropped by the dialect, not matched.
                    if let Some(dialect) = self.dialect.as_mut() {
                        dialect.forget(request);
                    }
                    self.ticket_expired(ticket);
                }
            }
            _ => {}
        }
        let own_user = self.own_user().cloned();
        let released = self
            .rooms
            .expire_syncs(now, self.config.sync_timeout, own_user.as_ref());
        self.deliver_all(released);
    }

    pub(super) fn start_over(&mut self, now: Instant, status: Status) {
        self.backoff.reset();
        self.auth_refreshed = false;
        self.set_status(status);
        self.request_token(now, false);
    }

    pub(super) fn request_token(&mut self, now: Instant, refresh: bool) {
        self.token_refreshed = refresh;
        self.next_connection += 1;
        let connection = ConnectionId(self.next_connection);
        self.phase = Phase::AwaitingToken {
            connection,
            deadline: now + self.config.token_timeout,
        };
        self.actions.push_back(Action::RequestToken {
            connection,
            refresh,
        });
    }

    pub(super) fn current_connection(&self) -> Option<ConnectionId> {
        match self.phase {
            Phase::AwaitingToken { connection, .. }
            | Phase::Opening { connection, .. }
            | Phase::Handshake { connection, .. }
            | Phase::Ready { connection, .. } => Some(connection),
            Phase::Idle | Phase::Stopped | Phase::Waiting { .. } => None,
        }
    }

    /// The connection whose socket is open, if any.
    pub(super) fn open_socket(&self) -> Option<ConnectionId> {
        match self.phase {
            Phase::Handshake { connection, .. } | Phase::Ready { connection, .. } => {
                Some(connection)
            }
            _ => None,
        }
    }

    fn socket_opened(&mut self, now: Instant, connection: ConnectionId) {
        let Phase::Opening { deadline, .. } = self.phase else {
            return;
        };
        tracing::debug!(?connection, "socket open; the backend's handshake follows");
        self.phase = Phase::Handshake {
            connection,
            deadline,
        };
        let mut inbound = std::mem::take(&mut self.inbound);
        if let Some(dialect) = self.dialect.as_mut() {
            dialect.on_open(&mut inbound);
        }
        self.process(now, &mut inbound);
        self.inbound = inbound;
    }

    /// The current connection or attempt failed: tidy up, then retry later or give up.
    pub(super) fn connection_failed(&mut self, now: Instant, error: ConnectionError) {
        tracing::info!(%error, "connection lost");
        if let Phase::Ready { since, .. } = self.phase {
            // A connection the client gave up on as out of step was not a healthy one, however
            // long it lasted: it must not buy a fresh schedule, or an answer that never comes
            // would be asked for forever.
            let untrusted = matches!(
                error.kind(),
                ConnectionErrorKind::AnswerOverdue(_) | ConnectionErrorKind::OutOfStep
            );
            if !untrusted
                && now.saturating_duration_since(since) >= self.backoff.policy().stable_after
            {
                self.backoff.reset();
            }
            self.recorder.outage_started(now);
        }
        self.record_failure(&error);
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
                self.stopped(StopReason::GaveUp);
            }
        }
    }

    /// The app went away (see [`suspend`](Self::suspend)): the connection ends as in a loss,
    /// but going away is no failure: no attempt is used up (so it can never end in `GaveUp`)
    /// and none is planned. The status is `Disconnected` until the app is back.
    pub(super) fn went_away(&mut self, now: Instant, error: ConnectionError) {
        if self.is_ready() {
            self.recorder.outage_started(now);
        }
        self.record_failure(&error);
        self.tear_down(now);
        self.set_status(Status::Error(error));
        self.backoff.reset();
        self.phase = Phase::Waiting { until: now };
        self.set_status(Status::Disconnected);
    }

    /// The connection can no longer be trusted: close it and reconnect on the usual schedule.
    pub(super) fn replace_connection(&mut self, now: Instant, kind: ConnectionErrorKind) {
        tracing::warn!(?kind, "replacing the connection");
        self.abandon_current("connection out of step");
        self.connection_failed(now, kind.into());
    }

    /// The close of a socket that was open, and the last error, kept apart.
    pub(super) fn record_failure(&mut self, error: &ConnectionError) {
        if self.open_socket().is_some() {
            let (code, reason) = match error.kind() {
                ConnectionErrorKind::Closed { code, reason } => (*code, reason.clone()),
                _ => (None, error.to_string()),
            };
            self.recorder.last_close = Some(CloseInfo { code, reason });
            if let ConnectionErrorKind::FrameTooLarge { max } = error.kind() {
                self.sync_too_large(*max);
            }
        }
        self.recorder.last_error = Some(error.clone());
    }

    /// A frame over the limit while a sync was open was, almost surely, its answer (in-order
    /// backends: exactly). Asking again would fail the same way: report a gap instead.
    fn sync_too_large(&mut self, max: usize) {
        let oldest_sync = self.ledger.oldest().and_then(|ticket| match &ticket.kind {
            TicketKind::Sync(conversation) => Some(conversation.clone()),
            _ => None,
        });
        if let Some(conversation) = oldest_sync {
            tracing::warn!(%conversation, max, "sync answer over the frame limit: history gap");
            self.rooms
                .history_gap(&conversation, GapReason::SyncTooLarge { max });
        }
    }

    /// Forgets the connection: its unanswered requests are settled as lost, held-back live
    /// messages are released, keep-alive stops.
    pub(super) fn tear_down(&mut self, now: Instant) {
        self.keepalive.stop();
        for ticket in self.ledger.drain() {
            self.ticket_lost(ticket);
        }
        self.outbox.connection_lost();
        let own_user = self.own_user().cloned();
        let released = self
            .rooms
            .expire_syncs(now, Duration::ZERO, own_user.as_ref());
        self.deliver_all(released);
        self.dialect = None;
        self.session = None;
    }

    /// Closes the open connection or abandons the attempt under way, normally.
    fn close_current(&mut self, now: Instant, reason: &str) {
        if let Some(connection) = self.current_connection()
            && !matches!(self.phase, Phase::AwaitingToken { .. })
        {
            self.actions.push_back(Action::Close {
                connection,
                code: CLOSE_NORMAL,
                reason: reason.to_owned(),
            });
        }
        self.tear_down(now);
    }

    /// Drops a connection taken for dead or untrustworthy.
    pub(super) fn abandon_current(&mut self, reason: &str) {
        if let Some(connection) = self.current_connection()
            && !matches!(self.phase, Phase::AwaitingToken { .. })
        {
            self.actions.push_back(Action::Close {
                connection,
                code: CLOSE_ABANDONED,
                reason: reason.to_owned(),
            });
        }
    }
}

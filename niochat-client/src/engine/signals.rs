//! What the platform says about the app's world: the network came and went, the page went
//! into the back/forward cache, the app went to the background. Each pauses or resumes the
//! connection's life (no attempts, no pings while the network is gone; a clean close after a
//! grace in the background; at once, on a fresh schedule, when things are back) without
//! losing the queue, the rooms or where each sync starts.
//!
//! The network and the app's presence are two facts, kept apart: a page restored from the
//! back/forward cache while the network is still gone must not start attempts (nothing says
//! the network is back), and a network returning while the app is in the background must
//! not either. Attempts resume when both allow.

use web_time::Instant;

use super::ledger::TicketKind;
use super::{Action, ConnectionErrorKind, Engine, Phase, Status};
use crate::dialect::{AnswerMode, Command, CommandKind};

impl Engine {
    /// A hint that the network is back (an `online` event, a network-change callback):
    /// waiting or gave up → reconnect now with a fresh schedule; connected → probe the
    /// connection at once where the backend lets the client ping. While suspended (the
    /// back/forward cache, the background) it only notes the network: [`resume`](Self::resume)
    /// acts on it.
    pub fn network_available(&mut self, now: Instant) {
        if std::mem::take(&mut self.offline) {
            tracing::debug!("network back");
        }
        if self.suspended {
            return;
        }
        self.wake_up(now);
    }

    /// Reconnects now on a fresh schedule, or checks the open connection.
    fn wake_up(&mut self, now: Instant) {
        match self.phase {
            Phase::Ready { .. } => {
                self.keepalive.resume(now);
                let caps = self.capabilities();
                if caps.supports(CommandKind::Ping) && caps.answers != AnswerMode::None {
                    self.keepalive.probe(now);
                    self.write(now, Command::Ping, TicketKind::Ping, Vec::new());
                }
            }
            Phase::Waiting { .. } => self.start_over(now, Status::Connecting),
            Phase::Stopped if matches!(self.status, Status::GaveUp { .. }) => {
                self.start_over(now, Status::Connecting)
            }
            _ => {}
        }
    }

    /// Tells the engine the platform lost the network (a browser's `offline` event, a phone's
    /// connectivity callback). Until [`network_available`](Self::network_available) it makes
    /// no attempt (none is wasted, the backoff does not grow) and sends no keep-alive ping (a
    /// connection is not condemned for the network's silence); a connection that closes
    /// meanwhile waits for the network. Commands keep queueing.
    pub fn network_lost(&mut self, _now: Instant) {
        tracing::debug!("network lost");
        self.offline = true;
        self.keepalive.pause();
    }

    /// The app goes away for a while (a page entering the back/forward cache, a mobile app in
    /// the background past its grace): closes the connection cleanly and makes no attempt,
    /// keeping the queue, the rooms and where each sync starts. [`resume`](Self::resume)
    /// reconnects at once on a fresh schedule and syncs what was missed. Going away is not a
    /// failure: it uses up none of the attempts before giving up.
    pub fn suspend(&mut self, now: Instant) {
        tracing::debug!("suspended");
        self.suspended = true;
        self.keepalive.pause();
        if let Some(connection) = self.current_connection() {
            tracing::debug!("suspended: closing the connection");
            if !matches!(self.phase, Phase::AwaitingToken { .. }) {
                self.actions.push_back(Action::Close {
                    connection,
                    code: 1001,
                    reason: "suspended".to_owned(),
                });
            }
            let closed = ConnectionErrorKind::Closed {
                code: Some(1001),
                reason: "suspended".to_owned(),
            };
            self.went_away(now, closed.into());
        } else if matches!(self.phase, Phase::Waiting { .. }) {
            // Between attempts: none is planned now, and none was used up.
            self.backoff.reset();
            self.set_status(Status::Disconnected);
        }
    }

    /// The app went to the background (a phone's lifecycle): no keep-alive pings and no
    /// reconnection attempts from now on; an open connection stays up for
    /// [`background_grace`](super::EngineConfig::background_grace) (a quick app switch costs
    /// nothing) and is then closed cleanly, as [`suspend`](Self::suspend) does. Anything not
    /// connected is suspended at once.
    pub fn enter_background(&mut self, now: Instant) {
        self.suspended = true;
        self.keepalive.pause();
        match self.phase {
            Phase::Ready { .. } => {
                self.background_close = Some(now + self.config.background_grace);
            }
            _ => self.suspend(now),
        }
    }

    /// The app is in the foreground again: the same as [`resume`](Self::resume).
    pub fn enter_foreground(&mut self, now: Instant) {
        self.resume(now);
    }

    /// The app is back (a page restored from the back/forward cache, a tab shown again, the
    /// foreground): reconnect at once on a fresh schedule (or check a connection still open,
    /// whose background grace no longer applies) and sync what was missed — unless the
    /// platform said the network is gone and has not said it is back, in which case
    /// [`network_available`](Self::network_available) will.
    pub fn resume(&mut self, now: Instant) {
        self.suspended = false;
        // Back before the background grace ended: that close no longer applies.
        self.background_close = None;
        if self.offline {
            tracing::debug!("resumed while the network is gone: waiting for it");
            return;
        }
        self.wake_up(now);
    }
}

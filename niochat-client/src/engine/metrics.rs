//! What a "connection details" panel shows.

use web_time::{Duration, Instant};

/// A snapshot of the connection's health, from [`Engine::metrics`](super::Engine::metrics).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metrics {
    /// The round-trip time of the last answered ping.
    pub rtt: Option<Duration>,
    /// How many times a lost connection was opened again.
    pub reconnects: u32,
    /// Reconnection attempts since the schedule last started over.
    pub attempts: u32,
    /// Chat messages waiting for their acknowledgement (queued or in flight).
    pub queue_depth: usize,
    /// Total time spent without a connection after having had one, including now.
    pub time_reconnecting: Duration,
    /// How long the current connection has been up.
    pub connected_for: Option<Duration>,
    /// The last close code, if the last connection ended with a close frame.
    pub last_close_code: Option<u16>,
    /// The last close reason, or the failure that ended the last connection.
    pub last_close_reason: Option<String>,
}

/// Accumulates the figures that are not derived from the engine's state.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) rtt: Option<Duration>,
    pub(crate) reconnects: u32,
    pub(crate) reconnecting: Duration,
    pub(crate) outage_since: Option<Instant>,
    pub(crate) last_close_code: Option<u16>,
    pub(crate) last_close_reason: Option<String>,
}

impl Recorder {
    pub(crate) fn outage_started(&mut self, now: Instant) {
        self.outage_since.get_or_insert(now);
    }

    /// A connection opened; true when it ended an outage (a reconnection).
    pub(crate) fn outage_ended(&mut self, now: Instant) -> bool {
        match self.outage_since.take() {
            Some(since) => {
                self.reconnecting += now.saturating_duration_since(since);
                self.reconnects += 1;
                true
            }
            None => false,
        }
    }

    pub(crate) fn time_reconnecting(&self, now: Instant) -> Duration {
        self.reconnecting
            + self
                .outage_since
                .map_or(Duration::ZERO, |since| now.saturating_duration_since(since))
    }
}

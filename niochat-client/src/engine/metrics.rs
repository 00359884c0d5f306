//! What a "connection details" panel shows.
//!
//! The close of the last real connection and the last error are kept apart: after a server
//! restart closes with 1012 and the next attempts are refused, the panel still says 1012
//! closed the connection, and separately that the latest attempt was refused.

use web_time::{Duration, Instant};

use super::errors::ConnectionError;

/// How the last connection that was open ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseInfo {
    /// The close code (`None`: closed without a close frame, or torn down for another reason).
    pub code: Option<u16>,
    /// The close reason, or what ended it.
    pub reason: String,
}

/// A snapshot of the connection's health, from [`Engine::metrics`](super::Engine::metrics).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Metrics {
    /// The round-trip time of the last answered ping, `None` before the first one.
    pub rtt: Option<Duration>,
    /// How many times a lost connection was opened again.
    pub reconnects: u32,
    /// Reconnection attempts since the schedule last started over.
    pub attempts: u32,
    /// Chat messages waiting for their acknowledgement (queued or in flight).
    pub queue_depth: usize,
    /// Requests written and not yet answered on the current connection.
    pub in_flight: usize,
    /// Total time spent without a connection after having had one, including now.
    pub time_reconnecting: Duration,
    /// How long the current connection has been up.
    pub connected_for: Option<Duration>,
    /// How the last connection that was open ended.
    pub last_close: Option<CloseInfo>,
    /// The most recent failure of a connection or an attempt.
    pub last_error: Option<ConnectionError>,
}

/// Accumulates the figures that are not derived from the engine's state.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    pub(crate) rtt: Option<Duration>,
    pub(crate) reconnects: u32,
    pub(crate) reconnecting: Duration,
    pub(crate) outage_since: Option<Instant>,
    pub(crate) last_close: Option<CloseInfo>,
    pub(crate) last_error: Option<ConnectionError>,
}

impl Recorder {
    pub(crate) fn outage_started(&mut self, now: Instant) {
        self.outage_since.get_or_insert(now);
    }

    /// A connection became ready; true when it ended an outage (a reconnection).
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

//! Detecting dead connections: a `ping` every interval, and a deadline after it.
//!
//! A TCP connection can die without a close (a laptop lid, a NAT timeout, a half-open server).
//! Any frame that arrives proves the connection alive; if none arrives within the timeout
//! after a ping, it is dead. So a silent death is noticed within interval + timeout.
//!
//! Timers of a suspended process (a background tab, a sleeping laptop) fire late. When the
//! deadline check itself runs long after it was due, the silence may be the suspension's, not
//! the server's: the engine sends a fresh ping and waits one more timeout instead of tearing
//! down a connection that may be fine.

use web_time::{Duration, Instant};

#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    Idle,
    SendPing,
    Dead,
}

#[derive(Debug)]
pub(crate) struct KeepAlive {
    interval: Duration,
    timeout: Duration,
    next_ping: Option<Instant>,
    deadline: Option<Instant>,
    last_ping: Option<Instant>,
}

impl KeepAlive {
    pub(crate) fn new(interval: Duration, timeout: Duration) -> Self {
        Self {
            interval,
            timeout,
            next_ping: None,
            deadline: None,
            last_ping: None,
        }
    }

    /// A connection opened: first ping one interval from now.
    pub(crate) fn start(&mut self, now: Instant) {
        self.next_ping = Some(now + self.interval);
        self.deadline = None;
        self.last_ping = None;
    }

    pub(crate) fn stop(&mut self) {
        self.next_ping = None;
        self.deadline = None;
    }

    /// A frame arrived: the connection is alive.
    pub(crate) fn activity(&mut self) {
        self.deadline = None;
    }

    /// A `pong` arrived: the round-trip time of the last ping.
    pub(crate) fn pong(&mut self, now: Instant) -> Option<Duration> {
        self.activity();
        self.last_ping
            .take()
            .map(|sent| now.saturating_duration_since(sent))
    }

    /// Ping now, out of schedule (the network changed).
    pub(crate) fn probe(&mut self, now: Instant) {
        self.ping_sent(now);
    }

    pub(crate) fn poll(&mut self, now: Instant) -> Verdict {
        if let Some(deadline) = self.deadline {
            if now >= deadline + self.timeout {
                // Due long ago: this process was asleep. Ask again rather than condemn.
                self.ping_sent(now);
                return Verdict::SendPing;
            }
            if now >= deadline {
                self.stop();
                return Verdict::Dead;
            }
        }
        match self.next_ping {
            Some(at) if now >= at => {
                self.ping_sent(now);
                Verdict::SendPing
            }
            _ => Verdict::Idle,
        }
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.next_ping, self.deadline].into_iter().flatten().min()
    }

    pub(crate) fn timeout(&self) -> Duration {
        self.timeout
    }

    fn ping_sent(&mut self, now: Instant) {
        self.last_ping = Some(now);
        self.next_ping = Some(now + self.interval);
        if self.deadline.is_none_or(|deadline| now >= deadline) {
            self.deadline = Some(now + self.timeout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn silence_after_a_ping_is_death_within_interval_plus_timeout() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new(30 * SECOND, 10 * SECOND);
        keepalive.start(t0);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 30 * SECOND));
        assert_eq!(keepalive.poll(t0 + 30 * SECOND), Verdict::SendPing);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 40 * SECOND));
        assert_eq!(keepalive.poll(t0 + 40 * SECOND), Verdict::Dead);
    }

    #[test]
    fn any_frame_keeps_the_connection_alive_and_pongs_measure_rtt() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new(30 * SECOND, 10 * SECOND);
        keepalive.start(t0);
        keepalive.poll(t0 + 30 * SECOND);
        assert_eq!(
            keepalive.pong(t0 + 30 * SECOND + Duration::from_millis(80)),
            Some(Duration::from_millis(80))
        );
        assert_eq!(keepalive.poll(t0 + 45 * SECOND), Verdict::Idle);
        assert_eq!(keepalive.poll(t0 + 60 * SECOND), Verdict::SendPing);
        keepalive.activity();
        assert_eq!(keepalive.poll(t0 + 75 * SECOND), Verdict::Idle);
    }

    #[test]
    fn a_deadline_checked_far_too_late_probes_again_instead_of_condemning() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new(30 * SECOND, 10 * SECOND);
        keepalive.start(t0);
        keepalive.poll(t0 + 30 * SECOND);
        // The process slept through the deadline at 40 s and wakes at 5 minutes.
        assert_eq!(keepalive.poll(t0 + 300 * SECOND), Verdict::SendPing);
        assert_eq!(keepalive.poll(t0 + 310 * SECOND), Verdict::Dead);
    }
}

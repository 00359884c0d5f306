//! Detecting dead connections, the way the backend wants it.
//!
//! A TCP connection can die without a close (a laptop lid, a NAT timeout, a half-open
//! server). Any frame that arrives proves it alive. Two schemes:
//!
//! - The client pings ([`KeepAliveMode::ClientPing`](crate::dialect::KeepAliveMode)): a ping
//!   every interval, and silence for the timeout after it means death, so a silent death is
//!   noticed within interval + timeout.
//! - The server pings (Engine.IO): the client never pings by itself; if nothing arrives within
//!   the server's interval plus its timeout, the server is gone.
//!
//! Timers of a suspended process (a background tab, a sleeping laptop) fire late. When the
//! deadline check itself runs long after it was due, the silence may be the suspension's, not
//! the server's: the engine probes again (or, where only the server pings, waits one more
//! timeout for it) instead of tearing down a connection that may be fine.

use web_time::{Duration, Instant};

#[derive(Debug, PartialEq)]
pub(crate) enum Verdict {
    Idle,
    SendPing,
    Dead,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Mode {
    /// Ping every `interval`; dead after `timeout` of silence following a ping.
    ClientPing {
        interval: Duration,
        timeout: Duration,
    },
    /// Dead after `interval + timeout` without any frame.
    ServerPing {
        interval: Duration,
        timeout: Duration,
    },
    Off,
}

#[derive(Debug)]
pub(crate) struct KeepAlive {
    mode: Mode,
    next_ping: Option<Instant>,
    deadline: Option<Instant>,
    /// Paused: frames that still arrive set no deadline (a server's ping must not bring the
    /// verdict back while the network is said to be gone).
    paused: bool,
}

impl KeepAlive {
    pub(crate) fn new() -> Self {
        Self {
            mode: Mode::Off,
            next_ping: None,
            deadline: None,
            paused: false,
        }
    }

    /// A session became ready: start watching it.
    pub(crate) fn start(&mut self, now: Instant, mode: Mode) {
        self.mode = mode;
        self.deadline = None;
        self.next_ping = None;
        self.paused = false;
        match mode {
            Mode::ClientPing { interval, .. } => self.next_ping = Some(now + interval),
            Mode::ServerPing { .. } => self.activity(now),
            Mode::Off => {}
        }
    }

    /// The network is gone: no ping and no verdict until [`resume`](Self::resume).
    pub(crate) fn pause(&mut self) {
        self.next_ping = None;
        self.deadline = None;
        self.paused = true;
    }

    /// The network is back: watch again on a fresh schedule.
    pub(crate) fn resume(&mut self, now: Instant) {
        self.start(now, self.mode);
    }

    pub(crate) fn stop(&mut self) {
        self.mode = Mode::Off;
        self.next_ping = None;
        self.deadline = None;
    }

    /// A frame arrived: the connection is alive.
    pub(crate) fn activity(&mut self, now: Instant) {
        self.deadline = match self.mode {
            _ if self.paused => None,
            Mode::ServerPing { interval, timeout } => Some(now + interval + timeout),
            Mode::ClientPing { .. } | Mode::Off => None,
        };
    }

    /// A probe was sent out of schedule (the network changed): expect an answer within the
    /// timeout.
    pub(crate) fn probe(&mut self, now: Instant) {
        let timeout = match self.mode {
            Mode::ClientPing { interval, timeout } => {
                self.next_ping = Some(now + interval);
                timeout
            }
            Mode::ServerPing { timeout, .. } => timeout,
            Mode::Off => return,
        };
        let probe_deadline = now + timeout;
        self.deadline = Some(
            self.deadline
                .map_or(probe_deadline, |d| d.min(probe_deadline)),
        );
    }

    pub(crate) fn poll(&mut self, now: Instant) -> Verdict {
        let (interval, timeout) = match self.mode {
            Mode::ClientPing { interval, timeout } | Mode::ServerPing { interval, timeout } => {
                (interval, timeout)
            }
            Mode::Off => return Verdict::Idle,
        };
        if let Some(deadline) = self.deadline {
            if !timeout.is_zero() && now >= deadline + timeout {
                // Due long ago: this process was asleep. Ask again rather than condemn.
                return match self.mode {
                    Mode::ClientPing { .. } => {
                        self.ping_sent(now, interval, timeout);
                        Verdict::SendPing
                    }
                    _ => {
                        self.deadline = Some(now + timeout);
                        Verdict::Idle
                    }
                };
            }
            if now >= deadline {
                self.next_ping = None;
                self.deadline = None;
                return Verdict::Dead;
            }
        }
        match self.next_ping {
            Some(at) if now >= at => {
                self.ping_sent(now, interval, timeout);
                Verdict::SendPing
            }
            _ => Verdict::Idle,
        }
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.next_ping, self.deadline].into_iter().flatten().min()
    }

    /// How long silence lasted when a connection is declared dead.
    pub(crate) fn silence(&self) -> Duration {
        match self.mode {
            Mode::ClientPing { timeout, .. } => timeout,
            Mode::ServerPing { interval, timeout } => interval + timeout,
            Mode::Off => Duration::ZERO,
        }
    }

    fn ping_sent(&mut self, now: Instant, interval: Duration, timeout: Duration) {
        self.next_ping = Some(now + interval);
        if self.deadline.is_none_or(|deadline| now >= deadline) {
            self.deadline = Some(now + timeout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);
    const CLIENT: Mode = Mode::ClientPing {
        interval: Duration::from_secs(30),
        timeout: Duration::from_secs(10),
    };
    const SERVER: Mode = Mode::ServerPing {
        interval: Duration::from_secs(25),
        timeout: Duration::from_secs(20),
    };

    #[test]
    fn silence_after_a_ping_is_death_within_interval_plus_timeout() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, CLIENT);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 30 * SECOND));
        assert_eq!(keepalive.poll(t0 + 30 * SECOND), Verdict::SendPing);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 40 * SECOND));
        assert_eq!(keepalive.poll(t0 + 40 * SECOND), Verdict::Dead);
    }

    #[test]
    fn a_server_ping_while_paused_brings_back_no_verdict_until_resumed() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, SERVER);
        keepalive.pause();
        keepalive.activity(t0 + SECOND);
        assert_eq!(keepalive.next_deadline(), None);
        assert_eq!(keepalive.poll(t0 + 3600 * SECOND), Verdict::Idle);
        keepalive.resume(t0 + 3600 * SECOND);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 3645 * SECOND));
    }

    #[test]
    fn any_frame_keeps_a_client_pinged_connection_alive() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, CLIENT);
        keepalive.poll(t0 + 30 * SECOND);
        keepalive.activity(t0 + 31 * SECOND);
        assert_eq!(keepalive.poll(t0 + 45 * SECOND), Verdict::Idle);
        assert_eq!(keepalive.poll(t0 + 60 * SECOND), Verdict::SendPing);
    }

    #[test]
    fn a_deadline_checked_far_too_late_probes_again_instead_of_condemning() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, CLIENT);
        keepalive.poll(t0 + 30 * SECOND);
        // The process slept through the deadline at 40 s and wakes at 5 minutes.
        assert_eq!(keepalive.poll(t0 + 300 * SECOND), Verdict::SendPing);
        assert_eq!(keepalive.poll(t0 + 310 * SECOND), Verdict::Dead);
    }

    #[test]
    fn where_the_server_pings_the_client_never_does_and_silence_is_death_after_both_delays() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, SERVER);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 45 * SECOND));
        assert_eq!(keepalive.poll(t0 + 44 * SECOND), Verdict::Idle);
        keepalive.activity(t0 + 25 * SECOND);
        assert_eq!(keepalive.poll(t0 + 69 * SECOND), Verdict::Idle);
        assert_eq!(keepalive.poll(t0 + 70 * SECOND), Verdict::Dead);
    }

    #[test]
    fn a_zero_timeout_neither_spins_nor_hides_a_death() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        let interval = 25 * SECOND;
        keepalive.start(
            t0,
            Mode::ServerPing {
                interval,
                timeout: Duration::ZERO,
            },
        );
        assert_eq!(keepalive.poll(t0 + interval), Verdict::Dead);
        assert_eq!(
            keepalive.next_deadline(),
            None,
            "no deadline left in the past"
        );
    }

    #[test]
    fn paused_it_neither_pings_nor_condemns_and_resumes_on_a_fresh_schedule() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, CLIENT);
        keepalive.poll(t0 + 30 * SECOND);
        keepalive.pause();
        assert_eq!(keepalive.next_deadline(), None);
        assert_eq!(keepalive.poll(t0 + 600 * SECOND), Verdict::Idle);
        keepalive.resume(t0 + 600 * SECOND);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 630 * SECOND));
    }

    #[test]
    fn a_late_wake_where_the_server_pings_waits_one_more_timeout() {
        let t0 = Instant::now();
        let mut keepalive = KeepAlive::new();
        keepalive.start(t0, SERVER);
        assert_eq!(keepalive.poll(t0 + 600 * SECOND), Verdict::Idle);
        assert_eq!(keepalive.next_deadline(), Some(t0 + 620 * SECOND));
        assert_eq!(keepalive.poll(t0 + 620 * SECOND), Verdict::Dead);
    }
}

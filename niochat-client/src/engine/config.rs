//! Every knob of the engine, with the defaults of protocol 001's document where it has one,
//! and the checks that keep a bad value from panicking or spinning.

use web_time::Duration;

/// How the delay before each reconnection attempt is randomised, so that many clients dropped
/// together do not come back together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Jitter {
    /// Exactly the exponential delay: predictable, but clients reconnect in lock-step.
    None,
    /// Uniform in `[0, delay]` ("full jitter"): the best spread, also at the cap.
    Full,
    /// Uniform in `[delay / 2, delay]`: a spread with a guaranteed minimum wait.
    Equal,
}

/// When and how often to reconnect after a connection is lost.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ReconnectPolicy {
    /// The delay before the first attempt (1 s). Each further attempt doubles it.
    pub initial_delay: Duration,
    /// The cap on the delay (32 s).
    pub max_delay: Duration,
    /// How many attempts before giving up (10); `None` retries forever.
    pub max_attempts: Option<u32>,
    /// How delays are randomised ([`Jitter::Full`]).
    pub jitter: Jitter,
    /// How long a connection must stay up before the attempt counter starts again from 1 (10 s),
    /// so that a server that accepts and drops at once cannot make the client hammer it.
    pub stable_after: Duration,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(32),
            max_attempts: Some(10),
            jitter: Jitter::Full,
            stable_after: Duration::from_secs(10),
        }
    }
}

/// The largest duration any setting accepts: long enough for any real use, short enough that
/// adding it to an instant can never overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(366 * 24 * 3600);

/// The largest queue capacity: a million messages waiting is a leak, not a queue.
pub const MAX_QUEUE_CAPACITY: usize = 1_000_000;

/// The engine's configuration. Start from [`EngineConfig::new`] and change fields. Its
/// `Debug` shows the endpoint redacted, in case a token was put in it.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The WebSocket endpoint, such as `wss://chat.example.com/ws`, without the token.
    pub endpoint: String,
    /// Reconnection.
    pub reconnect: ReconnectPolicy,
    /// How many chat messages may wait for their acknowledgement, queued offline or in flight
    /// (100). Sending one more is refused with `QueueFull`.
    pub queue_capacity: usize,
    /// How often the client pings, on backends where the client pings (30 s).
    pub ping_interval: Duration,
    /// How long after a ping the connection may stay silent before it is taken for dead (10 s).
    pub pong_timeout: Duration,
    /// How long opening a connection may take, the backend's handshake included (10 s).
    pub connect_timeout: Duration,
    /// How long the application's token provider may take before the attempt counts as failed
    /// and the backoff schedule goes on (15 s).
    pub token_timeout: Duration,
    /// How long a written request may wait for its answer (10 s). On a backend that answers
    /// in order, it counts from the later of the writing and the previous answer, and an
    /// overdue answer means the connection is out of step: it is replaced, and unanswered
    /// messages are sent again on the next one.
    pub ack_timeout: Duration,
    /// How many times a chat message's answer may be overdue (each time the connection is
    /// replaced and the message sent again) before it fails with `AckTimeout` (3).
    pub max_timeouts: u32,
    /// How long live messages of a re-joined conversation are held back waiting for its sync,
    /// so that missed messages are delivered before newer ones (10 s).
    pub sync_timeout: Duration,
    /// The largest frame the client sends, in bytes (1 MiB): a chat message, not a file.
    pub max_outgoing_bytes: usize,
    /// The largest frame the client accepts, in bytes (16 MiB). Protocol 001 answers a sync
    /// with every missed message in one frame; 16 MiB holds about 60,000 typical messages (a
    /// long outage of a busy conversation) while bounding what a broken or hostile server can
    /// make the client buffer. A sync answer over it becomes a history gap, not a retry loop.
    pub max_incoming_bytes: usize,
    /// The native driver's WebSocket read buffer, in bytes (4 KiB). It starts at this size and
    /// grows only for a frame larger than it, so it is most of what an idle connection costs.
    /// Bursts do not depend on it: while data keeps coming the driver reads ahead 32 KiB at a
    /// time into a buffer it gives back when the socket runs dry. Browsers ignore it.
    pub read_buffer_bytes: usize,
    /// Whether queued messages stay queued when the client stops trying (gave up, refused,
    /// disconnected) — they go out after the next `connect()` — or are dropped (true).
    pub keep_queue_when_stopped: bool,
    /// How long a connection stays open after the app goes to the background (20 s), without
    /// pings, before it is closed cleanly: long enough for a quick app switch, short enough
    /// that the OS does not kill the app for a busy socket.
    pub background_grace: Duration,
    /// On a backend that may drop a connection's rooms silently (protocol 001: one socket per
    /// user), how often the joined conversations are joined and synced again while connected
    /// (60 s): a room lost that way is back, with what it missed, within this time.
    pub membership_refresh: Duration,
    /// Whether the driver can send WebSocket ping frames: true natively, false on wasm32 (the
    /// default follows the target: browsers cannot send them).
    /// Without them, a backend whose keep-alive is the WebSocket's own is not watched.
    pub websocket_pings: bool,
    /// Seeds the jitter. `None` (the default): `build()` seeds it with fresh randomness, so
    /// that clients dropped together spread out; an engine made directly uses a constant.
    /// `Some`: this seed, kept by `build()`, for the same delays on every run (tests).
    pub jitter_seed: Option<u64>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field(
                "endpoint",
                &crate::auth::SecretUrl::new(self.endpoint.as_str()),
            )
            .field("reconnect", &self.reconnect)
            .field("queue_capacity", &self.queue_capacity)
            .field("ping_interval", &self.ping_interval)
            .field("pong_timeout", &self.pong_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("token_timeout", &self.token_timeout)
            .field("ack_timeout", &self.ack_timeout)
            .field("max_timeouts", &self.max_timeouts)
            .field("sync_timeout", &self.sync_timeout)
            .field("max_outgoing_bytes", &self.max_outgoing_bytes)
            .field("max_incoming_bytes", &self.max_incoming_bytes)
            .field("read_buffer_bytes", &self.read_buffer_bytes)
            .field("keep_queue_when_stopped", &self.keep_queue_when_stopped)
            .field("background_grace", &self.background_grace)
            .field("membership_refresh", &self.membership_refresh)
            .field("websocket_pings", &self.websocket_pings)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// The defaults, for `endpoint`.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            reconnect: ReconnectPolicy::default(),
            queue_capacity: 100,
            ping_interval: Duration::from_secs(30),
            pong_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            token_timeout: Duration::from_secs(15),
            ack_timeout: Duration::from_secs(10),
            max_timeouts: 3,
            sync_timeout: Duration::from_secs(10),
            max_outgoing_bytes: 1 << 20,
            max_incoming_bytes: 16 << 20,
            read_buffer_bytes: 4 << 10,
            keep_queue_when_stopped: true,
            background_grace: Duration::from_secs(20),
            membership_refresh: Duration::from_secs(60),
            websocket_pings: crate::platform::SOCKET_PINGS,
            jitter_seed: None,
        }
    }

    /// Checks every value: durations above zero and at most [`MAX_DURATION`], capacities and
    /// sizes above zero, the first delay no longer than the cap.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let durations = [
            ("reconnect.initial_delay", self.reconnect.initial_delay),
            ("reconnect.max_delay", self.reconnect.max_delay),
            ("reconnect.stable_after", self.reconnect.stable_after),
            ("ping_interval", self.ping_interval),
            ("pong_timeout", self.pong_timeout),
            ("connect_timeout", self.connect_timeout),
            ("token_timeout", self.token_timeout),
            ("ack_timeout", self.ack_timeout),
            ("sync_timeout", self.sync_timeout),
            ("background_grace", self.background_grace),
            ("membership_refresh", self.membership_refresh),
        ];
        for (setting, value) in durations {
            if value.is_zero() {
                return Err(ConfigError::Zero { setting });
            }
            if value > MAX_DURATION {
                return Err(ConfigError::TooLong { setting });
            }
        }
        if self.reconnect.initial_delay > self.reconnect.max_delay {
            return Err(ConfigError::DelayAboveCap);
        }
        let counts = [
            ("queue_capacity", self.queue_capacity),
            ("max_timeouts", self.max_timeouts as usize),
            ("max_outgoing_bytes", self.max_outgoing_bytes),
            ("max_incoming_bytes", self.max_incoming_bytes),
            ("read_buffer_bytes", self.read_buffer_bytes),
        ];
        for (setting, value) in counts {
            if value == 0 {
                return Err(ConfigError::Zero { setting });
            }
        }
        if self.queue_capacity > MAX_QUEUE_CAPACITY {
            return Err(ConfigError::TooLarge {
                setting: "queue_capacity",
            });
        }
        Ok(())
    }
}

/// A setting that would make the client panic, spin or never wait.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A duration, capacity or size of zero.
    #[error("`{setting}` must be above zero")]
    Zero {
        /// The setting.
        setting: &'static str,
    },
    /// A duration over a year.
    #[error("`{setting}` must be at most a year")]
    TooLong {
        /// The setting.
        setting: &'static str,
    },
    /// A capacity over a million.
    #[error("`{setting}` is too large")]
    TooLarge {
        /// The setting.
        setting: &'static str,
    },
    /// The first reconnection delay is longer than the cap.
    #[error("`reconnect.initial_delay` must not exceed `reconnect.max_delay`")]
    DelayAboveCap,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natively_the_driver_sends_websocket_pings() {
        assert!(EngineConfig::new("ws://h/ws").websocket_pings);
    }

    #[test]
    fn defaults_are_valid_and_bad_values_are_named() {
        let config = EngineConfig::new("ws://h/ws");
        assert_eq!(config.validate(), Ok(()));
        let mut zero = config.clone();
        zero.ack_timeout = Duration::ZERO;
        assert_eq!(
            zero.validate(),
            Err(ConfigError::Zero {
                setting: "ack_timeout"
            })
        );
        let mut huge = config.clone();
        huge.ping_interval = Duration::MAX;
        assert_eq!(
            huge.validate(),
            Err(ConfigError::TooLong {
                setting: "ping_interval"
            })
        );
        let mut empty = config.clone();
        empty.queue_capacity = 0;
        assert!(empty.validate().is_err());
        let mut inverted = config;
        inverted.reconnect.initial_delay = Duration::from_secs(60);
        assert_eq!(inverted.validate(), Err(ConfigError::DelayAboveCap));
    }

    #[test]
    fn a_token_put_in_the_endpoint_never_prints() {
        let config = EngineConfig::new("wss://h/ws?token=secret-jwt");
        let printed = format!("{config:?}");
        assert!(
            printed.contains("token=***") && !printed.contains("secret-jwt"),
            "{printed}"
        );
    }
}

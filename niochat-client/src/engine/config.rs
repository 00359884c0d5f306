//! Every knob of the engine, with the defaults of protocol 001's document where it has one.

use std::time::Duration;

/// How the delay before each reconnection attempt is randomised, so that many clients dropped
/// together do not come back together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The engine's configuration. Start from [`EngineConfig::new`] and change fields.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The WebSocket endpoint, such as `wss://chat.example.com/ws`, without the token.
    pub endpoint: String,
    /// Reconnection.
    pub reconnect: ReconnectPolicy,
    /// How many chat messages may wait for their acknowledgement, queued offline or in flight
    /// (100). Sending one more is [`SendError::QueueFull`](super::SendError::QueueFull).
    pub queue_capacity: usize,
    /// How often to ping while connected (30 s).
    pub ping_interval: Duration,
    /// How long after a ping the connection may stay silent before it is taken for dead (10 s).
    pub pong_timeout: Duration,
    /// How long opening a connection may take, handshake included (10 s).
    pub connect_timeout: Duration,
    /// How long a written chat message may wait for its `message_sent` (10 s).
    pub ack_timeout: Duration,
    /// How long live messages of a re-joined conversation are held back waiting for its
    /// `sync_data`, so that missed messages are delivered before newer ones (10 s).
    pub sync_timeout: Duration,
    /// The largest frame the client sends or accepts, in bytes (1 MiB).
    pub max_message_bytes: usize,
    /// Seeds the jitter. Drivers pass fresh randomness; tests pass a constant.
    pub jitter_seed: u64,
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
            ack_timeout: Duration::from_secs(10),
            sync_timeout: Duration::from_secs(10),
            max_message_bytes: 1 << 20,
            jitter_seed: 0x6e69_6f63_6861_7431,
        }
    }
}

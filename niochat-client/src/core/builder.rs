//! [`ClientBuilder`]: every setting, checked before anything runs.

use std::collections::VecDeque;
use std::sync::Arc;

use web_time::Duration;

use super::client::Client;
use super::driver_core::ClientCore;
use super::queue::Subscription;
use super::shared::Shared;
use super::tokens::TokenProvider;
use crate::auth::AuthToken;
use crate::dialect::Backend;
use crate::engine::{ConfigError, Engine, EngineConfig, OutboxStore, ReconnectPolicy, StoreError};

/// Why a [`Client`] could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The endpoint is not a `ws://` or `wss://` URL.
    #[error("the endpoint must start with ws:// or wss://")]
    InvalidEndpoint,
    /// A setting would make the client panic, spin or never wait.
    #[error("invalid setting: {0}")]
    InvalidConfig(#[from] ConfigError),
    /// A root certificate given to `add_root_certificate` is not usable.
    #[error("invalid root certificate: {0}")]
    InvalidCertificate(String),
    /// The outbox store could not be read.
    #[error(transparent)]
    Storage(#[from] StoreError),
    /// `build()` was called outside a tokio runtime.
    #[error("Client::build must be called inside a tokio runtime")]
    NoRuntime,
}

/// Configures and builds a [`Client`].
///
/// ```no_run
/// # #[cfg(feature = "native")]
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use niochat_client::{Backend, ClientBuilder, Event};
///
/// let client = ClientBuilder::new("ws://127.0.0.1:8000")
///     .backend(Backend::PyTake)
///     .token("my-jwt")
///     .build()?;
/// let mut events = client.events();
/// client.connect();
/// client.join("conversation-1").await?;
/// while let Some(event) = events.next().await {
///     if let Event::Message { message, .. } = event {
///         println!("{}", message.content.text().unwrap_or_default());
///     }
/// }
/// # Ok(()) }
/// ```
pub struct ClientBuilder {
    config: EngineConfig,
    backend: Backend,
    tokens: Option<Arc<dyn TokenProvider>>,
    outbox_store: Option<Arc<dyn OutboxStore>>,
    #[cfg_attr(not(feature = "native"), allow(dead_code))]
    pub(crate) extra_roots: Vec<Vec<u8>>,
    #[cfg_attr(not(feature = "native"), allow(dead_code))]
    pub(crate) caller_thread_writes: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("config", &self.config)
            .field("backend", &self.backend)
            .field("authenticated", &self.tokens.is_some())
            .field("persisted_outbox", &self.outbox_store.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// A client of `endpoint` (`ws://` or `wss://`, without the token) with the defaults of
    /// [`EngineConfig::new`], speaking protocol 001 unless [`backend`](Self::backend) says
    /// otherwise.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            config: EngineConfig::new(endpoint),
            backend: Backend::default(),
            tokens: None,
            outbox_store: None,
            extra_roots: Vec::new(),
            caller_thread_writes: true,
        }
    }

    /// The backend to speak.
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// Authenticates every attempt with the same token.
    pub fn token(self, token: impl Into<AuthToken>) -> Self {
        let token = token.into();
        self.token_provider(move |_refresh| {
            let token = token.clone();
            async move { Ok(token) }
        })
    }

    /// Asks `provider` for a token before every attempt.
    pub fn token_provider(mut self, provider: impl TokenProvider) -> Self {
        self.tokens = Some(Arc::new(provider));
        self
    }

    /// Reconnection delays, attempts and jitter.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.config.reconnect = policy;
        self
    }

    /// How many messages may wait for their acknowledgement (100).
    pub fn queue_capacity(mut self, capacity: usize) -> Self {
        self.config.queue_capacity = capacity;
        self
    }

    /// The keep-alive where the client pings: ping every `interval` (30 s); dead after
    /// `timeout` of silence (10 s). Socket.IO backends use the server's own timing.
    pub fn keep_alive(mut self, interval: Duration, timeout: Duration) -> Self {
        self.config.ping_interval = interval;
        self.config.pong_timeout = timeout;
        self
    }

    /// How long a written request may wait for its answer (10 s).
    pub fn ack_timeout(mut self, timeout: Duration) -> Self {
        self.config.ack_timeout = timeout;
        self
    }

    /// How long opening a connection may take, the backend's handshake included (10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.config.connect_timeout = timeout;
        self
    }

    /// How long the token provider may take before the attempt counts as failed (15 s).
    pub fn token_timeout(mut self, timeout: Duration) -> Self {
        self.config.token_timeout = timeout;
        self
    }

    /// The largest frame sent (1 MiB) and accepted (16 MiB), in bytes.
    pub fn frame_limits(mut self, outgoing: usize, incoming: usize) -> Self {
        self.config.max_outgoing_bytes = outgoing;
        self.config.max_incoming_bytes = incoming;
        self
    }

    /// Whether queued messages stay queued when the client stops trying (true, the default)
    /// or are dropped with `NotDelivered`.
    pub fn keep_queue_when_stopped(mut self, keep: bool) -> Self {
        self.config.keep_queue_when_stopped = keep;
        self
    }

    /// Any other engine setting.
    pub fn configure(mut self, change: impl FnOnce(&mut EngineConfig)) -> Self {
        change(&mut self.config);
        self
    }

    /// Keeps the outbox in `store`, so that messages not yet acknowledged when the app stops
    /// are sent when a client is built on the same store again (in order, with their ids).
    /// Without one, the outbox lives as long as the client. Each restored message is
    /// announced (`Event::Outgoing` `Queued`) in the driver's first turn: to be sure to see
    /// those events, open `Client::events` before the driver runs (natively:
    /// `build_with_driver`, then spawn the driver).
    pub fn outbox_store(mut self, store: impl OutboxStore) -> Self {
        self.outbox_store = Some(Arc::new(store));
        self
    }

    /// Whether the client [`build`](Self::build) makes may carry out a command on the thread
    /// that gives it, when the connection is quiet (connected, nothing queued, nothing
    /// awaiting an answer): the frame is then written before the call returns, without
    /// waking the connection's task on another thread. On by default. Turn it off when the
    /// calling threads must not do the connection's work: it may save the outbox through
    /// the [`outbox_store`](Self::outbox_store), read up to a burst of frames and wake the
    /// event streams' readers there.
    pub fn caller_thread_writes(mut self, allowed: bool) -> Self {
        self.caller_thread_writes = allowed;
        self
    }

    /// Also trusts this root certificate (DER) for `wss://`, besides the public web roots:
    /// for backends behind a private certificate authority.
    pub fn add_root_certificate(mut self, der: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(der.into());
        self
    }

    /// The client handle and the runtime-free core a driver loops around, for drivers
    /// outside this crate. `jitter_seed` must be fresh randomness (the core has none); a seed
    /// set in [`EngineConfig::jitter_seed`] is kept instead.
    pub fn build_parts(
        mut self,
        jitter_seed: u64,
    ) -> Result<(Client, ClientCore, CommandInbox), BuildError> {
        self.check()?;
        self.config.jitter_seed.get_or_insert(jitter_seed);
        let protocol = self.backend.protocol();
        let capabilities = protocol.capabilities().clone();
        let backend = protocol.name();
        let mut engine = Engine::new(self.config, protocol)?;
        if let Some(store) = self.outbox_store {
            engine.restore_outbox(store)?;
        }
        let shared = Arc::new(Shared::new());
        let (inbox, commands) = Subscription::new(VecDeque::new());
        let client = Client::new(commands, shared.clone(), backend, capabilities);
        let core = ClientCore::new(engine, self.tokens, shared);
        Ok((client, core, CommandInbox(inbox)))
    }

    /// Checks the endpoint and every setting, without building anything.
    pub fn check(&self) -> Result<(), BuildError> {
        let endpoint = self.config.endpoint.to_ascii_lowercase();
        if !(endpoint.starts_with("ws://") || endpoint.starts_with("wss://")) {
            return Err(BuildError::InvalidEndpoint);
        }
        Ok(self.config.validate()?)
    }

    /// The engine settings so far.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }
}

/// The commands of a client's handles, for its driver: a stream that ends when the last
/// handle is dropped. Dropping it drops every command waiting in it: their futures resolve
/// with `Closed`.
#[derive(Debug)]
pub struct CommandInbox(pub(crate) Subscription<super::ClientCommand>);

impl futures_core::Stream for CommandInbox {
    type Item = super::ClientCommand;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        context: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.0).poll_next(context)
    }
}

impl CommandInbox {
    /// A command already waiting, without waiting (`None` when none is, or every handle is
    /// gone: the stream says which).
    pub fn try_next(&mut self) -> Option<super::ClientCommand> {
        self.0.try_next()
    }

    /// Every command waiting, oldest first, taken in one lock (a lock per command was 2.5 %
    /// of a pipelined send's samples).
    pub fn drain_ready(&mut self) -> Vec<super::ClientCommand> {
        self.0.drain_ready()
    }

    /// Every command waiting, oldest first, appended to `into` in one lock. A driver that
    /// keeps one buffer between turns and empties it each time takes commands without the
    /// inbox reallocating: an empty `into` trades buffers with the inbox.
    pub fn drain_ready_into(
        &mut self,
        into: &mut std::collections::VecDeque<super::ClientCommand>,
    ) {
        self.0.drain_ready_into(into);
    }
}

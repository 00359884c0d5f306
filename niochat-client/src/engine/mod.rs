//! The connection engine: all of the client's behaviour as a pure state machine.
//!
//! The engine owns no socket, no timer and no task. A driver feeds it application commands
//! (the methods below), transport events ([`Engine::handle_transport`]), token answers
//! ([`Engine::handle_token`]) and timer expiries ([`Engine::handle_timeout`]), each with the
//! current time, and carries out the [`Action`]s it returns. The same engine therefore runs
//! under tokio, in the browser and behind FFI, and tests drive it on a virtual clock: time is
//! whatever `Instant` they pass.
//!
//! The engine speaks to the backend only through a [`Dialect`] and
//! obeys its [`Capabilities`]: no frame type of any backend is named here.
//!
//! ```
//! use niochat_client::engine::{Action, Engine, EngineConfig, TransportEvent};
//! use niochat_client::Status;
//! use niochat_client::dialect::Backend;
//! use web_time::Instant;
//!
//! let now = Instant::now();
//! let config = EngineConfig::new("ws://127.0.0.1:8000/ws");
//! let mut engine = Engine::new(config, Backend::Renum.protocol()).expect("valid config");
//! engine.connect(now);
//! // A driver's loop: carry out every action. Here the socket "opens" at once and the
//! // server greets us, which makes the session ready.
//! while let Some(action) = engine.poll_action() {
//!     match action {
//!         Action::RequestToken { connection, .. } => {
//!             engine.handle_token(now, connection, Ok(Some("secret".into())))
//!         }
//!         Action::Open { connection, request } => {
//!             assert_eq!(request.url.to_string(), "ws://127.0.0.1:8000/ws?token=***");
//!             engine.handle_transport(now, connection, TransportEvent::Opened);
//!             let hello = r#"{"type":"connected","user_id":"u1"}"#.to_owned();
//!             engine.handle_transport(now, connection, TransportEvent::Frame(hello));
//!         }
//!         Action::Send { text, .. } => println!("write {text}"),
//!         Action::Close { .. } => println!("close the socket"),
//!         Action::Emit(event) => println!("tell the app {event:?}"),
//!         Action::Complete { request, outcome } => println!("{request:?} is done: {outcome:?}"),
//!         _ => {}
//!     }
//! }
//! assert_eq!(engine.status(), &Status::Connected);
//! // Then: sleep until `engine.poll_timeout()`, call `engine.handle_timeout(now)`, and so on.
//! ```

mod backoff;
mod config;
mod errors;
mod events;
mod inbound;
mod io;
mod keepalive;
mod ledger;
mod lifecycle;
mod metrics;
mod outbox;
mod requests;
mod rooms;
mod session;
mod signals;
mod status;
mod store;
mod tickets;
mod tokens;

use std::collections::VecDeque;
use std::sync::Arc;

use web_time::Instant;

pub use backoff::ceiling as backoff_ceiling;
pub use config::{
    ConfigError, EngineConfig, Jitter, MAX_DURATION, MAX_QUEUE_CAPACITY, ReconnectPolicy,
};
pub use errors::{
    CommandError, ConnectionError, ConnectionErrorKind, DeliveryError, Detail, Refused, StopReason,
};
pub use events::{ClientMessageId, Event, GapReason, MessageAck, MessageState, Origin, Reply};
pub use io::{Action, ConnectionId, TransportEvent};
pub use metrics::{CloseInfo, Metrics};
pub use status::Status;
#[cfg(all(feature = "web", target_arch = "wasm32"))]
pub(crate) use store::merge_stored;
pub use store::{MemoryOutboxStore, OutboxStore, StoreError, StoredMessage};

use crate::dialect::{Capabilities, Dialect, Protocol, RequestId};
use crate::model::{Id, PresenceStatus, Session};
use web_time::Duration;

/// The jitter's seed for an engine made without one ([`EngineConfig::jitter_seed`]): the
/// same delays on every run, as the engine's own tests want. `build()` gives fresh randomness.
const DEFAULT_JITTER_SEED: u64 = 0x6e69_6f63_6861_7431;

/// Where the engine is in a connection's life.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Not trying: before `connect()`, after `disconnect()`.
    Idle,
    /// Gave up or unauthorized; the status says which.
    Stopped,
    /// Waiting for the backoff delay before the next attempt.
    Waiting { until: Instant },
    /// Waiting for the driver's token.
    AwaitingToken {
        connection: ConnectionId,
        deadline: Instant,
    },
    /// The driver is opening the socket.
    Opening {
        connection: ConnectionId,
        deadline: Instant,
    },
    /// The socket is open; the backend's own handshake is under way.
    Handshake {
        connection: ConnectionId,
        deadline: Instant,
    },
    /// The session is ready.
    Ready {
        connection: ConnectionId,
        since: Instant,
    },
}

/// A read receipt waiting for a connection: only the newest per conversation is kept.
#[derive(Debug)]
struct PendingRead {
    conversation: Id,
    message: Id,
    waiters: Vec<RequestId>,
}

/// The client's state machine. See the [module documentation](self).
pub struct Engine {
    config: EngineConfig,
    protocol: Arc<dyn Protocol>,
    phase: Phase,
    status: Status,
    backoff: backoff::Backoff,
    /// A refreshed token was already asked for after a refusal.
    auth_refreshed: bool,
    /// The current attempt's token was asked for with `refresh` (see [`tokens`]).
    token_refreshed: bool,
    /// From when the current attempt's token counts as expired, when known
    /// (see [`tokens`]).
    token_expired_from: Option<Instant>,
    next_connection: u64,
    next_request: u64,
    /// The current attempt's dialect, from the token's arrival until the connection ends.
    dialect: Option<Box<dyn Dialect>>,
    /// The server's keep-alive timing for the current attempt, where the server pings.
    server_ping: Option<(Duration, Duration)>,
    session: Option<Session>,
    outbox: outbox::Outbox,
    ledger: ledger::Ledger,
    rooms: rooms::Rooms,
    pending_reads: Vec<PendingRead>,
    /// The presence announced after every reconnect, and the requests waiting for that.
    presence: Option<PresenceStatus>,
    presence_waiters: Vec<RequestId>,
    keepalive: keepalive::KeepAlive,
    /// The platform said the network is gone: no attempts and no keep-alive until it is back.
    offline: bool,
    /// The app is away (suspended, or in the background): no attempts and no keep-alive until
    /// it resumes.
    suspended: bool,
    /// In the background: when the open connection is closed (see `enter_background`).
    background_close: Option<Instant>,
    /// When the joined conversations are joined and synced again (backends that drop rooms
    /// silently, while connected).
    membership_refresh_at: Option<Instant>,
    recorder: metrics::Recorder,
    actions: VecDeque<Action>,
    /// Whether to emit the `Queued` and `Sent` steps of outgoing messages (see
    /// [`Engine::report_progress`]).
    progress_events: bool,
    /// Scratch space for what a dialect makes of one frame.
    inbound: Vec<crate::dialect::Inbound>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("backend", &self.protocol.name())
            .field(
                "endpoint",
                &crate::auth::SecretUrl::new(self.config.endpoint.as_str()),
            )
            .field("phase", &self.phase)
            .field("status", &self.status)
            .field("queue_depth", &self.outbox.depth())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for `config`, speaking `protocol`. It does nothing until
    /// [`connect`](Self::connect). A setting that would panic or spin is refused.
    pub fn new(config: EngineConfig, protocol: Arc<dyn Protocol>) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Self {
            backoff: backoff::Backoff::new(
                config.reconnect.clone(),
                config.jitter_seed.unwrap_or(DEFAULT_JITTER_SEED),
            ),
            outbox: outbox::Outbox::new(config.queue_capacity),
            config,
            protocol,
            phase: Phase::Idle,
            status: Status::Disconnected,
            auth_refreshed: false,
            token_refreshed: false,
            token_expired_from: None,
            next_connection: 0,
            next_request: 0,
            dialect: None,
            server_ping: None,
            session: None,
            ledger: ledger::Ledger::default(),
            rooms: rooms::Rooms::default(),
            pending_reads: Vec::new(),
            presence: None,
            presence_waiters: Vec::new(),
            keepalive: keepalive::KeepAlive::new(),
            offline: false,
            suspended: false,
            background_close: None,
            membership_refresh_at: None,
            recorder: metrics::Recorder::default(),
            actions: VecDeque::new(),
            progress_events: true,
            inbound: Vec::new(),
        })
    }

    /// The current status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// What the backend offers (its rooms, answers, keep-alive and commands).
    pub fn capabilities(&self) -> &Capabilities {
        self.protocol.capabilities()
    }

    /// The backend's name.
    pub fn backend(&self) -> &'static str {
        self.protocol.name()
    }

    /// What the server said about the current session, while connected.
    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// The next thing for the driver to do.
    pub fn poll_action(&mut self) -> Option<Action> {
        for error in self.outbox.take_store_failures() {
            self.emit(Event::StorageFailed(error));
        }
        self.actions.pop_front()
    }

    /// Whether to emit [`Event::Outgoing`] for the `Queued` and `Sent` steps of outgoing
    /// messages (on by default). Their outcomes (`Acknowledged`, `Failed`, `Held`) are
    /// always emitted, and so are the `Queued` events of [`restore_outbox`](Self::restore_outbox).
    /// A client with no event stream open turns the steps off: no one would read them, and
    /// building them copied every message's conversation id twice.
    pub fn report_progress(&mut self, on: bool) {
        self.progress_events = on;
    }

    /// Keeps the outbox in `store` from now on, after queueing the messages it holds (each
    /// announced as [`Event::Outgoing`] `Queued`, sent after the next connect like any
    /// queued message). Returns how many there were.
    pub fn restore_outbox(&mut self, store: Arc<dyn OutboxStore>) -> Result<usize, StoreError> {
        let restored = self.outbox.restore(store)?;
        for (id, conversation_id) in &restored {
            self.emit(Event::Outgoing {
                id: *id,
                conversation_id: conversation_id.clone(),
                state: MessageState::Queued,
            });
        }
        Ok(restored.len())
    }

    /// When the driver must call [`handle_timeout`](Self::handle_timeout) next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let phase = match self.phase {
            Phase::Waiting { .. } if self.offline || self.suspended => None,
            Phase::Waiting { until } => Some(until),
            Phase::AwaitingToken { deadline, .. }
            | Phase::Opening { deadline, .. }
            | Phase::Handshake { deadline, .. } => Some(deadline),
            Phase::Ready { .. } => [
                self.keepalive.next_deadline(),
                self.ledger.next_deadline(self.config.ack_timeout),
                self.rooms.next_deadline(self.config.sync_timeout),
                self.membership_refresh_at,
            ]
            .into_iter()
            .flatten()
            .min(),
            Phase::Idle | Phase::Stopped => None,
        };
        [phase, self.background_close].into_iter().flatten().min()
    }

    /// A snapshot for a "connection details" panel.
    pub fn metrics(&self, now: Instant) -> Metrics {
        Metrics {
            rtt: self.recorder.rtt,
            reconnects: self.recorder.reconnects,
            attempts: self.backoff.attempts(),
            queue_depth: self.outbox.depth(),
            in_flight: self.ledger.len(),
            time_reconnecting: self.recorder.time_reconnecting(now),
            connected_for: match self.phase {
                Phase::Ready { since, .. } => Some(now.saturating_duration_since(since)),
                _ => None,
            },
            last_close: self.recorder.last_close.clone(),
            last_error: self.recorder.last_error.clone(),
        }
    }

    /// The last message seen in `conversation`: where a sync starts from.
    pub fn last_seen(&self, conversation: &Id) -> Option<&Id> {
        self.rooms.last_seen(conversation)
    }

    /// The conversations that are joined again after every reconnect.
    pub fn joined(&self) -> Vec<Id> {
        self.rooms.joined().cloned().collect()
    }

    /// Connected, with nothing queued and nothing waiting for an answer: a command now is
    /// written at once and alone, so a driver may carry it out on the caller's thread.
    pub fn is_quiet(&self) -> bool {
        self.is_ready() && self.outbox.depth() == 0 && self.ledger.len() == 0
    }

    /// How many frames written on this connection wait for the server's answer.
    pub fn answers_awaited(&self) -> usize {
        self.ledger.len()
    }

    fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready { .. })
    }

    /// Why the engine is not trying, when it is not: what a command waiting for a connection
    /// is told.
    fn stop_reason(&self) -> Option<StopReason> {
        match (self.phase, &self.status) {
            (Phase::Idle, _) => Some(StopReason::Disconnected),
            (Phase::Stopped, Status::Unauthorized) => Some(StopReason::Unauthorized),
            (Phase::Stopped, _) => Some(StopReason::GaveUp),
            _ => None,
        }
    }

    fn own_user(&self) -> Option<&Id> {
        self.session.as_ref()?.user_id.as_ref()
    }

    fn new_request(&mut self) -> RequestId {
        self.next_request += 1;
        RequestId(self.next_request)
    }

    fn emit(&mut self, event: Event) {
        self.actions.push_back(Action::Emit(event));
    }

    fn complete(&mut self, request: RequestId, outcome: Result<Reply, DeliveryError>) {
        self.actions
            .push_back(Action::Complete { request, outcome });
    }

    fn complete_all(&mut self, requests: Vec<RequestId>, outcome: Result<Reply, DeliveryError>) {
        for request in requests {
            self.complete(request, outcome.clone());
        }
    }

    fn set_status(&mut self, status: Status) {
        if self.status != status {
            tracing::debug!(status = status.name(), "status");
            self.status = status.clone();
            self.emit(Event::Status(status));
        }
    }
}

//! The connection engine: all of the client's behaviour as a pure state machine.
//!
//! The engine owns no socket, no timer and no task. A driver feeds it application commands
//! (the methods below), transport events ([`Engine::handle_transport`]), token answers
//! ([`Engine::handle_token`]) and timer expiries ([`Engine::handle_timeout`]), each with the
//! current time, and carries out the [`Action`]s it returns. The same engine therefore runs
//! under tokio, in the browser and behind FFI, and tests drive it on a virtual clock: time is
//! whatever `Instant` they pass.
//!
//! ```
//! use niochat_client::engine::{Action, Engine, EngineConfig, Status, TransportEvent};
//! use niochat_client::protocol::JsonCodec;
//! use web_time::Instant;
//!
//! let now = Instant::now();
//! let mut engine = Engine::new(EngineConfig::new("ws://127.0.0.1:8000/ws"), Box::new(JsonCodec));
//! engine.connect(now);
//! // A driver's loop: carry out every action. Here the socket "opens" at once.
//! while let Some(action) = engine.poll_action() {
//!     match action {
//!         Action::RequestToken { connection, .. } => {
//!             engine.handle_token(now, connection, Ok(Some("secret".into())))
//!         }
//!         Action::Open { connection, url } => {
//!             assert_eq!(url.to_string(), "ws://127.0.0.1:8000/ws?token=***");
//!             engine.handle_transport(now, connection, TransportEvent::Opened);
//!         }
//!         Action::Send { text, .. } => println!("write {text}"),
//!         Action::Close { .. } => println!("close the socket"),
//!         Action::Emit(event) => println!("tell the app {event:?}"),
//!     }
//! }
//! assert_eq!(engine.status(), &Status::Connected);
//! // Then: sleep until `engine.poll_timeout()`, call `engine.handle_timeout(now)`, and so on.
//! ```

mod backoff;
mod config;
mod events;
mod inbound;
mod io;
mod keepalive;
mod lifecycle;
mod metrics;
mod outbox;
mod rooms;
mod status;

use std::collections::VecDeque;

use web_time::Instant;

pub use backoff::ceiling as backoff_ceiling;
pub use config::{EngineConfig, Jitter, ReconnectPolicy};
pub use events::{ClientMessageId, Event, MessageAck, MessageState, Origin, SendError};
pub use io::{Action, ConnectionId, TransportEvent};
pub use metrics::Metrics;
pub use status::{ConnectionError, Status};

use crate::protocol::{
    ClientFrame, Id, Join, Leave, MarkRead, Ping, PresenceStatus, SendMessage, SetPresence,
    SetTyping, SyncRequest, WireCodec,
};

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
    AwaitingToken { connection: ConnectionId },
    /// The driver is opening the socket.
    Opening {
        connection: ConnectionId,
        deadline: Instant,
    },
    /// Connected.
    Open {
        connection: ConnectionId,
        since: Instant,
    },
}

/// The client's state machine. See the [module documentation](self).
pub struct Engine {
    config: EngineConfig,
    codec: Box<dyn WireCodec>,
    phase: Phase,
    status: Status,
    backoff: backoff::Backoff,
    /// A refreshed token was already asked for after a refusal.
    auth_refreshed: bool,
    next_connection: u64,
    outbox: outbox::Outbox,
    rooms: rooms::Rooms,
    /// The newest read receipt per conversation, waiting for a connection.
    pending_reads: Vec<MarkRead>,
    presence: Option<PresenceStatus>,
    keepalive: keepalive::KeepAlive,
    recorder: metrics::Recorder,
    actions: VecDeque<Action>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("endpoint", &self.config.endpoint)
            .field("phase", &self.phase)
            .field("status", &self.status)
            .field("queue_depth", &self.outbox.depth())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine for `config`, speaking through `codec`. It does nothing until [`connect`](Self::connect).
    pub fn new(config: EngineConfig, codec: Box<dyn WireCodec>) -> Self {
        Self {
            backoff: backoff::Backoff::new(config.reconnect.clone(), config.jitter_seed),
            outbox: outbox::Outbox::new(config.queue_capacity),
            keepalive: keepalive::KeepAlive::new(config.ping_interval, config.pong_timeout),
            config,
            codec,
            phase: Phase::Idle,
            status: Status::Disconnected,
            auth_refreshed: false,
            next_connection: 0,
            rooms: rooms::Rooms::default(),
            pending_reads: Vec::new(),
            presence: None,
            recorder: metrics::Recorder::default(),
            actions: VecDeque::new(),
        }
    }

    /// The current status.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The next thing for the driver to do.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When the driver must call [`handle_timeout`](Self::handle_timeout) next, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.phase {
            Phase::Waiting { until } => Some(until),
            Phase::Opening { deadline, .. } => Some(deadline),
            Phase::Open { .. } => [
                self.keepalive.next_deadline(),
                self.outbox.next_deadline(self.config.ack_timeout),
                self.rooms.next_deadline(self.config.sync_timeout),
            ]
            .into_iter()
            .flatten()
            .min(),
            Phase::Idle | Phase::Stopped | Phase::AwaitingToken { .. } => None,
        }
    }

    /// A snapshot for a "connection details" panel.
    pub fn metrics(&self, now: Instant) -> Metrics {
        Metrics {
            rtt: self.recorder.rtt,
            reconnects: self.recorder.reconnects,
            attempts: self.backoff.attempts(),
            queue_depth: self.outbox.depth(),
            time_reconnecting: self.recorder.time_reconnecting(now),
            connected_for: match self.phase {
                Phase::Open { since, .. } => Some(now.saturating_duration_since(since)),
                _ => None,
            },
            last_close_code: self.recorder.last_close_code,
            last_close_reason: self.recorder.last_close_reason.clone(),
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

    /// Sends a chat message now, or queues it until the next connection. The returned id names
    /// it in the [`Event::Outgoing`] events that follow it to `Acknowledged` or `Failed`.
    pub fn send_message(
        &mut self,
        now: Instant,
        conversation_id: Id,
        content: impl Into<String>,
    ) -> Result<ClientMessageId, SendError> {
        let frame = SendMessage {
            conversation_id,
            content: content.into(),
        };
        self.check_size(&ClientFrame::Message(frame.clone()))?;
        let conversation_id = frame.conversation_id.clone();
        let id = self.outbox.push(frame)?;
        self.emit(Event::Outgoing {
            id,
            conversation_id,
            state: MessageState::Queued,
        });
        if self.is_open() {
            self.write_queued(now);
        }
        Ok(id)
    }

    /// Starts or stops the typing indicator. Never queued: stale typing is worse than none.
    pub fn set_typing(&mut self, conversation_id: Id, is_typing: bool) -> Result<(), SendError> {
        self.send_live(ClientFrame::Typing(SetTyping {
            conversation_id,
            is_typing,
        }))
    }

    /// Marks messages read up to `message_id`. Offline, only the newest receipt per
    /// conversation is kept, and sent after the next connect.
    pub fn mark_read(&mut self, conversation_id: Id, message_id: Id) -> Result<(), SendError> {
        let receipt = MarkRead {
            conversation_id,
            message_id,
        };
        self.check_size(&ClientFrame::Read(receipt.clone()))?;
        if self.is_open() {
            self.write(ClientFrame::Read(receipt));
        } else {
            self.pending_reads
                .retain(|pending| pending.conversation_id != receipt.conversation_id);
            self.pending_reads.push(receipt);
        }
        Ok(())
    }

    /// Announces the user's presence now, and again after every reconnect.
    pub fn set_presence(&mut self, status: PresenceStatus) {
        self.presence = Some(status.clone());
        if self.is_open() {
            self.write(ClientFrame::Presence(SetPresence { status }));
        }
    }

    /// Joins a conversation now or at the next connect, and again after every reconnect.
    pub fn join(&mut self, conversation_id: Id) {
        if self.rooms.join(&conversation_id) && self.is_open() {
            self.rooms.joined_now(&conversation_id);
            self.write(ClientFrame::Join(Join { conversation_id }));
        }
    }

    /// Leaves a conversation: it is no longer joined after reconnects.
    pub fn leave(&mut self, conversation_id: Id) {
        let released = self.rooms.leave(&conversation_id);
        self.deliver_all(released);
        if self.is_open() {
            self.write(ClientFrame::Leave(Leave { conversation_id }));
        }
    }

    /// Asks for the messages of `conversation_id` after `last_message_id` (by default the
    /// last one seen). The engine already does this after every reconnect.
    pub fn sync(
        &mut self,
        conversation_id: Id,
        last_message_id: Option<Id>,
    ) -> Result<(), SendError> {
        let last_message_id =
            last_message_id.or_else(|| self.rooms.last_seen(&conversation_id).cloned());
        self.send_live(ClientFrame::Sync(SyncRequest {
            conversation_id,
            last_message_id,
        }))
    }

    /// Pings now; the `pong` updates [`Metrics::rtt`].
    pub fn ping(&mut self, now: Instant) -> Result<(), SendError> {
        if !self.is_open() {
            return Err(SendError::NotConnected);
        }
        self.keepalive.probe(now);
        self.write(ClientFrame::Ping(Ping {}));
        Ok(())
    }

    fn send_live(&mut self, frame: ClientFrame) -> Result<(), SendError> {
        self.check_size(&frame)?;
        if !self.is_open() {
            return Err(SendError::NotConnected);
        }
        self.write(frame);
        Ok(())
    }

    fn check_size(&self, frame: &ClientFrame) -> Result<(), SendError> {
        let size = self.codec.encode(frame).len();
        match size > self.config.max_message_bytes {
            true => Err(SendError::TooLarge {
                size,
                max: self.config.max_message_bytes,
            }),
            false => Ok(()),
        }
    }

    fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open { .. })
    }

    /// Writes a frame on the open connection (and does nothing otherwise).
    fn write(&mut self, frame: ClientFrame) {
        if let Phase::Open { connection, .. } = self.phase {
            let text = self.codec.encode(&frame);
            self.actions.push_back(Action::Send { connection, text });
        }
    }

    fn write_queued(&mut self, now: Instant) {
        for (id, frame) in self.outbox.write_unsent(now) {
            let conversation_id = frame.conversation_id.clone();
            self.write(ClientFrame::Message(frame));
            self.emit(Event::Outgoing {
                id,
                conversation_id,
                state: MessageState::Sent,
            });
        }
    }

    fn emit(&mut self, event: Event) {
        self.actions.push_back(Action::Emit(event));
    }

    fn set_status(&mut self, status: Status) {
        if self.status != status {
            tracing::debug!(status = status.name(), "status");
            self.status = status.clone();
            self.emit(Event::Status(status));
        }
    }
}

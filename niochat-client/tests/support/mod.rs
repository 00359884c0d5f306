//! A driver for the engine on a virtual clock: time moves only when a test says so, and
//! every action the engine asks for is recorded for the test to inspect.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use niochat_client::dialect::{Backend, Protocol, RequestId};
use niochat_client::engine::{
    Action, ClientMessageId, ConnectionId, Engine, EngineConfig, Event, Jitter, MessageState,
    Reply, Status, TransportEvent,
};
use niochat_client::{AuthToken, DeliveryError, SecretUrl};
use serde_json::{Value, json};
use web_time::Instant;

pub const SECOND: Duration = Duration::from_secs(1);
/// The wall-clock time (seconds since the Unix epoch) when a harness starts; it moves with
/// the virtual clock, and the harness gives it with every token.
pub const WALL_CLOCK_START: u64 = 1_800_000_000;

type TokenSource = Box<dyn FnMut(bool) -> Result<Option<AuthToken>, String>>;

pub struct Harness {
    pub engine: Engine,
    pub start: Instant,
    pub now: Instant,
    /// Every event emitted, in order.
    pub events: Vec<Event>,
    /// Every frame written, as text, with the connection it was written on.
    pub sent: Vec<(ConnectionId, String)>,
    /// Every URL opened.
    pub opened: Vec<SecretUrl>,
    /// Every close the engine asked for: (connection, code).
    pub closes: Vec<(ConnectionId, u16)>,
    /// The `refresh` flag of every token request.
    pub token_requests: Vec<bool>,
    /// Every WebSocket ping the engine asked for.
    pub socket_pings: Vec<ConnectionId>,
    /// Every request's outcome, in order.
    pub completions: Vec<(RequestId, Result<Reply, DeliveryError>)>,
    /// The attempt the driver is opening, if any.
    pub opening: Option<ConnectionId>,
    /// The open connection, if any.
    pub live: Option<ConnectionId>,
    /// What the server sends when a socket opens, to make the session ready.
    greeting: Vec<String>,
    tokens: TokenSource,
    /// Whether token requests are answered at once.
    answer_tokens: bool,
}

/// Defaults with jitter off, so that delays are exact.
pub fn config() -> EngineConfig {
    let mut config = EngineConfig::new("ws://127.0.0.1:9/ws");
    config.reconnect.jitter = Jitter::None;
    config
}

impl Harness {
    /// A protocol-001 engine.
    pub fn new(config: EngineConfig) -> Self {
        let greeting =
            json!({"type": "connected", "user_id": "me", "timestamp": "2025-12-07T10:00:00"});
        Self::with_protocol(
            config,
            Backend::Renum.protocol(),
            vec![greeting.to_string()],
        )
    }

    /// An engine speaking `protocol`, whose server sends `greeting` when a socket opens.
    pub fn with_protocol(
        config: EngineConfig,
        protocol: Arc<dyn Protocol>,
        greeting: Vec<String>,
    ) -> Self {
        let start = Instant::now();
        Self {
            engine: Engine::new(config, protocol).expect("a valid configuration"),
            start,
            now: start,
            events: Vec::new(),
            sent: Vec::new(),
            opened: Vec::new(),
            closes: Vec::new(),
            token_requests: Vec::new(),
            completions: Vec::new(),
            socket_pings: Vec::new(),
            opening: None,
            live: None,
            greeting,
            tokens: Box::new(|_| Ok(Some(AuthToken::new("jwt-secret")))),
            answer_tokens: true,
        }
    }

    /// A harness that is connected, with its first events and frames cleared.
    pub fn connected(config: EngineConfig) -> Self {
        let mut harness = Self::new(config);
        harness.connect_now();
        harness
    }

    /// Connects and clears what that produced.
    pub fn connect_now(&mut self) {
        self.engine.connect(self.now);
        self.pump();
        self.accept();
        self.clear();
    }

    pub fn with_tokens(
        mut self,
        tokens: impl FnMut(bool) -> Result<Option<AuthToken>, String> + 'static,
    ) -> Self {
        self.tokens = Box::new(tokens);
        self
    }

    /// Token requests are left unanswered (a provider that hangs).
    pub fn with_silent_tokens(mut self) -> Self {
        self.answer_tokens = false;
        self
    }

    /// Sends a chat message now (or queues it), which must be accepted.
    pub fn send(&mut self, conversation: &str, content: &str) -> ClientMessageId {
        let sent = self
            .engine
            .send_message(self.now, conversation.into(), content);
        let id = sent.unwrap_or_else(|error| panic!("{content:?} refused: {error}"));
        self.pump();
        id
    }

    /// Carries out every pending action: answers token requests, records the rest.
    pub fn pump(&mut self) {
        while let Some(action) = self.engine.poll_action() {
            match action {
                Action::RequestToken {
                    connection,
                    refresh,
                } => {
                    self.token_requests.push(refresh);
                    if self.answer_tokens {
                        let token = (self.tokens)(refresh);
                        let wall_clock = web_time::UNIX_EPOCH
                            + Duration::from_secs(WALL_CLOCK_START)
                            + (self.now - self.start);
                        self.engine
                            .handle_token_at(self.now, wall_clock, connection, token);
                    }
                }
                Action::Open {
                    connection,
                    request,
                } => {
                    self.opened.push(request.url);
                    self.opening = Some(connection);
                }
                Action::Send { connection, text } => self.sent.push((connection, text)),
                Action::Close {
                    connection, code, ..
                } => {
                    self.closes.push((connection, code));
                    if self.live == Some(connection) {
                        self.live = None;
                    }
                    if self.opening == Some(connection) {
                        self.opening = None;
                    }
                }
                Action::PingSocket { connection } => self.socket_pings.push(connection),
                Action::Emit(event) => self.events.push(event),
                Action::Complete { request, outcome } => self.completions.push((request, outcome)),
                other => panic!("unexpected action {other:?}"),
            }
        }
    }

    /// Moves the clock forward by `by`, firing every timer due on the way.
    pub fn advance(&mut self, by: Duration) {
        let target = self.now + by;
        while let Some(due) = self.engine.poll_timeout() {
            if due > target {
                break;
            }
            self.now = self.now.max(due);
            self.engine.handle_timeout(self.now);
            self.pump();
        }
        self.now = target;
    }

    /// Lets the clock run until the engine asks to open a connection, and returns how long that took.
    pub fn until_open_requested(&mut self) -> Duration {
        let before = self.now;
        while self.opening.is_none() {
            let due = self
                .engine
                .poll_timeout()
                .expect("the engine is waiting for something");
            self.advance(due.saturating_duration_since(self.now));
        }
        self.now - before
    }

    pub fn transport(&mut self, connection: ConnectionId, event: TransportEvent) {
        self.engine.handle_transport(self.now, connection, event);
        self.pump();
    }

    /// The attempt under way opens its socket, and the server greets (the session is ready).
    pub fn accept(&mut self) {
        self.open_socket();
        for greeting in self.greeting.clone() {
            self.receive_text(greeting);
        }
    }

    /// The attempt under way opens its socket; the server says nothing yet.
    pub fn open_socket(&mut self) {
        let connection = self.opening.take().expect("an attempt is under way");
        self.live = Some(connection);
        self.transport(connection, TransportEvent::Opened);
    }

    /// The attempt under way is refused at the handshake.
    pub fn refuse(&mut self, status: u16) {
        let connection = self.opening.take().expect("an attempt is under way");
        self.transport(connection, TransportEvent::HandshakeRefused { status });
    }

    /// The attempt under way fails before its socket opens, and the transport cannot say why
    /// (as a browser's handshake refused with HTTP 403, or a server out of reach).
    pub fn fail_unexplained(&mut self) {
        let connection = self.opening.take().expect("an attempt is under way");
        let error =
            niochat_client::ConnectionError::new(niochat_client::ConnectionErrorKind::Transport);
        self.transport(connection, TransportEvent::Failed(error));
    }

    /// The attempt under way fails to connect.
    pub fn fail(&mut self) {
        let connection = self.opening.take().expect("an attempt is under way");
        let error =
            niochat_client::ConnectionError::new(niochat_client::ConnectionErrorKind::Refused);
        self.transport(connection, TransportEvent::Failed(error));
    }

    /// The server drops the open connection without a close frame.
    pub fn drop_connection(&mut self) {
        self.close_connection(None, "");
    }

    /// The server closes the open connection.
    pub fn close_connection(&mut self, code: Option<u16>, reason: &str) {
        let connection = self.live.take().expect("connected");
        self.transport(
            connection,
            TransportEvent::Closed {
                code,
                reason: reason.to_owned(),
            },
        );
    }

    /// The server drops the connection; the engine's next attempt succeeds.
    pub fn reconnect_after_drop(&mut self) {
        self.drop_connection();
        self.until_open_requested();
        self.accept();
    }

    /// Joins `conversation` on the open connection, and the server answers.
    pub fn join(&mut self, conversation: &str) {
        let joined = self.engine.join(self.now, conversation.into());
        joined.unwrap_or_else(|error| panic!("join refused: {error}"));
        self.pump();
        self.receive(joined_frame(conversation));
    }

    /// The server drops the connection, the next attempt succeeds, and the server answers the
    /// re-join of `conversation` (its sync, if any, stays open).
    pub fn reconnect_and_rejoin(&mut self, conversation: &str) {
        self.reconnect_after_drop();
        self.receive(joined_frame(conversation));
    }

    /// A text frame from the server on the open connection.
    pub fn receive(&mut self, frame: Value) {
        self.receive_text(frame.to_string());
    }

    pub fn receive_text(&mut self, text: impl Into<String>) {
        let connection = self.live.expect("connected");
        self.transport(connection, TransportEvent::Frame(text.into()));
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.sent.clear();
        self.closes.clear();
        self.token_requests.clear();
        self.completions.clear();
    }

    /// The frames written so far, as JSON (protocol 001).
    pub fn sent_json(&self) -> Vec<Value> {
        self.sent
            .iter()
            .map(|(_, text)| serde_json::from_str(text).expect("the engine writes JSON"))
            .collect()
    }

    /// The frames written so far, as text.
    pub fn sent_text(&self) -> Vec<String> {
        self.sent.iter().map(|(_, text)| text.clone()).collect()
    }

    /// The contents of the chat `message` frames written so far, in order.
    pub fn sent_contents(&self) -> Vec<Value> {
        self.sent_of("message")
            .iter()
            .map(|frame| frame["content"].clone())
            .collect()
    }

    /// The `type`s of the frames written so far.
    pub fn sent_types(&self) -> Vec<String> {
        self.sent_json()
            .iter()
            .map(|frame| frame["type"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    /// The frames written so far with `type` equal to `kind`.
    pub fn sent_of(&self, kind: &str) -> Vec<Value> {
        self.sent_json()
            .into_iter()
            .filter(|frame| frame["type"] == kind)
            .collect()
    }

    pub fn statuses(&self) -> Vec<Status> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::Status(status) => Some(status.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn status_names(&self) -> Vec<&'static str> {
        self.statuses().iter().map(Status::name).collect()
    }

    /// The error kinds of the `Error` statuses so far.
    pub fn error_kinds(&self) -> Vec<niochat_client::ConnectionErrorKind> {
        self.statuses()
            .into_iter()
            .filter_map(|status| match status {
                Status::Error(error) => Some(error.kind().clone()),
                _ => None,
            })
            .collect()
    }

    /// The contents of the chat messages delivered so far.
    pub fn delivered(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::Message { message, .. } => message.content.text().map(str::to_owned),
                _ => None,
            })
            .collect()
    }

    /// The states reported for an outgoing message.
    pub fn states_of(&self, id: ClientMessageId) -> Vec<MessageState> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::Outgoing { id: of, state, .. } if *of == id => Some(state.clone()),
                _ => None,
            })
            .collect()
    }

    /// The outcome of a request, once it has one.
    pub fn outcome(&self, request: RequestId) -> Option<Result<Reply, DeliveryError>> {
        self.completions
            .iter()
            .find(|(of, _)| *of == request)
            .map(|(_, outcome)| outcome.clone())
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }
}

/// The server's id for a message, once its state says it was acknowledged.
pub fn acknowledged_as(state: Option<&MessageState>) -> Option<String> {
    match state {
        Some(MessageState::Acknowledged(ack)) => Some(ack.message_id.to_string()),
        _ => None,
    }
}

/// A server `message` frame.
pub fn message(id: &str, conversation: &str, content: &str, created_at: &str) -> Value {
    json!({"type": "message", "message": chat(id, conversation, content, created_at)})
}

/// A stored chat message as the server sends it.
pub fn chat(id: &str, conversation: &str, content: &str, created_at: &str) -> Value {
    json!({"id": id, "conversation_id": conversation, "user_id": "u2", "content": content,
           "role": "user", "created_at": created_at})
}

pub fn ack(id: &str) -> Value {
    json!({"type": "message_sent", "message_id": id, "timestamp": "2025-12-07T10:00:00.000001"})
}

pub fn joined(conversation: &str) -> Value {
    joined_frame(conversation)
}

fn joined_frame(conversation: &str) -> Value {
    json!({"type": "joined", "conversation_id": conversation, "success": true})
}

pub fn error(code: &str, text: &str) -> Value {
    json!({"type": "error", "error": text, "code": code})
}

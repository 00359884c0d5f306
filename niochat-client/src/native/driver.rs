//! The tokio task that owns an engine and its socket.
//!
//! A loop with no logic of its own: carry out the engine's actions, then wait for whichever
//! comes first (a command, a token, the socket opening, a frame, a write failure, the
//! engine's timer) and hand it to the engine with the current time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use web_time::Instant;

use super::transport::{Reader, Socket, Transport, Writer};
use super::{BoxFuture, TokenProvider};
use crate::AuthToken;
use crate::engine::{
    Action, ClientMessageId, ConnectionError, ConnectionId, Engine, EngineConfig, Event,
    MessageAck, Metrics, SendError, Status, TransportEvent,
};
use crate::protocol::{Id, PresenceStatus, WireCodec};

pub(super) type Subscribers = Arc<Mutex<Vec<mpsc::UnboundedSender<Event>>>>;
type AckWaiter = oneshot::Sender<Result<MessageAck, SendError>>;
type Reply<T> = oneshot::Sender<T>;

/// How long a graceful close may take before the driver moves on.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What a [`Client`](super::Client) asks of its driver.
pub(super) enum Command {
    Connect,
    Disconnect(Reply<()>),
    Reconnect,
    NetworkAvailable,
    SendMessage {
        conversation: Id,
        content: String,
        ack: Option<AckWaiter>,
        reply: Reply<Result<ClientMessageId, SendError>>,
    },
    Typing {
        conversation: Id,
        is_typing: bool,
        reply: Reply<Result<(), SendError>>,
    },
    Read {
        conversation: Id,
        message: Id,
        reply: Reply<Result<(), SendError>>,
    },
    Sync {
        conversation: Id,
        last_message: Option<Id>,
        reply: Reply<Result<(), SendError>>,
    },
    Ping {
        reply: Reply<Result<(), SendError>>,
    },
    Presence(PresenceStatus, Reply<()>),
    Join(Id, Reply<()>),
    Leave(Id, Reply<()>),
    Metrics(Reply<Metrics>),
}

pub(super) struct Driver {
    engine: Engine,
    transport: Transport,
    tokens: Option<Arc<dyn TokenProvider>>,
    status: watch::Sender<Status>,
    subscribers: Subscribers,
    ack_waiters: HashMap<ClientMessageId, AckWaiter>,
    /// The token being fetched, for which attempt.
    token: Option<(
        ConnectionId,
        BoxFuture<Result<AuthToken, super::TokenError>>,
    )>,
    /// The socket being opened.
    opening: Option<(ConnectionId, BoxFuture<Result<Socket, TransportEvent>>)>,
    /// The open socket.
    live: Option<(ConnectionId, Reader, Writer)>,
    /// Writers finishing a close handshake.
    closing: Vec<JoinHandle<()>>,
    /// Write failures reported by writer tasks.
    failures: (
        mpsc::UnboundedSender<Failure>,
        mpsc::UnboundedReceiver<Failure>,
    ),
}

type Failure = (ConnectionId, ConnectionError);

impl Driver {
    pub(super) fn new(
        config: EngineConfig,
        codec: Box<dyn WireCodec>,
        transport: Transport,
        tokens: Option<Arc<dyn TokenProvider>>,
        status: watch::Sender<Status>,
        subscribers: Subscribers,
    ) -> Self {
        Self {
            engine: Engine::new(config, codec),
            transport,
            tokens,
            status,
            subscribers,
            ack_waiters: HashMap::new(),
            token: None,
            opening: None,
            live: None,
            closing: Vec::new(),
            failures: mpsc::unbounded_channel(),
        }
    }

    pub(super) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            self.carry_out_actions();
            let timer = self
                .engine
                .poll_timeout()
                .map(tokio::time::Instant::from_std);
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.command(command).await,
                    None => break,
                },
                (connection, token) = wait(&mut self.token), if self.token.is_some() => {
                    self.token = None;
                    let token = token.map(Some).map_err(|error| error.0);
                    self.engine.handle_token(Instant::now(), connection, token);
                }
                (connection, opened) = wait(&mut self.opening), if self.opening.is_some() => {
                    self.opening = None;
                    self.opened(connection, opened);
                }
                read = read(&mut self.live), if self.live.is_some() => self.read(read),
                Some((connection, error)) = self.failures.1.recv() => {
                    self.engine.handle_transport(Instant::now(), connection, TransportEvent::Failed(error));
                }
                () = sleep_until(timer), if timer.is_some() => self.engine.handle_timeout(Instant::now()),
            }
        }
        tracing::debug!("last client handle dropped: shutting down");
        self.engine.disconnect(Instant::now());
        self.carry_out_actions();
        self.finish_closing().await;
        // Waiters and subscribers are dropped here: pending sends resolve to `Shutdown`, event
        // streams end.
    }

    async fn command(&mut self, command: Command) {
        let now = Instant::now();
        let engine = &mut self.engine;
        match command {
            Command::Connect => engine.connect(now),
            Command::Disconnect(done) => {
                engine.disconnect(now);
                self.carry_out_actions();
                self.finish_closing().await;
                let _ = done.send(());
            }
            Command::Reconnect => engine.reconnect(now),
            Command::NetworkAvailable => engine.network_available(now),
            Command::SendMessage {
                conversation,
                content,
                ack,
                reply,
            } => {
                let sent = engine.send_message(now, conversation, content);
                if let (Ok(id), Some(ack)) = (&sent, ack) {
                    self.ack_waiters.insert(*id, ack);
                }
                let _ = reply.send(sent);
            }
            Command::Typing {
                conversation,
                is_typing,
                reply,
            } => {
                let _ = reply.send(engine.set_typing(conversation, is_typing));
            }
            Command::Read {
                conversation,
                message,
                reply,
            } => {
                let _ = reply.send(engine.mark_read(conversation, message));
            }
            Command::Sync {
                conversation,
                last_message,
                reply,
            } => {
                let _ = reply.send(engine.sync(conversation, last_message));
            }
            Command::Ping { reply } => {
                let _ = reply.send(engine.ping(now));
            }
            Command::Presence(status, done) => {
                engine.set_presence(status);
                let _ = done.send(());
            }
            Command::Join(conversation, done) => {
                engine.join(conversation);
                let _ = done.send(());
            }
            Command::Leave(conversation, done) => {
                engine.leave(conversation);
                let _ = done.send(());
            }
            Command::Metrics(reply) => {
                let _ = reply.send(engine.metrics(now));
            }
        }
    }

    fn carry_out_actions(&mut self) {
        while let Some(action) = self.engine.poll_action() {
            match action {
                Action::RequestToken {
                    connection,
                    refresh,
                } => match &self.tokens {
                    Some(tokens) => self.token = Some((connection, tokens.token(refresh))),
                    None => self
                        .engine
                        .handle_token(Instant::now(), connection, Ok(None)),
                },
                Action::Open { connection, url } => {
                    self.opening = Some((connection, Box::pin(self.transport.clone().open(url))));
                }
                Action::Send { connection, text } => match &self.live {
                    Some((live, _, writer)) if *live == connection => writer.send(text),
                    _ => tracing::trace!(
                        ?connection,
                        "frame for a closed connection dropped by the engine's order"
                    ),
                },
                Action::Close {
                    connection,
                    code,
                    reason,
                } => self.close(connection, code, reason),
                Action::Emit(event) => self.emit(event),
            }
        }
    }

    fn opened(&mut self, connection: ConnectionId, opened: Result<Socket, TransportEvent>) {
        let event = match opened {
            Ok(socket) => {
                let (reader, writer) =
                    self.transport
                        .split(connection, socket, self.failures.0.clone());
                self.live = Some((connection, reader, writer));
                TransportEvent::Opened
            }
            Err(event) => event,
        };
        self.engine
            .handle_transport(Instant::now(), connection, event);
    }

    fn read(
        &mut self,
        read: Option<
            Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>,
        >,
    ) {
        let Some((connection, _, _)) = &self.live else {
            return;
        };
        let connection = *connection;
        let Some(event) = self.transport.read_event(read) else {
            return;
        };
        if matches!(
            event,
            TransportEvent::Closed { .. } | TransportEvent::Failed(_)
        ) {
            self.live = None;
        }
        self.engine
            .handle_transport(Instant::now(), connection, event);
    }

    fn close(&mut self, connection: ConnectionId, code: u16, reason: String) {
        if self
            .opening
            .as_ref()
            .is_some_and(|(opening, _)| *opening == connection)
        {
            self.opening = None;
        }
        if self
            .live
            .as_ref()
            .is_some_and(|(live, _, _)| *live == connection)
        {
            if let Some((_, _, writer)) = self.live.take() {
                self.closing.push(writer.close(code, reason));
            }
        }
        self.closing.retain(|task| !task.is_finished());
    }

    async fn finish_closing(&mut self) {
        for task in self.closing.drain(..) {
            let _ = tokio::time::timeout(CLOSE_GRACE, task).await;
        }
    }

    fn emit(&mut self, event: Event) {
        match &event {
            Event::Status(status) => {
                self.status.send_replace(status.clone());
            }
            Event::Outgoing { id, state, .. } => {
                if let Some(outcome) = state.outcome()
                    && let Some(waiter) = self.ack_waiters.remove(id)
                {
                    let _ = waiter.send(outcome);
                }
            }
            _ => {}
        }
        if let Ok(mut subscribers) = self.subscribers.lock() {
            subscribers.retain(|subscriber| subscriber.send(event.clone()).is_ok());
        }
    }
}

/// The pending future's output, with the connection it was for.
async fn wait<T>(pending: &mut Option<(ConnectionId, BoxFuture<T>)>) -> (ConnectionId, T) {
    match pending {
        Some((connection, future)) => (*connection, future.await),
        None => std::future::pending().await,
    }
}

async fn read(
    live: &mut Option<(ConnectionId, Reader, Writer)>,
) -> Option<Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>>
{
    match live {
        Some((_, reader, _)) => reader.next().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

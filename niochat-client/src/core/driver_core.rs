//! [`ClientCore`]: the engine plus everything every driver would otherwise write again.
//!
//! It owns the engine, completes the futures of client handles (acknowledgements and
//! answers) and fans events out to subscribers, both in one batch per driver turn, keeps the
//! current status, asks the application's token provider and matches its answers to
//! attempts. What is left for a driver is I/O: open, write and close sockets, sleep until
//! [`ClientCore::poll_timeout`], await the token future, and call [`ClientCore::flush`] once
//! per turn (futures resolve there, not before).

use std::collections::VecDeque;
use std::sync::Arc;

use futures_channel::oneshot;
use rustc_hash::FxHashMap;
use web_time::Instant;

use super::command::{ClientCommand, CommandReply, MessageReply, Request};
use super::shared::Shared;
use super::tokens::{BoxFuture, TokenError, TokenProvider};
use crate::auth::AuthToken;
use crate::dialect::{Command, ConnectRequest, RequestId};
use crate::engine::{
    Action, ClientMessageId, CommandError, ConnectionId, DeliveryError, Engine, Event, MessageAck,
    Reply, TransportEvent,
};

type Waiter<T> = oneshot::Sender<Result<T, CommandError>>;

/// I/O for the driver to carry out.
#[non_exhaustive]
pub enum DriverAction {
    /// Await `token` and hand its output to [`ClientCore::token`] for `connection`.
    FetchToken {
        /// The attempt.
        connection: ConnectionId,
        /// The application's provider at work.
        token: BoxFuture<Result<AuthToken, TokenError>>,
    },
    /// Open a WebSocket.
    Open {
        /// The attempt.
        connection: ConnectionId,
        /// What to open.
        request: ConnectRequest,
    },
    /// Write a text frame.
    Send {
        /// On which connection.
        connection: ConnectionId,
        /// The frame (may carry a token: never log it).
        text: String,
    },
    /// Send a WebSocket ping control frame; report the pong as `TransportEvent::Pong`.
    /// A driver that cannot (browsers) ignores it.
    PingSocket {
        /// On which connection.
        connection: ConnectionId,
    },
    /// Close a connection, or abandon the attempt under way.
    Close {
        /// Which.
        connection: ConnectionId,
        /// The close code.
        code: u16,
        /// The close reason.
        reason: String,
    },
    /// Send `()` on `done` once every close asked for so far has finished.
    NotifyWhenClosed(oneshot::Sender<()>),
}

impl std::fmt::Debug for DriverAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DriverAction::FetchToken { connection, .. } => {
                write!(f, "FetchToken({connection:?})")
            }
            DriverAction::Open {
                connection,
                request,
            } => {
                write!(f, "Open({connection:?}, {})", request.url)
            }
            DriverAction::Send { connection, text } => {
                write!(f, "Send({connection:?}, {} bytes)", text.len())
            }
            DriverAction::Close {
                connection, code, ..
            } => write!(f, "Close({connection:?}, {code})"),
            DriverAction::PingSocket { connection } => write!(f, "PingSocket({connection:?})"),
            DriverAction::NotifyWhenClosed(_) => f.write_str("NotifyWhenClosed"),
        }
    }
}

/// A future's answer, waiting for the end of the turn.
enum Answered {
    Message(Waiter<MessageAck>, Result<MessageAck, DeliveryError>),
    Request(CommandReply, Result<Reply, DeliveryError>),
}

/// The runtime-free client. See the [`core` module](crate::core).
pub struct ClientCore {
    engine: Engine,
    tokens: Option<Arc<dyn TokenProvider>>,
    shared: Arc<Shared>,
    /// Keyed by the ids the engine hands out, looked up for every message: Fx, not SipHash.
    messages: FxHashMap<ClientMessageId, Waiter<MessageAck>>,
    requests: FxHashMap<RequestId, CommandReply>,
    batch: Vec<Event>,
    /// This turn's answers, handed over at [`flush`](Self::flush) with its events.
    answers: Vec<Answered>,
    after_engine: VecDeque<DriverAction>,
    now: Instant,
}

impl std::fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCore")
            .field("engine", &self.engine)
            .field("waiting", &(self.messages.len() + self.requests.len()))
            .finish_non_exhaustive()
    }
}

impl ClientCore {
    pub(crate) fn new(
        engine: Engine,
        tokens: Option<Arc<dyn TokenProvider>>,
        shared: Arc<Shared>,
    ) -> Self {
        Self {
            engine,
            tokens,
            shared,
            messages: FxHashMap::default(),
            requests: FxHashMap::default(),
            batch: Vec::new(),
            answers: Vec::new(),
            after_engine: VecDeque::new(),
            now: Instant::now(),
        }
    }

    /// The engine, to read its state.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A client handle's request.
    pub fn command(&mut self, now: Instant, command: ClientCommand) {
        self.enter(now);
        let engine = &mut self.engine;
        match command.0 {
            Request::Connect => engine.connect(now),
            Request::Disconnect(done) => {
                engine.disconnect(now);
                self.after_engine
                    .push_back(DriverAction::NotifyWhenClosed(done));
            }
            Request::Reconnect => engine.reconnect(now),
            Request::NetworkAvailable => engine.network_available(now),
            Request::NetworkLost => engine.network_lost(now),
            Request::Suspend => engine.suspend(now),
            Request::Resume => engine.resume(now),
            Request::EnterBackground => engine.enter_background(now),
            Request::EnterForeground => engine.enter_foreground(now),
            Request::SendMessage {
                conversation,
                content,
                reply,
            } => match (engine.send_message(now, conversation, content), reply) {
                (Ok(id), MessageReply::Acknowledged(outcome)) => {
                    self.messages.insert(id, outcome);
                }
                (Err(refused), MessageReply::Acknowledged(outcome)) => {
                    let _ = outcome.send(Err(CommandError::Refused(refused)));
                }
                (sent, MessageReply::Queued(accepted)) => {
                    let _ = accepted.send(sent);
                }
            },
            Request::Command { command, outcome } => {
                let taken = match command {
                    Command::Join(conversation) => engine.join(now, conversation),
                    Command::Leave(conversation) => engine.leave(now, conversation),
                    Command::Typing {
                        conversation_id,
                        is_typing,
                    } => engine.set_typing(now, conversation_id, is_typing),
                    Command::Read {
                        conversation_id,
                        message_id,
                    } => engine.mark_read(now, conversation_id, message_id),
                    Command::Sync {
                        conversation_id,
                        after,
                    } => engine.sync(now, conversation_id, after),
                    Command::Ping => engine.ping(now),
                    Command::Presence(status) => engine.set_presence(now, status),
                    Command::Backend(command) => engine.backend_command(now, command),
                    // Client handles send messages as `SendMessage`, which tracks their ids.
                    Command::Message { .. } => Err(crate::engine::Refused::Unsupported {
                        command: crate::dialect::CommandKind::Message,
                        backend: engine.backend(),
                    }),
                };
                match taken {
                    Ok(request) => {
                        self.requests.insert(request, outcome);
                    }
                    Err(refused) => outcome.send(Err(refused.into())),
                }
            }
            Request::Metrics(reply) => {
                let _ = reply.send(engine.metrics(now));
            }
        }
    }

    /// The token provider's answer for `connection`. `wall_clock`: given by a driver whose
    /// transport cannot see why a handshake failed (a browser), so that the engine can tell
    /// an expired token's refusal from an unreachable server (see `Engine::handle_token_at`).
    pub fn token(
        &mut self,
        now: Instant,
        wall_clock: Option<web_time::SystemTime>,
        connection: ConnectionId,
        token: Result<AuthToken, TokenError>,
    ) {
        self.enter(now);
        let token = token.map(Some).map_err(|error| error.0);
        match wall_clock {
            Some(wall_clock) => self
                .engine
                .handle_token_at(now, wall_clock, connection, token),
            None => self.engine.handle_token(now, connection, token),
        }
    }

    /// Something happened on `connection`.
    pub fn transport(&mut self, now: Instant, connection: ConnectionId, event: TransportEvent) {
        self.enter(now);
        self.engine.handle_transport(now, connection, event);
    }

    /// What the platform says of the network (a browser's `online`/`offline`, a phone's
    /// connectivity): see [`Engine::network_lost`] and [`Engine::network_available`].
    pub fn network(&mut self, now: Instant, available: bool) {
        self.enter(now);
        match available {
            true => self.engine.network_available(now),
            false => self.engine.network_lost(now),
        }
    }

    /// The app goes away for a while (a page into the back/forward cache, an app in the
    /// background): see [`Engine::suspend`]. [`resume`](Self::resume) ends it.
    pub fn suspend(&mut self, now: Instant) {
        self.enter(now);
        self.engine.suspend(now);
    }

    /// The app is back: see [`Engine::resume`].
    pub fn resume(&mut self, now: Instant) {
        self.enter(now);
        self.engine.resume(now);
    }

    /// A text frame on `connection`, without copying it out of the driver's buffer.
    pub fn text(&mut self, now: Instant, connection: ConnectionId, text: &str) {
        self.enter(now);
        self.engine.handle_text(now, connection, text);
    }

    /// A timer is due.
    pub fn timeout(&mut self, now: Instant) {
        self.enter(now);
        self.engine.handle_timeout(now);
    }

    /// When to call [`timeout`](Self::timeout) next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.engine.poll_timeout()
    }

    /// The next I/O to carry out. Events and completions are handled here, on the way.
    pub fn poll_action(&mut self) -> Option<DriverAction> {
        while let Some(action) = self.engine.poll_action() {
            match action {
                Action::RequestToken {
                    connection,
                    refresh,
                } => match &self.tokens {
                    Some(tokens) => {
                        let token = tokens.token(refresh);
                        return Some(DriverAction::FetchToken { connection, token });
                    }
                    None => self.engine.handle_token(self.now, connection, Ok(None)),
                },
                Action::Open {
                    connection,
                    request,
                } => {
                    return Some(DriverAction::Open {
                        connection,
                        request,
                    });
                }
                Action::Send { connection, text } => {
                    return Some(DriverAction::Send { connection, text });
                }
                Action::Close {
                    connection,
                    code,
                    reason,
                } => {
                    return Some(DriverAction::Close {
                        connection,
                        code,
                        reason,
                    });
                }
                Action::PingSocket { connection } => {
                    return Some(DriverAction::PingSocket { connection });
                }
                Action::Emit(event) => self.event(event),
                Action::Complete { request, outcome } => {
                    if let Some(waiter) = self.requests.remove(&request) {
                        self.answers.push(Answered::Request(waiter, outcome));
                    }
                }
            }
        }
        let next = self.after_engine.pop_front();
        if let Some(DriverAction::NotifyWhenClosed(_)) = next {
            // `disconnect()` resolves after every future this turn answered (a driver may
            // wait for the close handshake before it gets to `flush`).
            self.flush();
        }
        next
    }

    /// Publishes this turn's events to every subscriber (one wake-up each per turn), then
    /// resolves the futures this turn answered. Call it once the actions are carried out,
    /// before waiting again.
    ///
    /// Answers wait for the end of the turn so that an application awaiting many of them
    /// wakes once for all, after the turn's frames are written, instead of once per answer
    /// while the driver is still at work (a thread wake-up per acknowledgement, and the
    /// biggest single cost of pipelined sends). A future resolves after its events are in
    /// the streams.
    pub fn flush(&mut self) {
        self.shared.set_quiet(self.engine.is_quiet());
        self.shared.publish(std::mem::take(&mut self.batch));
        for answered in self.answers.drain(..) {
            match answered {
                Answered::Message(waiter, outcome) => {
                    let _ = waiter.send(outcome.map_err(CommandError::Delivery));
                }
                Answered::Request(waiter, outcome) => {
                    waiter.send(outcome.map_err(CommandError::Delivery))
                }
            }
        }
    }

    /// The last handle is gone: disconnect. Carry out the actions that follow, then drop the
    /// core; its streams end and waiting futures resolve with `Closed`.
    pub fn shutdown(&mut self, now: Instant) {
        tracing::debug!("last client handle dropped: shutting down");
        self.enter(now);
        self.engine.disconnect(now);
    }

    /// What every entry point does first: keep the time, and tell the engine whether anyone
    /// reads the steps of outgoing messages (an event stream is open).
    fn enter(&mut self, now: Instant) {
        self.now = now;
        self.engine.report_progress(self.shared.has_event_streams());
    }

    /// Completes the `send_message` future an outgoing message's outcome answers, and batches
    /// the event for the streams. With no stream open, only status changes are batched (they
    /// keep the current status), and an outcome moves into its future instead of being
    /// copied: the copy and the dropped event were 6 % of a pipelined send's samples.
    fn event(&mut self, event: Event) {
        let streams = self.shared.has_event_streams();
        let event = match event {
            Event::Outgoing { id, state, .. } if !streams => {
                if let Some(outcome) = state.into_outcome(id) {
                    self.answer_message(id, outcome);
                }
                return;
            }
            Event::Outgoing { id, ref state, .. } => {
                if let Some(outcome) = state.outcome(id) {
                    self.answer_message(id, outcome);
                }
                event
            }
            event => event,
        };
        if streams || matches!(event, Event::Status(_)) {
            self.batch.push(event);
        }
    }

    fn answer_message(&mut self, id: ClientMessageId, outcome: Result<MessageAck, DeliveryError>) {
        if let Some(waiter) = self.messages.remove(&id) {
            self.answers.push(Answered::Message(waiter, outcome));
        }
    }
}

impl Drop for ClientCore {
    fn drop(&mut self) {
        self.flush();
        self.shared.close();
    }
}

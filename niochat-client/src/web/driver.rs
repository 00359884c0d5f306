//! The browser loop that owns a client's core and its WebSocket.
//!
//! Every browser callback (the socket's events, the page's life, timers, the token
//! provider's answer) becomes an [`Input`] on one channel; the loop takes the client
//! handles' commands and these inputs, hands each to the core with the current time, carries
//! out the core's I/O and publishes the turn's events. No decision is made here.

use std::collections::VecDeque;
use std::task::Poll;

use futures_channel::mpsc::{self, UnboundedReceiver, UnboundedSender};
use futures_channel::oneshot;
use futures_core::Stream;
use gloo_timers::callback::Timeout;
use web_time::{Duration, Instant};

use super::life::{PageLife, online};
use super::socket::{BrowserSocket, closed};
use crate::auth::AuthToken;
use crate::core::{ClientCommand, ClientCore, CommandInbox, DriverAction, TokenError};
use crate::engine::{ConnectionId, TransportEvent};

/// How often a socket whose frames wait for the browser's buffer is looked at again.
const DRAIN_EVERY: Duration = Duration::from_millis(20);
/// `setTimeout` takes a signed 32-bit number of milliseconds.
const LONGEST_TIMEOUT_MS: u128 = i32::MAX as u128;

/// What happened, from a browser callback.
pub(super) enum Input {
    Token(ConnectionId, Result<AuthToken, TokenError>),
    Socket(ConnectionId, TransportEvent),
    Text(ConnectionId, String),
    SocketClosed {
        connection: ConnectionId,
        code: u16,
        reason: String,
    },
    Timer,
    Drain,
    Network(bool),
    Suspend,
    /// The page is back from the back/forward cache.
    Restored,
    /// The tab is shown again.
    Resume,
}

struct Live {
    connection: ConnectionId,
    socket: BrowserSocket,
    opened: bool,
}

struct Driver {
    core: ClientCore,
    inputs: UnboundedSender<Input>,
    live: Option<Live>,
    timer: Option<(Instant, Timeout)>,
    drain: Option<Timeout>,
    /// Dropped to cancel the token fetch under way: when the engine asks for another (it gave
    /// up waiting for this one) and when the driver ends, so that a provider that never
    /// answers does not leave its future behind for each attempt.
    token_fetch: Option<oneshot::Sender<()>>,
}

pub(super) async fn run(core: ClientCore, mut inbox: CommandInbox) {
    let (inputs, mut received) = mpsc::unbounded();
    let _life = PageLife::listen(&inputs);
    // The inbox's buffer between turns (see `CommandInbox::drain_ready_into`).
    let mut commands = VecDeque::new();
    let mut driver = Driver {
        core,
        inputs,
        live: None,
        timer: None,
        drain: None,
        token_fetch: None,
    };
    if !online() {
        driver.core.network(Instant::now(), false);
    }
    loop {
        driver.carry_out();
        driver.core.flush();
        driver.arm_timer();
        match next(&mut inbox, &mut received).await {
            Next::Command(Some(command)) => {
                let now = Instant::now();
                driver.core.command(now, command);
                inbox.drain_ready_into(&mut commands);
                for command in commands.drain(..) {
                    driver.core.command(now, command);
                }
            }
            Next::Command(None) => break,
            Next::Input(input) => {
                driver.input(input);
                while let Ok(input) = received.try_recv() {
                    driver.input(input);
                }
            }
        }
    }
    driver.core.shutdown(Instant::now());
    driver.carry_out();
    // Dropping the core ends every event stream; pending commands resolve as `Closed`.
}

enum Next {
    Command(Option<ClientCommand>),
    Input(Input),
}

/// The next command or input, commands first.
async fn next(inbox: &mut CommandInbox, inputs: &mut UnboundedReceiver<Input>) -> Next {
    std::future::poll_fn(|context| {
        if let Poll::Ready(command) = std::pin::Pin::new(&mut *inbox).poll_next(context) {
            return Poll::Ready(Next::Command(command));
        }
        match std::pin::Pin::new(&mut *inputs).poll_next(context) {
            Poll::Ready(Some(input)) => Poll::Ready(Next::Input(input)),
            // The driver holds a sender: the channel never ends while it runs.
            _ => Poll::Pending,
        }
    })
    .await
}

impl Driver {
    fn input(&mut self, input: Input) {
        let now = Instant::now();
        match input {
            // The page cannot see a handshake's HTTP status: the wall clock lets the engine
            // recognise an expired token's refusal.
            Input::Token(connection, token) => {
                let wall_clock = Some(web_time::SystemTime::now());
                self.core.token(now, wall_clock, connection, token)
            }
            Input::Socket(connection, event) if self.is_live(connection) => {
                if matches!(event, TransportEvent::Opened)
                    && let Some(live) = &mut self.live
                {
                    live.opened = true;
                }
                self.core.transport(now, connection, event);
            }
            // The engine enforces the incoming size limit (browsers cannot).
            Input::Text(connection, text) if self.is_live(connection) => {
                self.core.text(now, connection, &text)
            }
            Input::SocketClosed {
                connection,
                code,
                reason,
            } if self.is_live(connection) => {
                let opened = self.live.take().is_some_and(|live| live.opened);
                self.core
                    .transport(now, connection, closed(opened, code, reason));
            }
            Input::Socket(..) | Input::Text(..) | Input::SocketClosed { .. } => {
                tracing::trace!("event of an old socket ignored");
            }
            Input::Timer => {
                self.timer = None;
                self.core.timeout(now);
            }
            Input::Drain => {
                self.drain = None;
                self.drain_socket();
            }
            Input::Network(available) => self.core.network(now, available),
            Input::Suspend => self.core.suspend(now),
            Input::Restored => {
                // Events do not reach a page in the back/forward cache: the network may have
                // gone, or come back, meanwhile with no `offline` or `online` to say so.
                self.core.network(now, super::life::online());
                self.core.resume(now);
            }
            Input::Resume => self.core.resume(now),
        }
    }

    fn is_live(&self, connection: ConnectionId) -> bool {
        self.live
            .as_ref()
            .is_some_and(|live| live.connection == connection)
    }

    fn carry_out(&mut self) {
        while let Some(action) = self.core.poll_action() {
            match action {
                DriverAction::FetchToken { connection, token } => {
                    let inputs = self.inputs.clone();
                    let (fetching, mut cancelled) = oneshot::channel();
                    // Replacing the last fetch's sender cancels it.
                    self.token_fetch = Some(fetching);
                    let mut token = token;
                    wasm_bindgen_futures::spawn_local(async move {
                        let fetched = std::future::poll_fn(|context| {
                            if std::pin::Pin::new(&mut cancelled).poll(context).is_ready() {
                                return Poll::Ready(None);
                            }
                            token.as_mut().poll(context).map(Some)
                        })
                        .await;
                        if let Some(token) = fetched {
                            let _ = inputs.unbounded_send(Input::Token(connection, token));
                        }
                    });
                }
                DriverAction::Open {
                    connection,
                    request,
                } => {
                    self.live = None;
                    match BrowserSocket::open(connection, &request, &self.inputs) {
                        Ok(socket) => {
                            self.live = Some(Live {
                                connection,
                                socket,
                                opened: false,
                            })
                        }
                        Err(event) => self.core.transport(Instant::now(), connection, event),
                    }
                }
                DriverAction::Send { connection, text } => match &mut self.live {
                    Some(live) if live.connection == connection => match live.socket.send(text) {
                        Ok(waiting) => self.drain_later(waiting),
                        Err(error) => {
                            self.live = None;
                            let failed = TransportEvent::Failed(error);
                            self.core.transport(Instant::now(), connection, failed);
                        }
                    },
                    _ => tracing::trace!(?connection, "frame for a closed connection dropped"),
                },
                // Browsers cannot send WebSocket pings; the engine knows (see the README).
                DriverAction::PingSocket { .. } => {}
                DriverAction::Close {
                    connection,
                    code,
                    reason,
                } => {
                    if self.is_live(connection)
                        && let Some(live) = self.live.take()
                    {
                        live.socket.close(code, &reason);
                    }
                }
                // A browser closes in the background; the close frame is on its way.
                DriverAction::NotifyWhenClosed(done) => {
                    let _ = done.send(());
                }
            }
        }
    }

    fn drain_socket(&mut self) {
        let Some(live) = &mut self.live else {
            return;
        };
        match live.socket.drain() {
            Ok(waiting) => self.drain_later(waiting),
            Err(error) => {
                let connection = live.connection;
                self.live = None;
                let failed = TransportEvent::Failed(error);
                self.core.transport(Instant::now(), connection, failed);
            }
        }
    }

    fn drain_later(&mut self, waiting: bool) {
        if waiting && self.drain.is_none() {
            let inputs = self.inputs.clone();
            self.drain = Some(Timeout::new(DRAIN_EVERY.as_millis() as u32, move || {
                let _ = inputs.unbounded_send(Input::Drain);
            }));
        }
    }

    /// One `setTimeout` for the core's next deadline, replaced only when it moves earlier: a
    /// timer that fires early is harmless (the core gives the new deadline).
    fn arm_timer(&mut self) {
        let Some(deadline) = self.core.poll_timeout() else {
            self.timer = None;
            return;
        };
        if self
            .timer
            .as_ref()
            .is_some_and(|(armed, _)| *armed <= deadline)
        {
            return;
        }
        let wait = deadline.saturating_duration_since(Instant::now());
        let millis = wait.as_millis().saturating_add(1).min(LONGEST_TIMEOUT_MS) as u32;
        let inputs = self.inputs.clone();
        let timeout = Timeout::new(millis, move || {
            let _ = inputs.unbounded_send(Input::Timer);
        });
        self.timer = Some((deadline, timeout));
    }
}

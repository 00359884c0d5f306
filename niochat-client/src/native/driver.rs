//! The tokio task that owns a client's core and its socket.
//!
//! A loop with no logic of its own: carry out the core's I/O, publish the turn's events, then
//! wait for whichever comes first (a command, a token, the socket opening, frames, a write
//! failure, the core's timer) and hand it to the core with the current time. Frames and
//! commands already waiting are taken in the same turn, so a burst becomes one batch.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use web_time::Instant;

use super::read_ahead::AnswersAwaited;
use super::transport::{Reader, Socket, Transport};
use super::writer::Writer;
use crate::auth::AuthToken;
use crate::core::{BoxFuture, ClientCore, CommandInbox, DriverAction, TokenError};
use crate::engine::{ConnectionError, ConnectionId, TransportEvent};

/// How long a graceful close may take before the driver moves on.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// How many frames already waiting on the socket are read in one turn. Each turn's events
/// wake the application once, so fewer, larger turns wake it less: 1,024 rather than 256 cut
/// the futex calls of receiving 600,000 messages from 4,754 to 1,913 (and the receive rate
/// rose in each of four alternated pairs). A turn of 1,024 frames takes about a millisecond:
/// what a command waits behind a flood for each turn that reads before it (`select!` picks
/// at random between a waiting command and waiting frames).
const BURST: usize = 1024;

struct Io {
    transport: Transport,
    /// The token being fetched, for which attempt.
    token: Option<(ConnectionId, BoxFuture<Result<AuthToken, TokenError>>)>,
    /// The socket being opened.
    opening: Option<(ConnectionId, BoxFuture<Result<Socket, TransportEvent>>)>,
    /// The open socket.
    live: Option<(ConnectionId, Reader, Writer)>,
    /// Writers finishing a close handshake.
    closing: Vec<JoinHandle<()>>,
    /// Told after each turn how many answers the core waits for, for the socket's read-ahead.
    awaited: AnswersAwaited,
}

pub(super) async fn run(mut core: ClientCore, mut inbox: CommandInbox, transport: Transport) {
    let mut io = Io {
        transport,
        token: None,
        opening: None,
        live: None,
        closing: Vec::new(),
        awaited: AnswersAwaited::default(),
    };
    let mut timer = Timer::new();
    // The inbox's buffer between turns (see `CommandInbox::drain_ready_into`).
    let mut commands = VecDeque::new();
    loop {
        io.carry_out(&mut core).await;
        io.write_now(&mut core);
        core.flush();
        io.awaited.set(core.engine().answers_awaited());
        timer.arm(core.poll_timeout());
        // A handle running this pass on its own thread stops here; the task goes on.
        super::shared_driver::yield_after_inline_pass().await;
        let (reading, writing) = (io.live.is_some(), io.writing());
        let (reader, writer) = io
            .live
            .as_mut()
            .map(|(connection, reader, writer)| ((*connection, reader), (*connection, writer)))
            .unzip();
        tokio::select! {
            command = inbox.next() => match command {
                Some(command) => {
                    let now = Instant::now();
                    core.command(now, command);
                    inbox.drain_ready_into(&mut commands);
                    for command in commands.drain(..) {
                        core.command(now, command);
                    }
                }
                None => break,
            },
            (connection, token) = wait(&mut io.token), if io.token.is_some() => {
                io.token = None;
                // The handshake's HTTP status says why it failed: no wall clock needed.
                core.token(Instant::now(), None, connection, token);
            }
            (connection, opened) = wait(&mut io.opening), if io.opening.is_some() => {
                io.opening = None;
                io.opened(&mut core, connection, opened);
            }
            read = read(reader), if reading => io.read_burst(&mut core, read),
            (connection, written) = write(writer), if writing => {
                if let Err(error) = written {
                    io.write_failed(&mut core, connection, error);
                }
            }
            () = &mut timer.sleep, if timer.armed.is_some() => {
                timer.armed = None;
                core.timeout(Instant::now());
            }
        }
    }
    core.shutdown(Instant::now());
    io.carry_out(&mut core).await;
    io.finish_closing().await;
    // Dropping the core ends every event stream; pending commands resolve as `Closed`.
}

impl Io {
    async fn carry_out(&mut self, core: &mut ClientCore) {
        while let Some(action) = core.poll_action() {
            match action {
                DriverAction::FetchToken { connection, token } => {
                    self.token = Some((connection, token))
                }
                DriverAction::Open {
                    connection,
                    request,
                } => {
                    self.opening = Some((
                        connection,
                        Box::pin(self.transport.clone().open(request, self.awaited.clone())),
                    ));
                }
                DriverAction::Send { connection, text } => match &mut self.live {
                    Some((live, _, writer)) if *live == connection => writer.send(text),
                    _ => tracing::trace!(?connection, "frame for a closed connection dropped"),
                },
                DriverAction::PingSocket { connection } => match &mut self.live {
                    Some((live, _, writer)) if *live == connection => writer.ping(),
                    _ => {}
                },
                DriverAction::Close {
                    connection,
                    code,
                    reason,
                } => self.close(connection, code, reason),
                DriverAction::NotifyWhenClosed(done) => {
                    self.finish_closing().await;
                    let _ = done.send(());
                }
            }
        }
    }

    fn opened(
        &mut self,
        core: &mut ClientCore,
        connection: ConnectionId,
        opened: Result<Socket, TransportEvent>,
    ) {
        let event = match opened {
            Ok(socket) => {
                let (reader, writer) = self.transport.split(socket);
                self.live = Some((connection, reader, writer));
                TransportEvent::Opened
            }
            Err(event) => event,
        };
        core.transport(Instant::now(), connection, event);
    }

    /// Hands the frame read, and those already waiting behind it, to the core.
    fn read_burst(&mut self, core: &mut ClientCore, first: Option<Result<Message, WsError>>) {
        let now = Instant::now();
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(read) = next.take() {
            let Some((connection, _, _)) = &self.live else {
                return;
            };
            let connection = *connection;
            // Each frame is dropped before the next is read: its text is a view of
            // tungstenite's read buffer, which can only be reused in place once no frame
            // holds it (else every read allocated a new buffer: 3.5 % of receiving).
            match read {
                Some(Ok(Message::Text(text))) => core.text(now, connection, text.as_str()),
                read => {
                    if let Some(event) = self.transport.read_event(read) {
                        if matches!(
                            event,
                            TransportEvent::Closed { .. } | TransportEvent::Failed(_)
                        ) {
                            self.live = None;
                        }
                        core.transport(now, connection, event);
                    }
                }
            }
            taken += 1;
            if taken < BURST
                && let Some((_, reader, _)) = &mut self.live
            {
                next = reader.next().now_or_never();
            }
        }
    }

    fn writing(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|(_, _, writer)| writer.busy())
    }

    /// Writes what the socket takes without waiting; the rest waits in the loop.
    fn write_now(&mut self, core: &mut ClientCore) {
        if let Some((connection, _, writer)) = &mut self.live
            && writer.busy()
            && let Err(error) = writer.write_now()
        {
            let connection = *connection;
            self.write_failed(core, connection, error);
        }
    }

    /// The socket cannot be written: drop it too, so the server sees it closed now.
    fn write_failed(
        &mut self,
        core: &mut ClientCore,
        connection: ConnectionId,
        error: ConnectionError,
    ) {
        if self
            .live
            .as_ref()
            .is_some_and(|(live, _, _)| *live == connection)
        {
            self.live = None;
        }
        core.transport(Instant::now(), connection, TransportEvent::Failed(error));
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
            && let Some((_, _, writer)) = self.live.take()
        {
            self.closing.push(writer.close(code, reason));
        }
        self.closing.retain(|task| !task.is_finished());
    }

    async fn finish_closing(&mut self) {
        for task in self.closing.drain(..) {
            let _ = tokio::time::timeout(CLOSE_GRACE, task).await;
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

async fn write(
    writer: Option<(ConnectionId, &mut Writer)>,
) -> (ConnectionId, Result<(), ConnectionError>) {
    match writer {
        Some((connection, writer)) => (connection, writer.written().await),
        None => std::future::pending().await,
    }
}

async fn read(reader: Option<(ConnectionId, &mut Reader)>) -> Option<Result<Message, WsError>> {
    match reader {
        Some((_, reader)) => reader.next().await,
        None => std::future::pending().await,
    }
}

/// The core's timer, as one tokio sleep kept across turns. The core's deadline moves with
/// every frame (keep-alive counts from the last one); re-registering a timer each time would
/// cost more than the frame. A later deadline leaves the sleep as it is: it wakes early,
/// once, and the core (called early, which is harmless) gives the new deadline.
struct Timer {
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    armed: Option<Instant>,
}

impl Timer {
    fn new() -> Self {
        Self {
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: None,
        }
    }

    fn arm(&mut self, deadline: Option<Instant>) {
        match (deadline, self.armed) {
            (None, _) => self.armed = None,
            (Some(deadline), Some(armed)) if armed <= deadline => {}
            (Some(deadline), _) => {
                self.sleep
                    .as_mut()
                    .reset(tokio::time::Instant::from_std(deadline));
                self.armed = Some(deadline);
            }
        }
    }
}

//! [`Client`]: the handle applications hold. Runtime-free: the same handle works over the
//! tokio driver, the browser driver and the FFI bindings.

use std::sync::{Arc, OnceLock};

use futures_channel::oneshot;
use web_time::Duration;

use super::answer::Answer;
use super::command::{ClientCommand, CommandReply, MessageReply, Request};
use super::queue::Queue;
use super::shared::{EventStream, Shared, StatusStream};
use crate::dialect::{Capabilities, Command};
use crate::engine::{ClientMessageId, CommandError, MessageAck, Metrics, Refused, Reply, Status};
use crate::model::{Id, PresenceStatus};

struct Inner {
    commands: Arc<Queue<ClientCommand>>,
    shared: Arc<Shared>,
    backend: &'static str,
    capabilities: Capabilities,
    /// The driver, when it can run a turn on the caller's thread (the native driver that
    /// `build()` spawns).
    inline: OnceLock<Box<dyn InlineTurn>>,
}

/// A driver that a handle can ask to run one turn on the handle's own thread, now.
///
/// Why: with the driver's task on another thread, every command wakes that thread before
/// its frame is written — on a multi-threaded runtime, a command from `main`'s `block_on`
/// paid a thread wake-up before the frame left and another for the answer, where code
/// writing its own socket pays only the second. When the connection is quiet (nothing
/// queued, nothing awaiting an answer), a command runs the driver's turn on the caller's
/// thread instead: its frame is written before the call returns. Busy, commands are left to
/// the driver's task, which writes a turn's worth with one system call.
pub(crate) trait InlineTurn: Send + Sync {
    /// Runs a turn now if the driver is free; false if not (another thread is running one,
    /// or the driver is gone): the caller then wakes the driver's task as usual.
    fn run_turn(&self) -> bool;
}

impl Drop for Inner {
    /// The last handle is gone: the driver's inbox ends, and the driver shuts down.
    fn drop(&mut self) {
        self.commands.close();
    }
}

/// A handle to a chat connection. Clone it freely; the connection closes when the last
/// clone is dropped. Build one with [`ClientBuilder`](crate::ClientBuilder).
///
/// Every command is taken when its method is called — so calls go out in the order they are
/// made, however their futures are then spawned or awaited — and returns an [`Answer`], a
/// future that resolves with the server's answer or a typed [`CommandError`]: [`Refused`]
/// when the client did not take it (nothing was sent), [`DeliveryError`](crate::DeliveryError)
/// when it was taken but not delivered. No future waits forever: while the client is stopped
/// (disconnected, gave up, unauthorized), a command waiting for a connection resolves at once
/// with `NotDelivered`, saying whether it stays queued.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("backend", &self.inner.backend)
            .field("status", &self.inner.shared.status())
            .finish()
    }
}

impl Client {
    pub(crate) fn new(
        commands: Arc<Queue<ClientCommand>>,
        shared: Arc<Shared>,
        backend: &'static str,
        capabilities: Capabilities,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                commands,
                shared,
                backend,
                capabilities,
                inline: OnceLock::new(),
            }),
        }
    }

    /// Lets commands run `driver`'s turns on their caller's thread while the connection is
    /// quiet (see [`InlineTurn`]).
    #[cfg_attr(
        not(all(feature = "native", not(target_arch = "wasm32"))),
        allow(dead_code)
    )]
    pub(crate) fn run_turns_inline(&self, driver: Box<dyn InlineTurn>) {
        let _ = self.inner.inline.set(driver);
    }

    /// The backend's name (`renum`, `pytake`).
    pub fn backend(&self) -> &'static str {
        self.inner.backend
    }

    /// What the backend offers: commands it lacks are refused with `Unsupported`.
    pub fn capabilities(&self) -> &Capabilities {
        &self.inner.capabilities
    }

    /// Starts connecting (and reconnecting after losses until [`disconnect`](Self::disconnect)).
    pub fn connect(&self) {
        self.send(Request::Connect);
    }

    /// Closes the connection with a close frame and stops reconnecting. Resolves once the close
    /// frame is written (or after a second); in a browser, at once, since a page cannot see
    /// when the browser writes it. Unacknowledged messages stay queued for the next
    /// `connect()`.
    pub async fn disconnect(&self) {
        let (done, wait) = oneshot::channel();
        self.send(Request::Disconnect(done));
        let _ = wait.await;
    }

    /// Reconnects now with a fresh backoff schedule, also after giving up or being refused.
    pub fn reconnect(&self) {
        self.send(Request::Reconnect);
    }

    /// Tells the client the network is back (or the app is in the foreground again): it
    /// reconnects at once if it was waiting, or checks a live connection.
    pub fn network_available(&self) {
        self.send(Request::NetworkAvailable);
    }

    /// Tells the client the network is gone (an OS or browser connectivity callback): it
    /// stops pinging and makes no reconnection attempt until
    /// [`network_available`](Self::network_available); messages keep queueing.
    pub fn network_lost(&self) {
        self.send(Request::NetworkLost);
    }

    /// The app goes away for a while (a page into the back/forward cache, an app in the
    /// background): closes the connection cleanly and makes no attempt until
    /// [`resume`](Self::resume), which reconnects at once and syncs what was missed. Queued
    /// messages stay queued.
    pub fn suspend(&self) {
        self.send(Request::Suspend);
    }

    /// The app went to the background: no pings and no attempts; an open connection is
    /// closed cleanly after the configured grace (see
    /// [`EngineConfig::background_grace`](crate::engine::EngineConfig::background_grace)).
    pub fn enter_background(&self) {
        self.send(Request::EnterBackground);
    }

    /// The app is in the foreground again: reconnect at once (or check the open connection)
    /// and sync what was missed.
    pub fn enter_foreground(&self) {
        self.send(Request::EnterForeground);
    }

    /// The app is back after [`suspend`](Self::suspend): reconnects at once on a fresh
    /// schedule (or checks the open connection) and syncs what was missed — unless
    /// [`network_lost`](Self::network_lost) was the last word on the network, in which case
    /// [`network_available`](Self::network_available) does it.
    pub fn resume(&self) {
        self.send(Request::Resume);
    }

    /// Sends a chat message and waits for the server's acknowledgement. Offline, the message
    /// is queued and sent after the next connect; the wait includes that time. If the client
    /// stops trying meanwhile, this resolves with `NotDelivered` carrying the message's id.
    pub fn send_message(
        &self,
        conversation: impl Into<Id>,
        content: impl Into<String>,
    ) -> Answer<MessageAck> {
        let (outcome, acknowledged) = oneshot::channel();
        self.send(Request::SendMessage {
            conversation: conversation.into(),
            content: content.into(),
            reply: MessageReply::Acknowledged(outcome),
        });
        Answer::new(acknowledged)
    }

    /// Queues a chat message without waiting for its acknowledgement. Follow it with the
    /// [`Event::Outgoing`](crate::Event::Outgoing) events carrying the returned id.
    pub fn queue_message(
        &self,
        conversation: impl Into<Id>,
        content: impl Into<String>,
    ) -> Answer<ClientMessageId, Refused> {
        let (accepted, taken) = oneshot::channel();
        self.send(Request::SendMessage {
            conversation: conversation.into(),
            content: content.into(),
            reply: MessageReply::Queued(accepted),
        });
        Answer::new(taken)
    }

    /// Joins a conversation now or at the next connect, and again after every reconnect.
    /// Resolves with the server's answer.
    pub fn join(&self, conversation: impl Into<Id>) -> Answer<()> {
        self.command(Command::Join(conversation.into()), CommandReply::Done)
    }

    /// Leaves a conversation.
    pub fn leave(&self, conversation: impl Into<Id>) -> Answer<()> {
        self.command(Command::Leave(conversation.into()), CommandReply::Done)
    }

    /// Starts or stops the typing indicator. Refused with `NotConnected` offline: typing is
    /// never queued.
    pub fn set_typing(&self, conversation: impl Into<Id>, is_typing: bool) -> Answer<()> {
        let command = Command::Typing {
            conversation_id: conversation.into(),
            is_typing,
        };
        self.command(command, CommandReply::Done)
    }

    /// Marks messages read up to `message`; offline, the newest receipt per conversation is
    /// sent after the next connect.
    pub fn mark_read(&self, conversation: impl Into<Id>, message: impl Into<Id>) -> Answer<()> {
        let command = Command::Read {
            conversation_id: conversation.into(),
            message_id: message.into(),
        };
        self.command(command, CommandReply::Done)
    }

    /// Asks for the messages after `after` (by default the last one seen), delivers them as
    /// events, and resolves with how many the server sent. The client does this by itself
    /// after every reconnect.
    pub fn sync(&self, conversation: impl Into<Id>, after: Option<Id>) -> Answer<usize> {
        let command = Command::Sync {
            conversation_id: conversation.into(),
            after,
        };
        self.command(command, CommandReply::Synced)
    }

    /// Pings now and resolves with the round-trip time.
    pub fn ping(&self) -> Answer<Duration> {
        self.command(Command::Ping, CommandReply::RoundTrip)
    }

    /// Announces presence now and after every reconnect.
    pub fn set_presence(&self, status: PresenceStatus) -> Answer<()> {
        self.command(Command::Presence(status), CommandReply::Done)
    }

    /// The current status.
    pub fn status(&self) -> Status {
        self.inner.shared.status()
    }

    /// The current status, then every change, in order; none is missed.
    pub fn status_changes(&self) -> StatusStream {
        self.inner.shared.subscribe_statuses()
    }

    /// A snapshot for a "connection details" panel.
    pub async fn metrics(&self) -> Result<Metrics, Refused> {
        let (reply, answer) = oneshot::channel();
        self.send(Request::Metrics(reply));
        answer.await.map_err(|_| Refused::Closed)
    }

    /// A new stream of every event from now on. Each stream gets every event, in batches per
    /// burst; none is dropped for a slow reader (streams are unbounded: read them). "From now
    /// on" is from the driver's next turn: while no stream is open the client does not build
    /// events, so one opened while the driver is at work may start with a message's
    /// `Acknowledged` without its `Queued` and `Sent`.
    pub fn events(&self) -> EventStream {
        self.inner.shared.subscribe_events()
    }

    /// Any command, resolving with the server's answer as a [`Reply`]: what the typed
    /// methods above and the backends' own helpers (such as
    /// [`ConectCrmAgent`](crate::core::ConectCrmAgent)) are built on.
    pub fn request(&self, command: Command) -> Answer<Reply> {
        self.command(command, CommandReply::Reply)
    }

    /// Hands `command` over now; `reply` reads its answer into the method's type.
    fn command<T>(
        &self,
        command: Command,
        reply: fn(oneshot::Sender<Result<T, CommandError>>) -> CommandReply,
    ) -> Answer<T> {
        let (outcome, answer) = oneshot::channel();
        self.send(Request::Command {
            command,
            outcome: reply(outcome),
        });
        Answer::new(answer)
    }

    fn send(&self, request: Request) {
        let Inner {
            commands,
            shared,
            inline,
            ..
        } = &*self.inner;
        let command = ClientCommand(request);
        // A push fails only once the driver is gone; every reply channel then resolves as
        // `Closed`.
        match inline.get() {
            Some(driver) if shared.is_quiet() => {
                if commands.push_quietly(command) && !driver.run_turn() {
                    commands.wake();
                }
            }
            _ => {
                let _ = commands.push(command);
            }
        }
    }
}

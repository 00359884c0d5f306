//! What a [`Client`](super::Client) handle asks of the core, through the driver.

use futures_channel::oneshot;
use web_time::Duration;

use crate::dialect::Command;
use crate::engine::{ClientMessageId, CommandError, MessageAck, Metrics, Refused, Reply};
use crate::model::Id;

/// One request from a client handle. Opaque: a driver only hands it to
/// [`ClientCore::command`](super::ClientCore::command).
#[derive(Debug)]
pub struct ClientCommand(pub(crate) Request);

#[derive(Debug)]
pub(crate) enum Request {
    Connect,
    Disconnect(oneshot::Sender<()>),
    Reconnect,
    NetworkAvailable,
    NetworkLost,
    Suspend,
    Resume,
    EnterBackground,
    EnterForeground,
    SendMessage {
        conversation: Id,
        content: String,
        reply: MessageReply,
    },
    Command {
        command: Command,
        outcome: CommandReply,
    },
    Metrics(oneshot::Sender<Metrics>),
}

/// What the handle waits for after handing over a chat message: one channel either way, so
/// a send costs one wake-up of the application, not two.
#[derive(Debug)]
pub(crate) enum MessageReply {
    /// `queue_message`: its id once queued, or why it was refused.
    Queued(oneshot::Sender<Result<ClientMessageId, Refused>>),
    /// `send_message`: its acknowledgement, or why not (a refusal included).
    Acknowledged(oneshot::Sender<Result<MessageAck, CommandError>>),
}

/// Where a command's answer goes, read into the type its [`Client`](super::Client) method
/// returns.
#[derive(Debug)]
pub(crate) enum CommandReply {
    /// `request`: the answer as it is.
    Reply(oneshot::Sender<Result<Reply, CommandError>>),
    /// Join, leave, typing, read receipts, presence: done or not.
    Done(oneshot::Sender<Result<(), CommandError>>),
    /// `sync`: how many messages the server sent.
    Synced(oneshot::Sender<Result<usize, CommandError>>),
    /// `ping`: the round trip.
    RoundTrip(oneshot::Sender<Result<Duration, CommandError>>),
}

impl CommandReply {
    /// Answers the waiting handle; one that stopped waiting is no error.
    pub(crate) fn send(self, outcome: Result<Reply, CommandError>) {
        match self {
            Self::Reply(waiter) => {
                let _ = waiter.send(outcome);
            }
            Self::Done(waiter) => {
                let _ = waiter.send(outcome.map(drop));
            }
            Self::Synced(waiter) => {
                let _ = waiter.send(outcome.map(|reply| match reply {
                    Reply::Synced { count } => count,
                    _ => 0,
                }));
            }
            Self::RoundTrip(waiter) => {
                let _ = waiter.send(outcome.map(|reply| match reply {
                    Reply::Pong { rtt } => rtt,
                    _ => Duration::ZERO,
                }));
            }
        }
    }
}

//! What a [`Client`](super::Client) handle asks of the core, through the driver.

use futures_channel::oneshot;

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
    EnterBackground,
    EnterForeground,
    SendMessage {
        conversation: Id,
        content: String,
        reply: MessageReply,
    },
    Command {
        command: Command,
        outcome: oneshot::Sender<Result<Reply, CommandError>>,
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

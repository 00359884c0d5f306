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
    SendMessage {
        conversation: Id,
        content: String,
        accepted: oneshot::Sender<Result<ClientMessageId, Refused>>,
        outcome: Option<oneshot::Sender<Result<MessageAck, CommandError>>>,
    },
    Command {
        command: Command,
        outcome: oneshot::Sender<Result<Reply, CommandError>>,
    },
    Metrics(oneshot::Sender<Metrics>),
}

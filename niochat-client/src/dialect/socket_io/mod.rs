//! Socket.IO 5 over Engine.IO 4 on a plain WebSocket, shared by every Socket.IO backend.
//!
//! What is the same for every Socket.IO server lives here: the URL
//! (`/socket.io/?EIO=4&transport=websocket`), the open packet and its keep-alive timing, the
//! server's pings (`2`, answered with `3`; the client never pings), the namespace CONNECT
//! with the token in its auth payload, `44` as refused authentication, acks matched by id in
//! both directions, and events that arrive before the CONNECT ack — kept and delivered after
//! it, since python-socketio emits from its connect handler before acknowledging.
//!
//! What differs per backend — the namespace, which events the commands become, what each
//! server event means — is a [`Preset`]; [`PyTake`](super::pytake::PyTake) is one. This module
//! holds the preset's trait and the protocol; each connection's state machine is in
//! `connection`.

mod args;
mod connection;
mod packet;

pub use args::EventArgs;

use std::fmt;
use std::sync::Arc;

use serde_json::{Value, json};

use super::{
    Answer, Capabilities, ChatEvent, Command, CommandKind, Dialect, Protocol, Rejection,
    Unsupported,
};
use crate::auth::AuthToken;
use crate::model::Id;
use connection::SocketIoDialect;

/// What one Socket.IO backend does on top of the shared protocol.
pub trait Preset: Send + Sync + fmt::Debug + 'static {
    /// What the preset remembers for one connection (PyTake: which joins the server
    /// confirmed, its last error), to read acks that say nothing by themselves.
    type State: Default + Send + 'static;

    /// The backend's name.
    fn name(&self) -> &'static str;

    /// The namespace to connect to (`/` by default).
    fn namespace(&self) -> &'static str {
        "/"
    }

    /// What the backend offers. Answers are [`AnswerMode::ByAckId`](super::AnswerMode::ByAckId)
    /// and keep-alive is [`KeepAliveMode::ServerPing`](super::KeepAliveMode::ServerPing) for
    /// every Socket.IO backend.
    fn capabilities(&self) -> &Capabilities;

    /// The CONNECT packet's auth payload (`{"token": ...}` by default).
    fn auth(&self, token: Option<&AuthToken>) -> Option<Value> {
        token.map(|token| json!({ "token": token.expose() }))
    }

    /// The event name and arguments `command` becomes.
    fn encode(&self, command: &Command) -> Result<(&'static str, Vec<Value>), Unsupported>;

    /// What a server event means: `Ok(None)` for an event this preset does not know.
    fn decode(
        &self,
        state: &mut Self::State,
        event: &str,
        args: EventArgs<'_>,
    ) -> Result<Option<ChatEvent>, String>;

    /// The user `token` names, for a server whose session does not say who we are
    /// (ConectCRM: the JWT's `sub`), so that our own echoes can be told apart. Overridden by
    /// [`user_id`](Self::user_id) when an event names the user.
    fn token_user_id(&self, _token: Option<&AuthToken>) -> Option<Id> {
        None
    }

    /// The user id a pre-ack event announces (PyTake's `connected`), if this is one.
    fn user_id(&self, _event: &str, _args: EventArgs<'_>) -> Option<Id> {
        None
    }

    /// The event that says the session is ready, for a server that acknowledges the namespace
    /// CONNECT before it checks the credentials (ConectCRM: `40` then `41` when refused, `40`
    /// then `connected` when accepted). `None`: the CONNECT ack itself is the session.
    fn ready_event(&self) -> Option<&'static str> {
        None
    }

    /// Whether the server acknowledges `command` (ConectCRM's typing indicator has no ack).
    fn expects_answer(&self, _command: &Command) -> bool {
        true
    }

    /// What an ack's arguments say about the request `command` it answers.
    fn answer(
        &self,
        _state: &mut Self::State,
        command: &Command,
        args: Vec<Value>,
    ) -> Result<Answer, Rejection> {
        default_answer(command.kind(), args)
    }
}

/// The usual reading of an ack: `{"success": false, "message"}` is a rejection; a ping's ack
/// is a pong; anything else is a confirmation carrying its first argument.
pub fn default_answer(command: CommandKind, args: Vec<Value>) -> Result<Answer, Rejection> {
    let first = args.into_iter().next().unwrap_or(Value::Null);
    if first.get("success") == Some(&Value::Bool(false)) {
        let message = ["message", "error"]
            .iter()
            .find_map(|field| first.get(field).and_then(Value::as_str))
            .unwrap_or("refused")
            .to_owned();
        return Err(Rejection {
            code: None,
            message,
        });
    }
    Ok(match command {
        CommandKind::Ping => Answer::Pong,
        _ => Answer::Done(first),
    })
}

/// A Socket.IO backend as a [`Protocol`].
#[derive(Debug)]
pub struct SocketIo<P>(Arc<P>);

impl<P: Preset> SocketIo<P> {
    /// The protocol for `preset`.
    pub fn new(preset: P) -> Self {
        Self(Arc::new(preset))
    }
}

impl<P: Preset> Protocol for SocketIo<P> {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn capabilities(&self) -> &Capabilities {
        self.0.capabilities()
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        Box::new(SocketIoDialect::new(self.0.clone(), token))
    }
}

/// `endpoint` with Engine.IO's path (when it has none) and query: `ws://host:8000` becomes
/// `ws://host:8000/socket.io/?EIO=4&transport=websocket`. A path or query already there is
/// kept.
pub fn engine_io_url(endpoint: &str) -> String {
    let (base, fragment) = endpoint.split_once('#').unwrap_or((endpoint, ""));
    let (address, query) = base.split_once('?').unwrap_or((base, ""));
    let host_start = address.find("://").map_or(0, |at| at + 3);
    let path = address[host_start..]
        .find('/')
        .map_or("", |at| &address[host_start + at..]);
    let mut url = match path {
        "" | "/" => format!("{}/socket.io/", address.trim_end_matches('/')),
        _ => address.to_owned(),
    };
    let mut parameters: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    for (name, default) in [("EIO=", "EIO=4"), ("transport=", "transport=websocket")] {
        if !parameters
            .iter()
            .any(|parameter| parameter.starts_with(name))
        {
            parameters.push(default);
        }
    }
    url.push('?');
    url.push_str(&parameters.join("&"));
    if !fragment.is_empty() {
        url.push('#');
        url.push_str(fragment);
    }
    url
}

#[cfg(test)]
mod tests;

//! The seam between the engine and a backend: one dialect per backend.
//!
//! The engine thinks in chat terms (send this message, join that conversation, the session is
//! ready, this answers request 7); each backend has its own URL scheme, handshake, frames, acks
//! and keep-alive. A [`Protocol`] describes one backend (its name and [`Capabilities`]) and
//! makes a fresh [`Dialect`] for every connection attempt; the dialect is a small stateful
//! translator for that one socket:
//!
//! - [`Dialect::connect_request`]: the URL and headers to open, the token where that backend
//!   wants it (`?token=`, a Socket.IO CONNECT packet, an auth frame).
//! - [`Dialect::on_open`]: what the socket opening means: frames to send at once (an auth
//!   frame), or a session that is ready as soon as the socket is.
//! - [`Dialect::on_text`]: every text frame, classified as [`Inbound`]: the session is ready,
//!   authentication was refused, an answer to a request, a chat event, a frame the dialect
//!   answers itself (Engine.IO's ping), a malformed or unknown frame.
//! - [`Dialect::encode`]: one [`Command`] as a frame, or [`Unsupported`].
//!
//! The engine obeys the capabilities: it never waits for a sync where there is none, never
//! sends its own ping where the server pings, and refuses a command the backend lacks with a
//! typed error at the call, never a silent no-op.

mod capabilities;
mod command;
pub mod conectcrm;
mod inbound;
pub mod niochat;
pub mod pytake;
pub mod pytake_go;
pub mod renum;
pub mod socket_io;

use std::fmt;
use std::sync::Arc;

pub use capabilities::{AnswerMode, Capabilities, KeepAliveMode, RoomMode};
pub use command::{BackendCommand, Command, CommandKind, RequestId, Unsupported};
pub use inbound::{
    Answer, AnswerTo, BackendEvent, ChatEvent, DecodeError, Frame, Inbound, Rejection, UnknownFrame,
};

use crate::auth::{AuthToken, SecretUrl};

/// One backend: what it can do, and a fresh [`Dialect`] for each connection attempt.
pub trait Protocol: Send + Sync + fmt::Debug + 'static {
    /// A short name for logs and errors (`renum`, `pytake`).
    fn name(&self) -> &'static str;
    /// What the backend offers; the engine never asks for more.
    fn capabilities(&self) -> &Capabilities;
    /// A dialect for one connection attempt, holding the token it authenticates with.
    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect>;

    /// The most a frame adds around a command's texts, if that is bounded: then a frame is
    /// at most this plus six times [`Command::text_bytes`] (JSON writes no character longer
    /// than `\u00XX`), and a command that fits by that bound is taken without encoding it
    /// once more just to measure it. The overhead must cover whatever a connection's dialect
    /// adds too (an ack id up to `u64::MAX`, a namespace, a session field). By default
    /// `None`: every command is measured by encoding it.
    fn frame_overhead(&self) -> Option<usize> {
        None
    }
}

/// One connection attempt's translator. See the [module documentation](self).
pub trait Dialect: Send + 'static {
    /// What to open for `endpoint` (the URL the application configured).
    fn connect_request(&self, endpoint: &str) -> ConnectRequest;

    /// The socket is open: append what that means to `inbound` — frames to write at once
    /// ([`Inbound::Write`]), or [`Inbound::Ready`] for a backend without a handshake of its
    /// own. By default, nothing: the session waits for the server.
    fn on_open(&mut self, inbound: &mut Vec<Inbound>) {
        let _ = inbound;
    }

    /// Classifies one text frame, appending what it means to `inbound`.
    fn on_text(&mut self, text: &str, inbound: &mut Vec<Inbound>);

    /// Classifies one binary frame. By default binary frames are not part of the protocol.
    fn on_binary(&mut self, bytes: &[u8], inbound: &mut Vec<Inbound>) {
        inbound.push(Inbound::Malformed(DecodeError::Binary { len: bytes.len() }));
    }

    /// `command` as one text frame. `request` names it: a dialect that matches answers by ack
    /// id uses it as that id and reports the answer with [`AnswerTo::Request`].
    fn encode(&mut self, request: RequestId, command: &Command) -> Result<String, Unsupported>;

    /// Whether the server answers `command` (on a backend that answers at all). A command the
    /// server never answers is done once written, rather than waiting for an answer that
    /// cannot come (ConectCRM's typing indicator has no ack).
    fn expects_answer(&self, command: &Command) -> bool {
        let _ = command;
        true
    }

    /// The engine stopped waiting for `request`'s answer (it is overdue): a dialect that
    /// remembers requests by ack id lets it go, so a long session does not pile them up.
    fn forget(&mut self, request: RequestId) {
        let _ = request;
    }
}

/// What a driver opens: a WebSocket URL and extra handshake headers. Its `Debug` shows the
/// URL redacted and the headers' names only.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConnectRequest {
    /// The URL; prints redacted.
    pub url: SecretUrl,
    /// Extra HTTP headers for the handshake. Browsers cannot set them, so no dialect needs
    /// them to authenticate.
    pub headers: Vec<(String, String)>,
}

impl fmt::Debug for ConnectRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("ConnectRequest")
            .field("url", &self.url)
            .field("headers", &names)
            .finish()
    }
}

impl ConnectRequest {
    /// A request for `url` with no extra headers.
    pub fn new(url: SecretUrl) -> Self {
        Self {
            url,
            headers: Vec::new(),
        }
    }
}

/// The backends niochat speaks, chosen on the builder. Protocol 001 is the default.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Backend {
    /// Protocol 001 ("Sprint 09" / RENUM, FastAPI): JSON frames, the token in `?token=`.
    #[default]
    Renum,
    /// PyTake: Socket.IO 5 over Engine.IO 4 (python-socketio), the token in the CONNECT packet.
    PyTake,
    /// PyTake Go: gin + gorilla, `{type, data}` envelopes, an auth frame after opening.
    PyTakeGo(pytake_go::PyTakeGo),
    /// ConectCRM: socket.io 4.8 in the `/atendimento` namespace, tickets as conversations.
    ConectCrm,
    /// NioChat (Django Channels): one endpoint per client, a DRF token in `?token=`.
    NioChat(niochat::NioChat),
    /// Any other backend, through your own [`Protocol`].
    Custom(Arc<dyn Protocol>),
}

impl Backend {
    /// The protocol behind this backend.
    pub fn protocol(&self) -> Arc<dyn Protocol> {
        match self {
            Backend::Renum => Arc::new(renum::Renum),
            Backend::PyTake => Arc::new(pytake::PyTake),
            Backend::PyTakeGo(protocol) => Arc::new(protocol.clone()),
            Backend::ConectCrm => Arc::new(conectcrm::ConectCrm),
            Backend::NioChat(protocol) => Arc::new(protocol.clone()),
            Backend::Custom(protocol) => protocol.clone(),
        }
    }

    /// The backend named `name` as the chat CLI spells it (`renum`, `pytake`, `pytake-go`,
    /// `conectcrm`). NioChat is not among them: a name alone does not say which of its
    /// endpoints to open, so it is built as `Backend::NioChat(NioChat::new(endpoint))`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "renum" | "001" => Some(Backend::Renum),
            "pytake" | "002" => Some(Backend::PyTake),
            "pytake-go" | "003" => Some(Backend::PyTakeGo(pytake_go::PyTakeGo::default())),
            "conectcrm" | "004" => Some(Backend::ConectCrm),
            _ => None,
        }
    }
}

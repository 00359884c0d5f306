//! NioChat (backend 000): Django Channels, `ws://host:8010/ws/.../?token=<DRF key>`.
//!
//! Each conversation is its own endpoint, so a [`NioChat`] protocol is built for one
//! [`Endpoint`] and a client speaks to that one socket (rooms by URL: no join or sync frames,
//! which this backend does not have). An application that follows several conversations and
//! the dashboard holds one client per endpoint: each has its own connection and reconnection,
//! exactly as the server scopes them, and none waits on another's socket.
//!
//! - `ws/conversations/<id>/`: client `ping` (answered `pong`), `typing{user, is_typing}`
//!   (relayed to the room, sender included); server `message` frames — stored messages
//!   `{id, conversation, content, is_from_customer, created_at, additional_attributes...}`, a
//!   deletion being the same message again with `additional_attributes.status = "deleted"` —
//!   and `message_updated{action: "reaction_updated"}`. A `message` frame from a client is
//!   relayed to the room without being stored, so `send_message` is `Unsupported` here:
//!   NioChat stores messages through its REST API; relays that others send arrive as
//!   [`NioChatEvent::Relayed`].
//! - `ws/painel/<provedor>/`: `conversation_event`, `conversation_status_changed`.
//! - `ws/conversas_dashboard/`: frames without `type`, `{"action": "update_conversation", ...}`.
//! - `ws/user_status/`, `ws/user/<id>/`: the only endpoints that refuse a bad token (HTTP 403).
//! - `ws/dashboard/`: the documented endpoint and its seven `{type, data}` events (the real
//!   server has no such route: HTTP 500).
//!
//! Keep-alive: endpoints that answer `ping` are pinged, and each `pong` answers the oldest
//! ping (a measured round trip; a ping left unanswered replaces the connection); painel and
//! conversas_dashboard answer nothing, so there the WebSocket's own pings are used (daphne
//! answers them).

mod decode;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    AnswerMode, Capabilities, Command, CommandKind, ConnectRequest, Dialect, Inbound,
    KeepAliveMode, Protocol, RequestId, RoomMode, Unsupported,
};
use crate::auth::{AuthToken, SecretUrl, escape_component};
use crate::model::{Id, Session};

/// Which NioChat socket to open.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Endpoint {
    /// `ws/conversations/<id>/`: one conversation's messages and typing.
    Conversation(Id),
    /// `ws/painel/<provedor_id>/`: a provider's conversation events.
    Painel(Id),
    /// `ws/conversas_dashboard/`: conversations updated by customer messages.
    ConversasDashboard,
    /// `ws/user_status/`: the signed-in user's status socket.
    UserStatus,
    /// `ws/user/<id>/`: a user's socket.
    User(Id),
    /// `ws/dashboard/`: the documented dashboard (absent from the real server).
    Dashboard,
}

impl Endpoint {
    /// The path, with the trailing slash the server requires; ids percent-encoded.
    pub fn path(&self) -> String {
        let segment = |id: &Id| escape_component(&id.to_string());
        match self {
            Endpoint::Conversation(id) => format!("ws/conversations/{}/", segment(id)),
            Endpoint::Painel(id) => format!("ws/painel/{}/", segment(id)),
            Endpoint::ConversasDashboard => "ws/conversas_dashboard/".into(),
            Endpoint::UserStatus => "ws/user_status/".into(),
            Endpoint::User(id) => format!("ws/user/{}/", segment(id)),
            Endpoint::Dashboard => "ws/dashboard/".into(),
        }
    }
}

// Pings are answered (`pong`, to the sender only), nothing else is: `expects_answer` says
// so, and each pong answers the oldest ping, giving its round trip.
const CONVERSATION: Capabilities = Capabilities::new(
    RoomMode::Url,
    false,
    AnswerMode::InOrder,
    KeepAliveMode::ClientPing,
    &[CommandKind::Typing, CommandKind::Ping],
);
const PINGED: Capabilities = Capabilities::new(
    RoomMode::Url,
    false,
    AnswerMode::InOrder,
    KeepAliveMode::ClientPing,
    &[CommandKind::Ping],
);
const SILENT: Capabilities = Capabilities::new(
    RoomMode::Url,
    false,
    AnswerMode::None,
    KeepAliveMode::WebSocketPing,
    &[],
);

/// NioChat, for one endpoint, as a [`Protocol`].
#[derive(Clone, Debug)]
pub struct NioChat {
    /// The socket to open.
    pub endpoint: Endpoint,
    /// Who this client is, as NioChat's front end names the user in its typing frames. It
    /// is the session's user, so the room's echo of our own typing is not reported; without
    /// it, our typing reaches the others with no user (an empty user id).
    pub user: Option<Id>,
}

impl NioChat {
    /// The protocol for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            user: None,
        }
    }
}

impl Protocol for NioChat {
    fn name(&self) -> &'static str {
        "niochat"
    }

    fn capabilities(&self) -> &Capabilities {
        match self.endpoint {
            Endpoint::Conversation(_) => &CONVERSATION,
            Endpoint::Painel(_) | Endpoint::ConversasDashboard => &SILENT,
            _ => &PINGED,
        }
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        Box::new(NioChatDialect {
            endpoint: self.endpoint.clone(),
            user: self.user.clone(),
            token,
        })
    }
}

/// NioChat's events that have no place in the common chat vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum NioChatEvent {
    /// A `message` frame a client relayed through the room (not stored, no id).
    Relayed {
        /// What the client put in `message`.
        message: Value,
        /// What it put in `sender`.
        sender: Value,
        /// What it put in `timestamp`.
        timestamp: Value,
    },
    /// `message_updated{action: "reaction_updated"}` with `message: null` (a customer's
    /// reaction: which message changed is not said), or the documented `message_reaction`.
    Reaction(Value),
    /// Painel `conversation_event{event_type, conversation_id, data, timestamp}`.
    ConversationEvent(Value),
    /// Painel `conversation_status_changed{conversation, message, timestamp}`.
    ConversationStatusChanged(Value),
    /// `ws/conversas_dashboard/` `{action, conversation}` (no `type`).
    DashboardConversation {
        /// `update_conversation`...
        action: String,
        /// The conversation, with its messages.
        conversation: Value,
    },
    /// Documented `dashboard_metrics`.
    DashboardMetrics(Value),
    /// Documented `csat_update`.
    Csat(Value),
    /// Documented `audit_log`.
    AuditLog(Value),
}

/// One NioChat connection.
struct NioChatDialect {
    endpoint: Endpoint,
    user: Option<Id>,
    token: Option<AuthToken>,
}

impl Dialect for NioChatDialect {
    /// The server's address, then the endpoint's path, then any query the address had
    /// (a gateway's key, say), then the token. An address given with NioChat's own `ws`
    /// prefix (`wss://host/ws/`) does not get it twice.
    fn connect_request(&self, endpoint: &str) -> ConnectRequest {
        let endpoint = endpoint.split('#').next().unwrap_or(endpoint);
        let (base, query) = endpoint.split_once('?').unwrap_or((endpoint, ""));
        let base = base.trim_end_matches('/');
        let base = base.strip_suffix("/ws").unwrap_or(base);
        let mut url = format!("{base}/{}", self.endpoint.path());
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        ConnectRequest::new(match &self.token {
            Some(token) => SecretUrl::with_query_token(&url, "token", token),
            None => SecretUrl::new(url),
        })
    }

    fn on_open(&mut self, inbound: &mut Vec<Inbound>) {
        // No handshake of its own: an accepted socket is the session, ours as we named it.
        inbound.push(Inbound::Ready(Session::new(self.user.clone())));
    }

    fn on_text(&mut self, text: &str, inbound: &mut Vec<Inbound>) {
        if let Some(item) = self.classify(text) {
            inbound.push(item);
        }
    }

    fn expects_answer(&self, command: &Command) -> bool {
        matches!(command, Command::Ping)
    }

    fn encode(&mut self, _request: RequestId, command: &Command) -> Result<String, Unsupported> {
        let frame = match (command, &self.endpoint) {
            (Command::Ping, Endpoint::Painel(_) | Endpoint::ConversasDashboard) => None,
            (Command::Ping, _) => Some(json!({"type": "ping"})),
            (
                Command::Typing {
                    conversation_id,
                    is_typing,
                },
                Endpoint::Conversation(here),
            ) if conversation_id == here => Some(match &self.user {
                Some(user) => json!({"type": "typing", "user": user, "is_typing": is_typing}),
                // Relayed with `user: null`: the others see someone typing, not who.
                None => json!({"type": "typing", "is_typing": is_typing}),
            }),
            _ => None,
        };
        frame.map(|frame| frame.to_string()).ok_or(Unsupported {
            command: command.kind(),
            backend: "niochat",
        })
    }
}

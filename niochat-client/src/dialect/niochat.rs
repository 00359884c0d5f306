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

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    Answer, AnswerMode, AnswerTo, BackendEvent, Capabilities, ChatEvent, Command, CommandKind,
    ConnectRequest, DecodeError, Dialect, Inbound, KeepAliveMode, Protocol, RequestId, RoomMode,
    UnknownFrame, Unsupported,
};
use crate::auth::{AuthToken, SecretUrl, escape_component};
use crate::model::{
    ChatMessage, Content, Id, MessageDeletion, PresenceStatus, PresenceUpdate, Session, Timestamp,
    TypingUpdate,
};

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

/// A stored message, as NioChat's serializer writes it.
#[derive(Deserialize)]
struct Stored {
    id: Id,
    conversation: Id,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    is_from_customer: Option<bool>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    #[serde(default)]
    additional_attributes: Option<Value>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl Stored {
    fn deleted_by(&self) -> Option<Option<Id>> {
        let attributes = self.additional_attributes.as_ref()?;
        (attributes.get("status")? == "deleted").then(|| {
            attributes
                .get("deleted_by")
                .and_then(|by| serde_json::from_value(by.clone()).ok())
        })
    }

    /// The message as an event: new or updated, or deleted whatever else changed — a
    /// reaction to a deleted message must not bring it back in an app's view.
    fn into_event(self, updated: bool) -> ChatEvent {
        match self.deleted_by() {
            Some(deleted_by) => {
                let message = self.into_message();
                ChatEvent::MessageDeleted(MessageDeletion {
                    message_id: message.id.clone(),
                    conversation_id: Some(message.conversation_id.clone()),
                    deleted_by,
                    message: Some(message),
                })
            }
            None if updated => ChatEvent::MessageUpdated(self.into_message()),
            None => ChatEvent::Message(self.into_message()),
        }
    }

    fn into_message(self) -> ChatMessage {
        let mut extra = self.extra;
        if let Some(attributes) = self.additional_attributes {
            extra.insert("additional_attributes".into(), attributes);
        }
        ChatMessage {
            id: self.id,
            conversation_id: self.conversation,
            user_id: None,
            content: self.content.unwrap_or(Content::Text(String::new())),
            role: self
                .is_from_customer
                .map(|customer| if customer { "customer" } else { "agent" }.to_owned()),
            created_at: self.created_at,
            extra,
        }
    }
}

/// The documented `chat_message.data.message`.
#[derive(Deserialize)]
struct DocumentedMessage {
    id: Id,
    content: Content,
    #[serde(default)]
    sender: Option<String>,
    #[serde(default)]
    timestamp: Option<Timestamp>,
    #[serde(flatten)]
    extra: Map<String, Value>,
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

impl NioChatDialect {
    fn classify(&self, text: &str) -> Option<Inbound> {
        let value: Value = match serde_json::from_str(text) {
            Ok(Value::Object(object)) => Value::Object(object),
            Ok(_) => return Some(wrong_shape(text)),
            Err(error) => {
                return Some(Inbound::Malformed(DecodeError::NotJson {
                    reason: error.to_string(),
                    raw: text.to_owned(),
                }));
            }
        };
        let kind = value.get("type").and_then(Value::as_str).map(str::to_owned);
        let event = match kind.as_deref() {
            // The answer to our oldest ping: the server sends it to the pinger alone.
            Some("pong") => {
                return Some(Inbound::Answer {
                    to: AnswerTo::Oldest,
                    outcome: Ok(Answer::Pong),
                });
            }
            Some("message") => self.message(&value),
            Some("message_updated") => match value.get("message") {
                Some(message) if message.is_object() => {
                    read::<Stored>(message.clone()).map(|stored| stored.into_event(true))
                }
                _ => Ok(niochat(NioChatEvent::Reaction(value.clone()))),
            },
            Some("typing") => self.typing(&value),
            Some("conversation_event") => {
                Ok(niochat(NioChatEvent::ConversationEvent(value.clone())))
            }
            Some("conversation_status_changed") => Ok(niochat(
                NioChatEvent::ConversationStatusChanged(value.clone()),
            )),
            Some(documented) if value.get("data").is_some() => {
                match documented_event(documented, value.get("data").cloned().unwrap_or_default()) {
                    Some(event) => event,
                    None => return Some(Inbound::Unknown(UnknownFrame::new(kind, value))),
                }
            }
            None => match value.get("action").and_then(Value::as_str) {
                Some(action) => Ok(niochat(NioChatEvent::DashboardConversation {
                    action: action.to_owned(),
                    conversation: value.get("conversation").cloned().unwrap_or_default(),
                })),
                None => return Some(Inbound::Unknown(UnknownFrame::new(None, value))),
            },
            Some(_) => return Some(Inbound::Unknown(UnknownFrame::new(kind, value))),
        };
        Some(match event {
            Ok(event) => Inbound::Event(event),
            Err(reason) => Inbound::Malformed(DecodeError::InvalidFrame {
                frame_type: kind.unwrap_or_default(),
                reason,
                raw: text.to_owned(),
            }),
        })
    }

    /// A stored message (or its deletion), or a client's relay.
    ///
    /// The server broadcasts stored messages with `sender: null` and its serializer's
    /// `id` and `conversation`; a relay carries whatever its client wrote, which may
    /// include an `id` of its own, so only that whole shape counts as stored.
    fn message(&self, frame: &Value) -> Result<ChatEvent, String> {
        let message = frame.get("message").cloned().unwrap_or_default();
        let sender = frame.get("sender").cloned().unwrap_or_default();
        let stored = sender.is_null()
            && message.get("id").is_some()
            && message.get("conversation").is_some();
        if !stored {
            return Ok(niochat(NioChatEvent::Relayed {
                message,
                sender,
                timestamp: frame.get("timestamp").cloned().unwrap_or_default(),
            }));
        }
        read::<Stored>(message).map(|stored| stored.into_event(false))
    }

    fn typing(&self, frame: &Value) -> Result<ChatEvent, String> {
        let Endpoint::Conversation(conversation) = &self.endpoint else {
            return Err("typing outside a conversation".into());
        };
        let user = frame.get("user").cloned().unwrap_or_default();
        Ok(ChatEvent::Typing(TypingUpdate {
            user_id: serde_json::from_value(user).unwrap_or_else(|_| Id::from("")),
            conversation_id: conversation.clone(),
            is_typing: frame
                .get("is_typing")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        }))
    }
}

/// The documented dashboard's `{type, data}` events.
fn documented_event(kind: &str, data: Value) -> Option<Result<ChatEvent, String>> {
    Some(match kind {
        "chat_message" => (|| {
            let conversation_id: Id =
                read(data.get("conversation_id").cloned().unwrap_or_default())?;
            let message: DocumentedMessage =
                read(data.get("message").cloned().unwrap_or_default())?;
            Ok(ChatEvent::Message(ChatMessage {
                id: message.id,
                conversation_id,
                user_id: None,
                content: message.content,
                role: message.sender,
                created_at: message.timestamp,
                extra: message.extra,
            }))
        })(),
        "message_deleted" => read::<MessageDeletion>(data).map(ChatEvent::MessageDeleted),
        "message_reaction" => Ok(niochat(NioChatEvent::Reaction(data))),
        "user_status" => (|| {
            Ok(ChatEvent::Presence(PresenceUpdate {
                user_id: read(data.get("user_id").cloned().unwrap_or_default())?,
                status: read::<PresenceStatus>(data.get("status").cloned().unwrap_or_default())?,
                timestamp: read(data.get("last_seen").cloned().unwrap_or_default())?,
            }))
        })(),
        "dashboard_metrics" => Ok(niochat(NioChatEvent::DashboardMetrics(data))),
        "csat_update" => Ok(niochat(NioChatEvent::Csat(data))),
        "audit_log" => Ok(niochat(NioChatEvent::AuditLog(data))),
        _ => return None,
    })
}

fn wrong_shape(text: &str) -> Inbound {
    Inbound::Malformed(DecodeError::WrongShape {
        reason: "a frame must be a JSON object".into(),
        raw: text.to_owned(),
    })
}

fn niochat(event: NioChatEvent) -> ChatEvent {
    ChatEvent::Backend(BackendEvent::NioChat(event))
}

fn read<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|error| error.to_string())
}

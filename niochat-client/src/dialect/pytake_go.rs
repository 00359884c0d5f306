//! PyTake Go (backend 003): gin + gorilla/websocket, `ws://host:8080/api/v1/conversations/ws`.
//!
//! The documented client sends `{"type":"auth","token","user_id"}` right after opening; the
//! real handler ignores it and authenticates nothing, so the session is ready once the socket
//! is open. Every server frame is an envelope `{"type", "data"}`, in two vocabularies, both
//! accepted: the document's (`message_received`, `message_sent`, `message_status_updated`,
//! `conversation_updated`, `typing_start` / `typing_stop`) and the real server's
//! (`new_message`, `status_update`, `stats_update`, `conversations_cleared`). The client sends
//! nothing else: messages go through the REST API.
//!
//! There is no heartbeat in this protocol. Natively the engine sends WebSocket ping frames,
//! which gorilla answers by itself. Browsers cannot send those, and this server sends nothing
//! on its own, so in a browser an idle dead connection is noticed only when the browser's own
//! TCP stack gives up, or through the page's `online`/`offline` events. The client never sends
//! anything but JSON: a non-JSON frame makes this server drop the connection.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{
    AnswerMode, BackendEvent, Capabilities, ChatEvent, Command, ConnectRequest, DecodeError,
    Dialect, Inbound, KeepAliveMode, Protocol, RequestId, RoomMode, UnknownFrame, Unsupported,
};
use crate::auth::{AuthToken, SecretUrl};
use crate::model::{
    ChatMessage, Content, DeliveryStatus, Id, MessageStatusUpdate, Session, Timestamp, TypingUpdate,
};

/// The handler's path, added to an endpoint given without one.
pub const PATH: &str = "/api/v1/conversations/ws";

const CAPABILITIES: Capabilities = Capabilities::new(
    RoomMode::None,
    false,
    AnswerMode::None,
    KeepAliveMode::WebSocketPing,
    &[],
);

/// PyTake Go as a [`Protocol`]. `user_id` goes in the auth frame, as the documented client
/// sends it.
#[derive(Clone, Debug, Default)]
pub struct PyTakeGo {
    /// The signed-in agent.
    pub user_id: Option<Id>,
}

impl Protocol for PyTakeGo {
    fn name(&self) -> &'static str {
        "pytake-go"
    }

    fn capabilities(&self) -> &Capabilities {
        &CAPABILITIES
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        Box::new(PyTakeGoDialect {
            token,
            user_id: self.user_id.clone(),
        })
    }
}

/// PyTake Go's events that have no place in the common chat vocabulary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum PyTakeGoEvent {
    /// `stats_update`: the dashboard's counters.
    Stats {
        /// Conversations in progress.
        active_conversations: Option<u64>,
        /// Messages exchanged today.
        messages_today: Option<u64>,
        /// Messages not read yet.
        unread_count: Option<u64>,
    },
    /// `conversations_cleared`: every conversation was cleared.
    ConversationsCleared {
        /// Contacts deleted.
        contacts_deleted: Option<u64>,
        /// Conversations deleted.
        conversations_deleted: Option<u64>,
        /// Messages deleted.
        messages_deleted: Option<u64>,
    },
    /// `conversation_updated` (documented): the conversation as sent.
    ConversationUpdated(Value),
    /// `status_update` as the real server sends it: WhatsApp's delivery status for the
    /// WhatsApp message id `wamid`. Agent messages reach clients without their `wamid`, so
    /// this cannot be matched to a [`ChatMessage`] id and is not a
    /// [`ChatEvent::MessageStatus`]; customer messages carry theirs in `extra["wamid"]`.
    WhatsAppStatus {
        /// WhatsApp's message id.
        wamid: String,
        /// WhatsApp's status, verbatim (`sent`, `delivered`, `read`, `failed`, ...).
        status: DeliveryStatus,
        /// When the backend says the status changed, if it says.
        timestamp: Option<Timestamp>,
    },
}

/// A message as the real server sends it (`new_message`) or the document describes it.
#[derive(Debug, Deserialize)]
struct GoMessage {
    id: Id,
    conversation_id: Id,
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    sender: Option<Value>,
    #[serde(default)]
    sender_type: Option<String>,
    #[serde(default)]
    is_from_me: Option<bool>,
    #[serde(default)]
    created_at: Option<Timestamp>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl From<GoMessage> for ChatMessage {
    fn from(message: GoMessage) -> Self {
        let mut extra = message.extra;
        if let Some(sender) = &message.sender {
            extra.insert("sender".into(), sender.clone());
        }
        if let Some(mine) = message.is_from_me {
            extra.insert("is_from_me".into(), Value::Bool(mine));
        }
        // `sender` is `{"agent": bool, "customer": bool}` on the real server.
        let flag = |name: &str| message.sender.as_ref()?.get(name)?.as_bool();
        let role = message.sender_type.clone().or_else(|| {
            match (flag("agent"), flag("customer"), message.is_from_me) {
                (Some(true), _, _) | (_, _, Some(true)) => Some("agent".into()),
                (_, Some(true), _) | (_, _, Some(false)) => Some("customer".into()),
                _ => None,
            }
        });
        ChatMessage {
            id: message.id,
            conversation_id: message.conversation_id,
            user_id: None,
            content: message.content.unwrap_or(Content::Text(String::new())),
            role,
            created_at: message.created_at,
            extra,
        }
    }
}

#[derive(Deserialize)]
struct StatusUpdate {
    #[serde(default)]
    message_id: Option<Id>,
    #[serde(default)]
    wamid: Option<String>,
    status: DeliveryStatus,
    #[serde(default)]
    conversation_id: Option<Id>,
    #[serde(default)]
    timestamp: Option<Timestamp>,
}

/// Typing, as documented: who types is `contact_id`, or `user_id` for an agent.
#[derive(Deserialize)]
struct Typing {
    conversation_id: Id,
    #[serde(default)]
    contact_id: Option<Id>,
    #[serde(default)]
    user_id: Option<Id>,
}

#[derive(Deserialize)]
struct Stats {
    active_conversations: Option<u64>,
    messages_today: Option<u64>,
    unread_count: Option<u64>,
}

#[derive(Default, Deserialize)]
struct Cleared {
    contacts_deleted: Option<u64>,
    conversations_deleted: Option<u64>,
    messages_deleted: Option<u64>,
}

/// One PyTake Go connection.
struct PyTakeGoDialect {
    token: Option<AuthToken>,
    user_id: Option<Id>,
}

impl Dialect for PyTakeGoDialect {
    fn connect_request(&self, endpoint: &str) -> ConnectRequest {
        let (address, query) = endpoint.split_once('?').unwrap_or((endpoint, ""));
        let host_start = address.find("://").map_or(0, |at| at + 3);
        let mut url = match address[host_start..].find('/') {
            Some(at) if address.len() > host_start + at + 1 => address.to_owned(),
            _ => format!("{}{PATH}", address.trim_end_matches('/')),
        };
        if !query.is_empty() {
            url.push('?');
            url.push_str(query);
        }
        ConnectRequest::new(SecretUrl::new(url))
    }

    fn on_open(&mut self, inbound: &mut Vec<Inbound>) {
        if let Some(token) = &self.token {
            let auth = json!({"type": "auth", "token": token.expose(), "user_id": self.user_id});
            inbound.push(Inbound::Write(auth.to_string().into()));
        }
        // The real handler answers nothing: the socket being open is the session.
        inbound.push(Inbound::Ready(Session::new(self.user_id.clone())));
    }

    fn on_text(&mut self, text: &str, inbound: &mut Vec<Inbound>) {
        inbound.push(classify(text));
    }

    fn encode(&mut self, _request: RequestId, command: &Command) -> Result<String, Unsupported> {
        Err(Unsupported {
            command: command.kind(),
            backend: "pytake-go",
        })
    }
}

fn classify(text: &str) -> Inbound {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(error) => {
            return Inbound::Malformed(DecodeError::NotJson {
                reason: error.to_string(),
                raw: text.to_owned(),
            });
        }
    };
    let Some(kind) = value.get("type").and_then(Value::as_str).map(str::to_owned) else {
        return Inbound::Unknown(UnknownFrame::new(None, value));
    };
    let data = value.get("data").cloned().unwrap_or(Value::Null);
    let invalid = |reason: String| {
        Inbound::Malformed(DecodeError::InvalidFrame {
            frame_type: kind.clone(),
            reason,
            raw: text.to_owned(),
        })
    };
    let event = match kind.as_str() {
        "new_message" | "message_received" | "message_sent" => {
            read::<GoMessage>(data).map(|message| ChatEvent::Message(message.into()))
        }
        "status_update" | "message_status_updated" => {
            read::<StatusUpdate>(data).and_then(|update| match update {
                // The documented frame names our message.
                StatusUpdate {
                    message_id: Some(message_id),
                    ..
                } => Ok(ChatEvent::MessageStatus(MessageStatusUpdate {
                    message_id,
                    conversation_id: update.conversation_id,
                    status: update.status,
                    timestamp: update.timestamp,
                })),
                // The real one names WhatsApp's.
                StatusUpdate {
                    wamid: Some(wamid), ..
                } => Ok(go(PyTakeGoEvent::WhatsAppStatus {
                    wamid,
                    status: update.status,
                    timestamp: update.timestamp,
                })),
                _ => Err("a status update needs `message_id` or `wamid`".to_owned()),
            })
        }
        "typing_start" | "typing_stop" => read::<Typing>(data).and_then(|typing| {
            let user_id = typing
                .contact_id
                .or(typing.user_id)
                .ok_or_else(|| "a typing frame needs `contact_id` or `user_id`".to_owned())?;
            Ok(ChatEvent::Typing(TypingUpdate {
                user_id,
                conversation_id: typing.conversation_id,
                is_typing: kind == "typing_start",
            }))
        }),
        "stats_update" => read::<Stats>(data).map(|stats| {
            go(PyTakeGoEvent::Stats {
                active_conversations: stats.active_conversations,
                messages_today: stats.messages_today,
                unread_count: stats.unread_count,
            })
        }),
        "conversations_cleared" => {
            let cleared: Cleared = read(data).unwrap_or_default();
            Ok(go(PyTakeGoEvent::ConversationsCleared {
                contacts_deleted: cleared.contacts_deleted,
                conversations_deleted: cleared.conversations_deleted,
                messages_deleted: cleared.messages_deleted,
            }))
        }
        "conversation_updated" => Ok(go(PyTakeGoEvent::ConversationUpdated(data))),
        _ => return Inbound::Unknown(UnknownFrame::new(Some(kind), value)),
    };
    match event {
        Ok(event) => Inbound::Event(event),
        Err(reason) => invalid(reason),
    }
}

fn go(event: PyTakeGoEvent) -> ChatEvent {
    ChatEvent::Backend(BackendEvent::PyTakeGo(event))
}

fn read<T: serde::de::DeserializeOwned>(data: Value) -> Result<T, String> {
    serde_json::from_value(data).map_err(|error| error.to_string())
}

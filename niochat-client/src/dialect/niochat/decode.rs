//! Reading NioChat's frames: what each `type` (or, on `ws/conversas_dashboard/`, each
//! `action`) means, as an [`Inbound`] item.
//!
//! The connection in the parent module only opens the socket and writes frames; everything a
//! frame from the server can be — a stored message or its deletion, a client's relay, a
//! reaction, typing, a painel or dashboard event, the documented dashboard's `{type, data}`
//! events — is told apart here, with the serializer shapes it is read through.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{Endpoint, NioChatDialect, NioChatEvent};
use crate::dialect::{
    Answer, AnswerTo, BackendEvent, ChatEvent, DecodeError, Inbound, UnknownFrame,
};
use crate::model::extra::with_fields;
use crate::model::{
    ChatMessage, Content, Id, MessageDeletion, PresenceStatus, PresenceUpdate, Timestamp,
    TypingUpdate,
};

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
        let extra = with_fields(
            self.extra,
            [("additional_attributes", self.additional_attributes)],
        );
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

impl NioChatDialect {
    /// What one text frame from the server means.
    pub(super) fn classify(&self, text: &str) -> Option<Inbound> {
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

//! The values that cross the boundary: configuration in, statuses, events, answers and
//! metrics out. Ids are strings and durations milliseconds, as Kotlin, Swift and Python
//! expect; JSON the backend sent as it was (`extra`, backend events) stays JSON text.

use std::time::Duration;

use niochat_client::model::ChatMessage as CoreMessage;
use niochat_client::{Event as CoreEvent, GapReason, MessageState, Origin, Status as CoreStatus};

/// Which backend, and what it needs.
#[derive(Clone, Debug, uniffi::Enum)]
pub enum BackendConfig {
    /// Protocol 001 (FastAPI), the default.
    Renum,
    /// PyTake (python-socketio).
    PyTake,
    /// PyTake Go, with the user id its auth frame carries.
    PyTakeGo { user_id: Option<String> },
    /// ConectCRM (socket.io 4.8, `/atendimento`).
    ConectCrm,
    /// NioChat (Django Channels): one endpoint per client.
    NioChat {
        endpoint: NioChatEndpoint,
        user: Option<String>,
    },
}

/// A NioChat endpoint.
#[derive(Clone, Debug, uniffi::Enum)]
pub enum NioChatEndpoint {
    Conversation { id: String },
    Painel { id: String },
    ConversasDashboard,
    UserStatus,
    User { id: String },
    Dashboard,
}

/// Everything a client is built from; every `None` is the core's default.
#[derive(Clone, Debug, uniffi::Record)]
pub struct ClientConfig {
    /// `ws://` or `wss://`, without the token.
    pub url: String,
    #[uniffi(default = None)]
    pub backend: Option<BackendConfig>,
    /// A fixed token, when no token provider is given.
    #[uniffi(default = None)]
    pub token: Option<String>,
    #[uniffi(default = None)]
    pub queue_capacity: Option<u32>,
    #[uniffi(default = None)]
    pub keep_alive_interval_ms: Option<u64>,
    #[uniffi(default = None)]
    pub keep_alive_timeout_ms: Option<u64>,
    #[uniffi(default = None)]
    pub reconnect_initial_delay_ms: Option<u64>,
    #[uniffi(default = None)]
    pub reconnect_max_delay_ms: Option<u64>,
    /// How many reconnection attempts before the terminal `GaveUp` status; absent: at
    /// most 10.
    #[uniffi(default = None)]
    pub reconnect_attempts: Option<ReconnectAttempts>,
    /// Randomise reconnection delays (full jitter, the default); `false` for exact delays.
    #[uniffi(default = None)]
    pub reconnect_jitter: Option<bool>,
    #[uniffi(default = None)]
    pub ack_timeout_ms: Option<u64>,
    #[uniffi(default = None)]
    pub connect_timeout_ms: Option<u64>,
    /// How long the connection stays open in the background before closing (20 s).
    #[uniffi(default = None)]
    pub background_grace_ms: Option<u64>,
}

/// How many times the client tries to reconnect after a failure before it gives up.
///
/// The same meaning as Rust's `ReconnectPolicy::max_attempts` and JavaScript's
/// `maxAttempts`: `AtMost(0)` gives up at the first failure; only `Forever` never gives up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum ReconnectAttempts {
    /// Give up after this many failed attempts (`0`: no retry).
    AtMost { attempts: u32 },
    /// Never give up.
    Forever,
}

impl From<ReconnectAttempts> for Option<u32> {
    fn from(limit: ReconnectAttempts) -> Self {
        match limit {
            ReconnectAttempts::AtMost { attempts } => Some(attempts),
            ReconnectAttempts::Forever => None,
        }
    }
}

/// A message waiting in the outbox, as the app's storage keeps it.
#[derive(Clone, Debug, uniffi::Record)]
pub struct StoredMessage {
    /// Its local id, unique across restarts.
    pub id: u64,
    pub conversation_id: String,
    pub content: String,
}

/// The connection status.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum Status {
    Disconnected,
    Connecting,
    Connected,
    Reconnecting {
        attempt: u32,
        max_attempts: Option<u32>,
        delay_ms: u64,
    },
    /// A connection or an attempt failed; the next status says what happens next.
    Error {
        kind: String,
        message: String,
    },
    GaveUp {
        attempts: u32,
    },
    Unauthorized,
}

/// A chat message.
#[derive(Clone, Debug, uniffi::Record)]
pub struct ChatMessage {
    pub id: String,
    pub conversation_id: String,
    pub user_id: Option<String>,
    /// The text, when the body has one.
    pub text: Option<String>,
    /// The body as JSON.
    pub content_json: String,
    pub role: Option<String>,
    pub created_at: Option<String>,
    /// Every other field, as a JSON object.
    pub extra_json: String,
}

/// The server's acknowledgement of a chat message.
#[derive(Clone, Debug, uniffi::Record)]
pub struct MessageAck {
    pub conversation_id: String,
    pub message_id: String,
    pub timestamp: Option<String>,
}

/// Where an outgoing message is.
#[derive(Clone, Debug, PartialEq, uniffi::Enum)]
pub enum OutgoingState {
    Queued,
    Sent,
    Acknowledged,
    Failed,
    /// Still queued, but the client stopped trying: it goes out after the next connect.
    Held,
}

/// Something the app should know.
#[derive(Clone, Debug, uniffi::Enum)]
pub enum Event {
    StatusChanged {
        status: Status,
    },
    Session {
        user_id: Option<String>,
        session_id: Option<String>,
    },
    Message {
        message: ChatMessage,
        from_sync: bool,
    },
    MessageUpdated {
        message: ChatMessage,
    },
    MessageDeleted {
        message_id: String,
        conversation_id: Option<String>,
    },
    MessageStatus {
        message_id: String,
        conversation_id: Option<String>,
        status: String,
    },
    /// A second stored copy of one of our own messages (the server stored it twice).
    OwnMessageCopy {
        message: ChatMessage,
        local_id: u64,
    },
    Outgoing {
        local_id: u64,
        conversation_id: String,
        state: OutgoingState,
        ack: Option<MessageAck>,
        error: Option<String>,
    },
    Typing {
        user_id: String,
        conversation_id: String,
        is_typing: bool,
    },
    Read {
        user_id: String,
        conversation_id: String,
        message_id: String,
    },
    Presence {
        user_id: String,
        status: String,
    },
    HistoryGap {
        conversation_id: String,
        after: Option<String>,
        reason: String,
    },
    ServerNotice {
        code: Option<String>,
        message: String,
    },
    /// An event only this backend has, as its JSON.
    Backend {
        backend: String,
        json: String,
    },
    Unknown {
        kind: Option<String>,
        raw_json: String,
    },
    Malformed {
        error: String,
        raw: String,
    },
    StorageFailed {
        error: String,
    },
}

/// A snapshot for a "connection details" screen.
#[derive(Clone, Debug, uniffi::Record)]
pub struct Metrics {
    pub rtt_ms: Option<u64>,
    pub reconnects: u32,
    pub attempts: u32,
    pub queue_depth: u64,
    pub in_flight: u64,
    pub time_reconnecting_ms: u64,
    pub connected_for_ms: Option<u64>,
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl From<&CoreStatus> for Status {
    fn from(status: &CoreStatus) -> Self {
        match status {
            CoreStatus::Disconnected => Status::Disconnected,
            CoreStatus::Connecting => Status::Connecting,
            CoreStatus::Connected => Status::Connected,
            CoreStatus::Reconnecting {
                attempt,
                max_attempts,
                delay,
            } => Status::Reconnecting {
                attempt: *attempt,
                max_attempts: *max_attempts,
                delay_ms: millis(*delay),
            },
            CoreStatus::Error(error) => Status::Error {
                kind: error.kind().name().to_owned(),
                message: error.to_string(),
            },
            CoreStatus::GaveUp { attempts } => Status::GaveUp {
                attempts: *attempts,
            },
            CoreStatus::Unauthorized => Status::Unauthorized,
            _ => Status::Disconnected,
        }
    }
}

impl From<&CoreMessage> for ChatMessage {
    fn from(message: &CoreMessage) -> Self {
        Self {
            id: message.id.to_string(),
            conversation_id: message.conversation_id.to_string(),
            user_id: message.user_id.as_ref().map(ToString::to_string),
            text: message.content.text().map(str::to_owned),
            content_json: serde_json::to_string(&message.content).unwrap_or_default(),
            role: message.role.clone(),
            created_at: message.created_at.as_ref().map(|t| t.as_str().to_owned()),
            extra_json: serde_json::to_string(&message.extra).unwrap_or_else(|_| "{}".into()),
        }
    }
}

impl From<&niochat_client::MessageAck> for MessageAck {
    fn from(ack: &niochat_client::MessageAck) -> Self {
        Self {
            conversation_id: ack.conversation_id.to_string(),
            message_id: ack.message_id.to_string(),
            timestamp: ack.timestamp.as_ref().map(|t| t.as_str().to_owned()),
        }
    }
}

impl From<&niochat_client::Metrics> for Metrics {
    fn from(metrics: &niochat_client::Metrics) -> Self {
        Self {
            rtt_ms: metrics.rtt.map(millis),
            reconnects: metrics.reconnects,
            attempts: metrics.attempts,
            queue_depth: metrics.queue_depth as u64,
            in_flight: metrics.in_flight as u64,
            time_reconnecting_ms: millis(metrics.time_reconnecting),
            connected_for_ms: metrics.connected_for.map(millis),
        }
    }
}

fn text(id: &impl ToString) -> String {
    id.to_string()
}

impl From<&CoreEvent> for Event {
    fn from(event: &CoreEvent) -> Self {
        match event {
            CoreEvent::Status(status) => Event::StatusChanged {
                status: status.into(),
            },
            CoreEvent::Session(session) => Event::Session {
                user_id: session.user_id.as_ref().map(text),
                session_id: session.session_id.clone(),
            },
            CoreEvent::Message { message, origin } => Event::Message {
                message: message.into(),
                from_sync: *origin == Origin::Sync,
            },
            CoreEvent::MessageUpdated(message) => Event::MessageUpdated {
                message: message.into(),
            },
            CoreEvent::MessageDeleted(deletion) => Event::MessageDeleted {
                message_id: text(&deletion.message_id),
                conversation_id: deletion.conversation_id.as_ref().map(text),
            },
            CoreEvent::MessageStatus(update) => Event::MessageStatus {
                message_id: text(&update.message_id),
                conversation_id: update.conversation_id.as_ref().map(text),
                status: update.status.as_str().to_owned(),
            },
            CoreEvent::OwnMessageCopy { message, id } => Event::OwnMessageCopy {
                message: message.into(),
                local_id: id.get(),
            },
            CoreEvent::Outgoing {
                id,
                conversation_id,
                state,
            } => {
                let (state, ack, error) = match state {
                    MessageState::Queued => (OutgoingState::Queued, None, None),
                    MessageState::Sent => (OutgoingState::Sent, None, None),
                    MessageState::Acknowledged(ack) => {
                        (OutgoingState::Acknowledged, Some(ack.into()), None)
                    }
                    MessageState::Failed(error) => {
                        (OutgoingState::Failed, None, Some(error.to_string()))
                    }
                    MessageState::Held(reason) => {
                        (OutgoingState::Held, None, Some(reason.to_string()))
                    }
                    _ => (OutgoingState::Queued, None, None),
                };
                Event::Outgoing {
                    local_id: id.get(),
                    conversation_id: text(conversation_id),
                    state,
                    ack,
                    error,
                }
            }
            CoreEvent::Typing(typing) => Event::Typing {
                user_id: text(&typing.user_id),
                conversation_id: text(&typing.conversation_id),
                is_typing: typing.is_typing,
            },
            CoreEvent::Read(read) => Event::Read {
                user_id: text(&read.user_id),
                conversation_id: text(&read.conversation_id),
                message_id: text(&read.message_id),
            },
            CoreEvent::Presence(presence) => Event::Presence {
                user_id: text(&presence.user_id),
                status: presence.status.as_str().to_owned(),
            },
            CoreEvent::HistoryGap {
                conversation_id,
                after,
                reason,
            } => Event::HistoryGap {
                conversation_id: text(conversation_id),
                after: after.as_ref().map(text),
                reason: match reason {
                    GapReason::SyncTooLarge { .. } => "sync_too_large".into(),
                    _ => "sync_timed_out".into(),
                },
            },
            CoreEvent::ServerNotice { code, message } => Event::ServerNotice {
                code: code.as_ref().map(|code| code.as_str().to_owned()),
                message: message.clone(),
            },
            CoreEvent::Backend(backend) => backend_event(backend),
            CoreEvent::Unknown(frame) => Event::Unknown {
                kind: frame.kind.clone(),
                raw_json: frame.raw.to_string(),
            },
            CoreEvent::Malformed(error) => Event::Malformed {
                error: error.to_string(),
                raw: error.raw().to_owned(),
            },
            CoreEvent::StorageFailed(error) => Event::StorageFailed {
                error: error.to_string(),
            },
            _ => Event::Unknown {
                kind: None,
                raw_json: "null".into(),
            },
        }
    }
}

fn backend_event(backend: &niochat_client::dialect::BackendEvent) -> Event {
    use niochat_client::dialect::BackendEvent;
    let (name, json) = match backend {
        BackendEvent::PyTake(event) => ("pytake", serde_json::to_string(event)),
        BackendEvent::PyTakeGo(event) => ("pytake-go", serde_json::to_string(event)),
        BackendEvent::ConectCrm(event) => ("conectcrm", serde_json::to_string(event)),
        BackendEvent::NioChat(event) => ("niochat", serde_json::to_string(event)),
        _ => ("custom", Ok("null".to_owned())),
    };
    Event::Backend {
        backend: name.into(),
        json: json.unwrap_or_else(|_| "null".into()),
    }
}

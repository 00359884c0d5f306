//! The client's Rust types as the JSON shapes `niochat.d.ts` declares: camelCase fields, ids
//! as strings, durations in milliseconds, a `type` on every event and a stable `code` on
//! every error. Pure functions, tested natively against the `.d.ts` itself.

use niochat_client::engine::CloseInfo;
use niochat_client::model::{ChatMessage, Session};
use niochat_client::{
    CommandError, ConnectionError, DeliveryError, Event, GapReason, MessageAck, MessageState,
    Metrics, Origin, Refused, Status, StopReason,
};
use serde_json::{Map, Value, json};

/// Inserts `value` under `key` unless it is `None`.
fn put(object: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), value);
    }
}

fn text(value: impl std::fmt::Display) -> Value {
    Value::String(value.to_string())
}

fn millis(duration: std::time::Duration) -> Value {
    json!(duration.as_millis() as u64)
}

/// A chat message: `{id, conversationId, userId?, text?, content, role?, createdAt?, extra}`.
pub fn message(message: &ChatMessage) -> Value {
    let mut object = Map::new();
    object.insert("id".into(), text(&message.id));
    object.insert("conversationId".into(), text(&message.conversation_id));
    put(&mut object, "userId", message.user_id.as_ref().map(text));
    put(
        &mut object,
        "text",
        message.content.text().map(|t| json!(t)),
    );
    object.insert(
        "content".into(),
        serde_json::to_value(&message.content).unwrap_or(Value::Null),
    );
    put(&mut object, "role", message.role.as_ref().map(|r| json!(r)));
    put(
        &mut object,
        "createdAt",
        message.created_at.as_ref().map(|t| json!(t.as_str())),
    );
    object.insert("extra".into(), Value::Object(message.extra.clone()));
    Value::Object(object)
}

/// `{conversationId, messageId, timestamp?}`.
pub fn ack(ack: &MessageAck) -> Value {
    let mut object = Map::new();
    object.insert("conversationId".into(), text(&ack.conversation_id));
    object.insert("messageId".into(), text(&ack.message_id));
    put(
        &mut object,
        "timestamp",
        ack.timestamp.as_ref().map(|t| json!(t.as_str())),
    );
    Value::Object(object)
}

/// `{kind, message}`: never the token (the core's errors hold none).
pub fn connection_error(error: &ConnectionError) -> Value {
    json!({"kind": error.kind().name(), "message": error.to_string()})
}

/// `{name, attempt?, maxAttempts?, delayMs?, attempts?, error?}`.
pub fn status(status: &Status) -> Value {
    let mut object = Map::new();
    object.insert("name".into(), json!(status.name()));
    match status {
        Status::Reconnecting {
            attempt,
            max_attempts,
            delay,
        } => {
            object.insert("attempt".into(), json!(attempt));
            put(&mut object, "maxAttempts", max_attempts.map(|m| json!(m)));
            object.insert("delayMs".into(), millis(*delay));
        }
        Status::GaveUp { attempts } => {
            object.insert("attempts".into(), json!(attempts));
        }
        Status::Error(error) => {
            object.insert("error".into(), connection_error(error));
        }
        _ => {}
    }
    Value::Object(object)
}

fn stop_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::GaveUp => "gaveUp",
        StopReason::Unauthorized => "unauthorized",
        StopReason::Disconnected => "disconnected",
        StopReason::ConnectionLost => "connectionLost",
        StopReason::Superseded => "superseded",
        _ => "shutdown",
    }
}

/// Every error code a command's promise can reject with.
pub const ERROR_CODES: &[&str] = &[
    "QUEUE_FULL",
    "TOO_LARGE",
    "EMPTY",
    "UNSUPPORTED",
    "NOT_CONNECTED",
    "CLOSED",
    "ACK_TIMEOUT",
    "REJECTED",
    "NOT_DELIVERED",
    "INVALID_CONFIG",
    "STORAGE",
];

/// `{code, message, ...details}` for a command's failure.
pub fn command_error(error: &CommandError) -> Value {
    let message = error.to_string();
    match error {
        CommandError::Refused(refused) => refused_error(refused),
        CommandError::Delivery(delivery) => match delivery {
            DeliveryError::AckTimeout { timeout } => {
                json!({"code": "ACK_TIMEOUT", "message": message, "timeoutMs": millis(*timeout)})
            }
            DeliveryError::Rejected(rejection) => {
                let mut object = json!({"code": "REJECTED", "message": message});
                if let Some(code) = &rejection.code {
                    object["serverCode"] = json!(code.as_str());
                }
                object
            }
            DeliveryError::NotDelivered {
                message: local,
                reason,
                still_queued,
            } => {
                let mut object = json!({"code": "NOT_DELIVERED", "message": message,
                    "reason": stop_reason(*reason), "stillQueued": still_queued});
                if let Some(local) = local {
                    object["localId"] = json!(local.get());
                }
                object
            }
            _ => json!({"code": "NOT_DELIVERED", "message": message}),
        },
        _ => json!({"code": "CLOSED", "message": message}),
    }
}

/// `{code, message, ...details}` for a refusal.
pub fn refused_error(refused: &Refused) -> Value {
    let message = refused.to_string();
    match refused {
        Refused::QueueFull { capacity } => {
            json!({"code": "QUEUE_FULL", "message": message, "capacity": capacity})
        }
        Refused::TooLarge { size, max } => {
            json!({"code": "TOO_LARGE", "message": message, "size": size, "max": max})
        }
        Refused::Empty => json!({"code": "EMPTY", "message": message}),
        Refused::Unsupported { command, backend } => json!({"code": "UNSUPPORTED",
            "message": message, "command": command.to_string(), "backend": backend}),
        Refused::NotConnected => json!({"code": "NOT_CONNECTED", "message": message}),
        _ => json!({"code": "CLOSED", "message": message}),
    }
}

fn outgoing_state(state: &MessageState) -> (&'static str, Option<Value>, Option<Value>) {
    match state {
        MessageState::Queued => ("queued", None, None),
        MessageState::Sent => ("sent", None, None),
        MessageState::Acknowledged(acknowledged) => ("acknowledged", Some(ack(acknowledged)), None),
        MessageState::Failed(error) => (
            "failed",
            None,
            Some(command_error(&CommandError::Delivery(error.clone()))),
        ),
        MessageState::Held(reason) => ("held", None, Some(json!(stop_reason(*reason)))),
        _ => ("queued", None, None),
    }
}

fn session(session: &Session) -> Value {
    let mut object = Map::new();
    object.insert("type".into(), json!("session"));
    put(&mut object, "userId", session.user_id.as_ref().map(text));
    put(
        &mut object,
        "serverTime",
        session.server_time.as_ref().map(|t| json!(t.as_str())),
    );
    put(
        &mut object,
        "sessionId",
        session.session_id.as_ref().map(|s| json!(s)),
    );
    Value::Object(object)
}

/// Every event `type`, which is also the name `on()` takes.
pub const EVENT_TYPES: &[&str] = &[
    "status",
    "session",
    "message",
    "messageUpdated",
    "messageDeleted",
    "messageStatus",
    "ownMessageCopy",
    "outgoing",
    "typing",
    "read",
    "presence",
    "historyGap",
    "serverNotice",
    "backend",
    "unknown",
    "malformed",
    "storageFailed",
];

/// An event as `{type, ...}`.
pub fn event(event: &Event) -> Value {
    match event {
        Event::Status(status) => json!({"type": "status", "status": self::status(status)}),
        Event::Session(session) => self::session(session),
        Event::Message { message, origin } => json!({"type": "message",
            "message": self::message(message),
            "origin": if *origin == Origin::Sync { "sync" } else { "live" }}),
        Event::MessageUpdated(message) => {
            json!({"type": "messageUpdated", "message": self::message(message)})
        }
        Event::MessageDeleted(deletion) => {
            let mut object = Map::new();
            object.insert("type".into(), json!("messageDeleted"));
            object.insert("messageId".into(), text(&deletion.message_id));
            put(
                &mut object,
                "conversationId",
                deletion.conversation_id.as_ref().map(text),
            );
            put(
                &mut object,
                "deletedBy",
                deletion.deleted_by.as_ref().map(text),
            );
            put(
                &mut object,
                "message",
                deletion.message.as_ref().map(self::message),
            );
            Value::Object(object)
        }
        Event::MessageStatus(update) => {
            let mut object = Map::new();
            object.insert("type".into(), json!("messageStatus"));
            object.insert("messageId".into(), text(&update.message_id));
            put(
                &mut object,
                "conversationId",
                update.conversation_id.as_ref().map(text),
            );
            object.insert("status".into(), json!(update.status.as_str()));
            put(
                &mut object,
                "timestamp",
                update.timestamp.as_ref().map(|t| json!(t.as_str())),
            );
            Value::Object(object)
        }
        Event::OwnMessageCopy { message, id } => json!({"type": "ownMessageCopy",
            "message": self::message(message), "localId": id.get()}),
        Event::Outgoing {
            id,
            conversation_id,
            state,
        } => {
            let (name, acknowledged, error) = outgoing_state(state);
            let mut object = Map::new();
            object.insert("type".into(), json!("outgoing"));
            object.insert("localId".into(), json!(id.get()));
            object.insert("conversationId".into(), text(conversation_id));
            object.insert("state".into(), json!(name));
            put(&mut object, "ack", acknowledged);
            match (name, error) {
                ("held", Some(reason)) => {
                    object.insert("reason".into(), reason);
                }
                (_, error) => put(&mut object, "error", error),
            }
            Value::Object(object)
        }
        Event::Typing(typing) => json!({"type": "typing", "userId": text(&typing.user_id),
            "conversationId": text(&typing.conversation_id), "isTyping": typing.is_typing}),
        Event::Read(read) => {
            let mut object = Map::new();
            object.insert("type".into(), json!("read"));
            object.insert("userId".into(), text(&read.user_id));
            object.insert("conversationId".into(), text(&read.conversation_id));
            object.insert("messageId".into(), text(&read.message_id));
            put(
                &mut object,
                "readAt",
                read.read_at.as_ref().map(|t| json!(t.as_str())),
            );
            Value::Object(object)
        }
        Event::Presence(presence) => {
            let mut object = Map::new();
            object.insert("type".into(), json!("presence"));
            object.insert("userId".into(), text(&presence.user_id));
            object.insert("status".into(), json!(presence.status.as_str()));
            put(
                &mut object,
                "timestamp",
                presence.timestamp.as_ref().map(|t| json!(t.as_str())),
            );
            Value::Object(object)
        }
        Event::HistoryGap {
            conversation_id,
            after,
            reason,
        } => {
            let mut object = Map::new();
            object.insert("type".into(), json!("historyGap"));
            object.insert("conversationId".into(), text(conversation_id));
            put(&mut object, "after", after.as_ref().map(text));
            let reason = match reason {
                GapReason::SyncTooLarge { .. } => "syncTooLarge",
                _ => "syncTimedOut",
            };
            object.insert("reason".into(), json!(reason));
            Value::Object(object)
        }
        Event::ServerNotice { code, message } => {
            let mut object = Map::new();
            object.insert("type".into(), json!("serverNotice"));
            put(
                &mut object,
                "code",
                code.as_ref().map(|c| json!(c.as_str())),
            );
            object.insert("message".into(), json!(message));
            Value::Object(object)
        }
        Event::Backend(backend) => {
            let (name, event) = backend_event(backend);
            json!({"type": "backend", "backend": name, "event": event})
        }
        Event::Unknown(frame) => {
            let mut object = Map::new();
            object.insert("type".into(), json!("unknown"));
            put(&mut object, "kind", frame.kind.as_ref().map(|k| json!(k)));
            object.insert("raw".into(), frame.raw.clone());
            Value::Object(object)
        }
        Event::Malformed(error) => json!({"type": "malformed", "error": error.to_string(),
            "raw": error.raw()}),
        Event::StorageFailed(error) => {
            json!({"type": "storageFailed", "error": error.to_string()})
        }
        _ => json!({"type": "unknown", "raw": Value::Null}),
    }
}

/// The backend's name and its own event, as its serde shape (`{"Variant": {...}}` or
/// `"Variant"`).
fn backend_event(backend: &niochat_client::dialect::BackendEvent) -> (&'static str, Value) {
    use niochat_client::dialect::BackendEvent;
    let shape = |value: Result<Value, serde_json::Error>| value.unwrap_or(Value::Null);
    match backend {
        BackendEvent::PyTake(event) => ("pytake", shape(serde_json::to_value(event))),
        BackendEvent::PyTakeGo(event) => ("pytake-go", shape(serde_json::to_value(event))),
        BackendEvent::ConectCrm(event) => ("conectcrm", shape(serde_json::to_value(event))),
        BackendEvent::NioChat(event) => ("niochat", shape(serde_json::to_value(event))),
        _ => ("custom", Value::Null),
    }
}

/// `{rttMs?, reconnects, attempts, queueDepth, inFlight, timeReconnectingMs,
/// connectedForMs?, lastClose?, lastError?}`.
pub fn metrics(metrics: &Metrics) -> Value {
    let mut object = Map::new();
    put(&mut object, "rttMs", metrics.rtt.map(millis));
    object.insert("reconnects".into(), json!(metrics.reconnects));
    object.insert("attempts".into(), json!(metrics.attempts));
    object.insert("queueDepth".into(), json!(metrics.queue_depth));
    object.insert("inFlight".into(), json!(metrics.in_flight));
    object.insert(
        "timeReconnectingMs".into(),
        millis(metrics.time_reconnecting),
    );
    put(
        &mut object,
        "connectedForMs",
        metrics.connected_for.map(millis),
    );
    put(
        &mut object,
        "lastClose",
        metrics
            .last_close
            .as_ref()
            .map(|CloseInfo { code, reason, .. }| json!({"code": code, "reason": reason})),
    );
    put(
        &mut object,
        "lastError",
        metrics.last_error.as_ref().map(connection_error),
    );
    Value::Object(object)
}

//! The published `niochat.d.ts` against what the Rust side really produces: every event type,
//! every error code, and the fields of every payload (required ones always there, nothing
//! undeclared). A change on either side without the other fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use niochat_client::dialect::UnknownFrame;
use niochat_client::model::{ChatMessage, Session};
use niochat_client::{
    CommandError, ConnectionError, ConnectionErrorKind, DeliveryError, Event, GapReason,
    MessageAck, MessageState, Metrics, Origin, Refused, Status, StopReason, StoreError,
};
use niochat_wasm::{TYPESCRIPT, convert};
use serde_json::{Value, json};

/// `interface name { fields }` → field name → required?
fn interfaces() -> BTreeMap<String, BTreeMap<String, bool>> {
    let mut found = BTreeMap::new();
    let mut rest = TYPESCRIPT;
    while let Some(start) = rest.find("export interface ") {
        rest = &rest[start + "export interface ".len()..];
        let name: String = rest.chars().take_while(|c| c.is_alphanumeric()).collect();
        let open = rest.find('{').expect("a body");
        let mut depth = 0;
        let mut fields = BTreeMap::new();
        let mut field = String::new();
        let mut end = open;
        for (index, c) in rest[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 1 && (c == ';' || c == '\n' || c == '{') || depth == 0 {
                let text = field.trim().trim_start_matches('{').trim();
                let text = text
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("/**"))
                    .collect::<String>();
                if let Some((key, _)) = text.split_once(':') {
                    let key = key.trim();
                    let required = !key.ends_with('?');
                    let key = key.trim_end_matches('?');
                    if !key.is_empty() && key.chars().all(|c| c.is_alphanumeric()) {
                        fields.insert(key.to_owned(), required);
                    }
                }
                field.clear();
                if depth == 0 {
                    end = open + index;
                    break;
                }
            } else if depth == 1 {
                field.push(c);
            }
        }
        found.insert(name, fields);
        rest = &rest[end..];
    }
    found
}

/// The string literals of `export type name = "a" | "b";`.
fn union(name: &str) -> BTreeSet<String> {
    let start = TYPESCRIPT
        .find(&format!("export type {name} ="))
        .unwrap_or_else(|| panic!("no type {name}"));
    let body = &TYPESCRIPT[start..];
    let body = &body[..body.find(';').expect("an end")];
    body.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

fn check(interface: &str, value: &Value) {
    let declared = interfaces()
        .remove(interface)
        .unwrap_or_else(|| panic!("no interface {interface}"));
    let object = value.as_object().unwrap_or_else(|| panic!("{value}"));
    for key in object.keys() {
        assert!(
            declared.contains_key(key),
            "{interface} lacks {key:?}: {value}"
        );
    }
    for (key, required) in &declared {
        if *required {
            assert!(
                object.contains_key(key),
                "{interface}.{key} missing in {value}"
            );
        }
    }
}

fn message() -> ChatMessage {
    serde_json::from_value(json!({"id": 1, "conversation_id": "c", "user_id": "u",
        "content": "hi", "role": "user", "created_at": "2025-12-07T10:00:00", "x": 1}))
    .expect("a message")
}

fn every_event() -> Vec<Event> {
    let failed = DeliveryError::AckTimeout {
        timeout: Duration::from_secs(1),
    };
    vec![
        Event::Status(Status::Reconnecting {
            attempt: 1,
            max_attempts: Some(10),
            delay: Duration::from_millis(500),
        }),
        Event::Status(Status::Error(ConnectionError::new(
            ConnectionErrorKind::KeepAliveTimeout(Duration::from_secs(40)),
        ))),
        Event::Session(Session::new(Some("u".into()))),
        Event::Message {
            message: message(),
            origin: Origin::Sync,
        },
        Event::MessageUpdated(message()),
        Event::MessageDeleted(
            serde_json::from_value(json!({"message_id": "m", "conversation_id": "c"})).unwrap(),
        ),
        Event::MessageStatus(
            serde_json::from_value(json!({"message_id": "m", "status": "read"})).unwrap(),
        ),
        Event::Typing(
            serde_json::from_value(
                json!({"user_id": "u", "conversation_id": "c", "is_typing": true}),
            )
            .unwrap(),
        ),
        Event::Read(
            serde_json::from_value(
                json!({"user_id": "u", "conversation_id": "c", "message_id": "m"}),
            )
            .unwrap(),
        ),
        Event::Presence(serde_json::from_value(json!({"user_id": "u", "status": "away"})).unwrap()),
        Event::HistoryGap {
            conversation_id: "c".into(),
            after: Some("m".into()),
            reason: GapReason::SyncTooLarge { max: 10 },
        },
        Event::ServerNotice {
            code: None,
            message: "hello".into(),
        },
        Event::Unknown(UnknownFrame::new(
            Some("new_kind".into()),
            json!({"type": "new_kind"}),
        )),
        Event::StorageFailed(StoreError("quota".into())),
    ]
    .into_iter()
    .chain(outgoing_events(failed))
    .collect()
}

/// Outgoing events in every state, through the engine's own ids.
fn outgoing_events(failed: DeliveryError) -> Vec<Event> {
    use niochat_client::engine::{Engine, EngineConfig};
    let mut engine = Engine::new(
        EngineConfig::new("ws://127.0.0.1:9/ws"),
        niochat_client::Backend::Renum.protocol(),
    )
    .expect("a valid config");
    let now = web_time::Instant::now();
    let id = engine
        .send_message(now, "c".into(), "hello")
        .expect("queued");
    let states = [
        MessageState::Queued,
        MessageState::Sent,
        MessageState::Acknowledged(MessageAck::new("c", "m", None)),
        MessageState::Failed(failed),
        MessageState::Held(StopReason::GaveUp),
    ];
    states
        .into_iter()
        .map(|state| Event::Outgoing {
            id,
            conversation_id: "c".into(),
            state,
        })
        .collect()
}

#[test]
fn event_names_match_the_declared_event_map() {
    let declared: BTreeSet<String> = interfaces()["EventMap"].keys().cloned().collect();
    let produced: BTreeSet<String> = convert::EVENT_TYPES.iter().map(|s| s.to_string()).collect();
    assert_eq!(declared, produced);
}

#[test]
fn presence_statuses_the_core_names_are_declared_and_any_other_is_allowed() {
    use niochat_client::model::PresenceStatus;

    let named: BTreeSet<String> = [
        PresenceStatus::Online,
        PresenceStatus::Away,
        PresenceStatus::Offline,
    ]
    .iter()
    .map(|status| status.as_str().to_owned())
    .collect();
    assert_eq!(union("PresenceStatus"), named);
    // Any other string too: the core passes it through (`PresenceStatus::Other`).
    let start = TYPESCRIPT
        .find("export type PresenceStatus =")
        .expect("declared");
    let body = &TYPESCRIPT[start..];
    assert!(body[..body.find(';').expect("an end")].contains("(string & {})"));
    assert_eq!(
        PresenceStatus::from("ocupado").as_str(),
        "ocupado",
        "kept as written"
    );
}

#[test]
fn error_codes_match_the_declared_union() {
    let produced: BTreeSet<String> = convert::ERROR_CODES.iter().map(|s| s.to_string()).collect();
    assert_eq!(union("ErrorCode"), produced);
}

#[test]
fn every_event_payload_has_exactly_the_declared_fields() {
    let map = interfaces()["EventMap"].clone();
    let lines: BTreeMap<String, String> = TYPESCRIPT
        .lines()
        .filter_map(|line| {
            let (key, value) = line.trim().split_once(": ")?;
            let value = value.trim_end_matches(';');
            map.contains_key(key)
                .then(|| (key.to_owned(), value.to_owned()))
        })
        .collect();
    for event in every_event() {
        let payload = convert::event(&event);
        let kind = payload["type"].as_str().expect("a type").to_owned();
        let interface = lines
            .get(&kind)
            .unwrap_or_else(|| panic!("{kind} not in EventMap"));
        check(interface, &payload);
        if let Some(message) = payload.get("message").filter(|m| m.is_object()) {
            check("ChatMessage", message);
        }
        if let Some(status) = payload.get("status").filter(|s| s.is_object()) {
            check("StatusInfo", status);
            if let Some(error) = status.get("error") {
                check("ConnectionErrorInfo", error);
            }
        }
        if let Some(ack) = payload.get("ack") {
            check("MessageAck", ack);
        }
        if let Some(error) = payload.get("error").filter(|e| e.is_object()) {
            check("ErrorDetails", error);
        }
    }
}

#[test]
fn errors_statuses_and_metrics_have_the_declared_fields() {
    let refusals = [
        Refused::QueueFull { capacity: 1 },
        Refused::TooLarge { size: 2, max: 1 },
        Refused::Empty,
        Refused::NotConnected,
        Refused::Closed,
    ];
    for refused in refusals {
        let details = convert::command_error(&CommandError::Refused(refused));
        check("ErrorDetails", &details);
        assert!(union("ErrorCode").contains(details["code"].as_str().unwrap()));
    }
    for name in [
        Status::Disconnected,
        Status::Connected,
        Status::GaveUp { attempts: 10 },
        Status::Unauthorized,
    ] {
        let status = convert::status(&name);
        check("StatusInfo", &status);
        assert!(union("StatusName").contains(status["name"].as_str().unwrap()));
    }
    let metrics = Metrics::default();
    check("Metrics", &convert::metrics(&metrics));
}

//! The engine on a Socket.IO backend (PyTake) on a virtual clock: the handshake after the
//! socket opens, the server's pings, acks by id, capabilities obeyed, refused credentials.
//! The frames are those a real python-socketio 5.18 server sends (`tests/servers/WIRE.md`).

mod support;

use std::sync::Arc;
use std::time::Duration;

use niochat_client::dialect::pytake::PyTakeEvent;
use niochat_client::dialect::{BackendEvent, CommandKind};
use niochat_client::engine::Reply;
use niochat_client::{
    Backend, ConnectionErrorKind, DeliveryError, Event, Id, MemoryOutboxStore, MessageState,
    OutboxStore, PresenceStatus, Refused, Status, StoredMessage,
};
use support::{Harness, SECOND, config};

const OPEN: &str = r#"0{"sid":"3IaX21mOWfNWPwWSAAAA","upgrades":[],"pingTimeout":20000,"pingInterval":25000,"maxPayload":1000000}"#;
const GREETING: &str =
    r#"42["connected",{"message":"Connected to PyTake WebSocket","user_id":"user-1"}]"#;
const ACK: &str = r#"40{"sid":"uxYed2fcLE0PfcJXAAAB"}"#;
const CONFIRMED_C1: &str =
    r#"42["joined_conversation",{"conversation_id":"c1","message":"Joined conversation c1"}]"#;

fn pytake() -> Harness {
    let mut config = config();
    config.endpoint = "ws://127.0.0.1:9".into();
    Harness::with_protocol(
        config,
        Backend::PyTake.protocol(),
        vec![OPEN.into(), GREETING.into(), ACK.into()],
    )
}

/// The ack that answers the `index`-th frame written.
fn ack_of(harness: &Harness, index: usize) -> String {
    let id: String = harness.sent_text()[index][2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    format!("43{id}[]")
}

fn connected() -> Harness {
    let mut harness = pytake();
    harness.connect_now();
    harness
}

#[test]
fn connected_only_after_the_namespace_ack_with_the_early_greeting_delivered_after_it() {
    let mut harness = pytake();
    harness.engine.connect(harness.now);
    harness.pump();
    assert_eq!(
        harness.opened[0].expose(),
        "ws://127.0.0.1:9/socket.io/?EIO=4&transport=websocket",
        "the token is not in the URL"
    );
    harness.open_socket();
    assert!(
        harness.sent.is_empty(),
        "the client speaks after the open packet"
    );
    harness.receive_text(OPEN);
    assert_eq!(harness.sent_text(), [r#"40{"token":"jwt-secret"}"#]);
    harness.receive_text(GREETING);
    assert_eq!(harness.engine.status(), &Status::Connecting);
    assert!(
        !harness
            .events
            .iter()
            .any(|event| matches!(event, Event::Backend(_)))
    );
    harness.receive_text(ACK);
    assert_eq!(harness.engine.status(), &Status::Connected);
    let after_connected: Vec<_> = harness
        .events
        .iter()
        .skip_while(|event| **event != Event::Status(Status::Connected))
        .collect();
    assert!(
        matches!(after_connected[1], Event::Session(session) if session.user_id == Some(Id::from("user-1")))
    );
    assert!(matches!(
        after_connected[2],
        Event::Backend(BackendEvent::PyTake(PyTakeEvent::Connected { .. }))
    ));
}

#[test]
fn the_server_pings_the_client_answers_and_never_pings_itself() {
    let mut harness = connected();
    for _ in 0..20 {
        harness.advance(25 * SECOND);
        harness.receive_text("2");
    }
    assert_eq!(harness.sent_text(), vec!["3"; 20]);
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn a_server_that_stops_pinging_is_dead_after_its_interval_plus_its_timeout() {
    let mut harness = connected();
    let live = harness.live.unwrap();
    harness.advance(25 * SECOND);
    harness.receive_text("2");
    harness.clear();
    harness.advance(45 * SECOND - Duration::from_millis(1));
    assert_eq!(harness.engine.status(), &Status::Connected);
    harness.advance(Duration::from_millis(1));
    assert_eq!(harness.closes, [(live, 4000)]);
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::KeepAliveTimeout(45 * SECOND)]
    );
    assert!(harness.sent.is_empty(), "no ping of its own, ever");
}

#[test]
fn answers_match_by_ack_id_whatever_their_order() {
    let mut harness = connected();
    let now = harness.now;
    let join = harness.engine.join(now, "c1".into()).unwrap();
    let typing = harness.engine.set_typing(now, "c1".into(), true).unwrap();
    let ping = harness.engine.ping(now).unwrap();
    harness.pump();
    let ids: Vec<String> = harness
        .sent_text()
        .iter()
        .map(|text| text[2..].chars().take_while(char::is_ascii_digit).collect())
        .collect();
    assert_eq!(harness.sent_text()[2], format!("42{}[\"ping\"]", ids[2]));
    harness.advance(SECOND / 10);
    harness.receive_text(format!("43{}[]", ids[2]));
    harness.receive_text(CONFIRMED_C1);
    harness.receive_text(format!("43{}[]", ids[0]));
    assert_eq!(harness.outcome(join), Some(Ok(Reply::Done)));
    assert_eq!(
        harness.outcome(ping),
        Some(Ok(Reply::Pong { rtt: SECOND / 10 }))
    );
    assert_eq!(harness.outcome(typing), None, "still open");
    harness.advance(10 * SECOND);
    assert_eq!(
        harness.outcome(typing),
        Some(Err(DeliveryError::AckTimeout {
            timeout: 10 * SECOND
        })),
        "an unanswered request fails alone"
    );
    assert_eq!(
        harness.engine.status(),
        &Status::Connected,
        "ack ids cannot go out of step"
    );
}

#[test]
fn commands_pytake_does_not_have_are_refused_at_the_call() {
    let mut harness = connected();
    let now = harness.now;
    let unsupported = |command| Refused::Unsupported {
        command,
        backend: "pytake",
    };
    assert_eq!(
        harness.engine.send_message(now, "c1".into(), "hi"),
        Err(unsupported(CommandKind::Message))
    );
    assert_eq!(
        harness.engine.mark_read(now, "c1".into(), "m1".into()),
        Err(unsupported(CommandKind::Read))
    );
    assert_eq!(
        harness.engine.sync(now, "c1".into(), None),
        Err(unsupported(CommandKind::Sync))
    );
    assert_eq!(
        harness.engine.set_presence(now, PresenceStatus::Away),
        Err(unsupported(CommandKind::Presence))
    );
    harness.pump();
    assert!(harness.sent.is_empty(), "nothing written for them");
}

#[test]
fn rooms_are_joined_again_after_a_reconnect_without_any_sync() {
    let mut harness = connected();
    harness.engine.join(harness.now, "c1".into()).unwrap();
    harness.pump();
    harness.receive_text(CONFIRMED_C1);
    harness.receive_text(ack_of(&harness, 0));
    assert_eq!(harness.completions.len(), 1, "the join was answered");
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    let sent = harness.sent_text();
    assert_eq!(sent[0], r#"40{"token":"jwt-secret"}"#);
    assert!(
        sent[1].ends_with(r#"["join_conversation",{"conversation_id":"c1"}]"#),
        "{sent:?}"
    );
    assert_eq!(sent.len(), 2, "no sync: PyTake has none");
    // Live messages are not held back waiting for a sync that never comes.
    harness.receive_text(r#"42["message:new",{"id":"m1","conversation_id":"c1","content":{"text":"hi"},"created_at":"2025-12-07T10:00:00+00:00"}]"#);
    assert_eq!(harness.delivered(), ["hi"]);
}

#[test]
fn a_join_pytake_refuses_fails_with_its_error_and_is_not_joined_again() {
    let mut harness = connected();
    let join = harness
        .engine
        .join(harness.now, "not-a-uuid".into())
        .unwrap();
    harness.pump();
    harness.receive_text(r#"42["error",{"message":"Invalid conversation_id format"}]"#);
    harness.receive_text(ack_of(&harness, 0));
    assert!(matches!(
        harness.outcome(join),
        Some(Err(DeliveryError::Rejected(rejection))) if rejection.message == "Invalid conversation_id format"
    ));
    assert!(harness.engine.joined().is_empty());
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_text().len(),
        1,
        "only the CONNECT: no refused join again"
    );
}

#[test]
fn a_join_answered_with_an_attachment_settles_at_once_unread_and_stays_joined() {
    let mut harness = connected();
    let join = harness.engine.join(harness.now, "c1".into()).unwrap();
    harness.pump();
    let ack = ack_of(&harness, 0); // 43<id>[]
    let binary_ack = format!(
        "461-{}[{{\"_placeholder\":true,\"num\":0}}]",
        &ack[2..ack.len() - 2]
    );
    harness.receive_text(binary_ack);
    assert!(
        matches!(
            harness.outcome(join),
            Some(Err(DeliveryError::AckTimeout { .. }))
        ),
        "settled now, as an answer that could not be read: {:?}",
        harness.outcome(join)
    );
    assert_eq!(harness.engine.joined(), [Id::from("c1")], "not a refusal");
}

#[test]
fn a_refused_token_is_refreshed_once_then_the_client_stops_unauthorized() {
    let mut harness = pytake();
    harness.engine.connect(harness.now);
    harness.pump();
    for _ in 0..2 {
        harness.open_socket();
        harness.receive_text(OPEN);
        harness.receive_text(r#"44{"message":"Connection rejected by server"}"#);
    }
    assert_eq!(harness.token_requests, [false, true]);
    assert_eq!(harness.engine.status(), &Status::Unauthorized);
    assert_eq!(
        harness.error_kinds(),
        [
            ConnectionErrorKind::AuthRefused,
            ConnectionErrorKind::AuthRefused
        ]
    );
    assert_eq!(harness.closes.len(), 2, "each refused socket is closed");
    harness.advance(Duration::from_secs(3600));
    assert_eq!(harness.token_requests.len(), 2, "no retry loop");
}

#[test]
fn a_server_side_disconnect_reconnects_on_the_schedule() {
    let mut harness = connected();
    harness.receive_text("41");
    assert!(matches!(
        harness.engine.status(),
        Status::Reconnecting { attempt: 1, .. }
    ));
    assert_eq!(harness.until_open_requested(), SECOND);
}

#[test]
fn binary_attachments_are_a_clear_unsupported_error_and_the_connection_stays() {
    use niochat_client::dialect::DecodeError;
    let mut harness = connected();
    harness.receive_text(r#"451-["upload",{"_placeholder":true,"num":0}]"#);
    let live = harness.live.unwrap();
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Binary(vec![0; 8]),
    );
    assert!(matches!(
        &harness.events[..],
        [Event::Malformed(DecodeError::Unsupported {
            what: "Socket.IO binary attachments",
            ..
        })]
    ));
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn ten_thousand_mutated_socket_io_frames_never_panic_or_disconnect() {
    let seeds = [
        r#"42["message:new",{"id":"m1","conversation_id":"c1","content":{"text":"hi"},"status":"sent","created_at":"2025-12-07T10:00:00+00:00"}]"#,
        r#"42["user_typing",{"conversation_id":"c1","user_id":"u2","typing":true}]"#,
        r#"42["message:status",{"message_id":"m1","status":"read","timestamp":"now"}]"#,
        r#"42["user:status",{"user_id":"u2","status":"online"}]"#,
        r#"42["pong",{"timestamp":"now"}]"#,
        r#"42["error",{"message":"nope"}]"#,
        r#"4399[]"#,
        "2",
        "6",
    ];
    let mut rng = fastrand::Rng::with_seed(0x50c1);
    let mut harness = connected();
    for round in 0..10_000 {
        let mut text: Vec<char> = seeds[rng.usize(..seeds.len())].chars().collect();
        for _ in 0..rng.usize(0..4) {
            match rng.u8(0..3) {
                0 => text.truncate(rng.usize(..=text.len())),
                1 if !text.is_empty() => {
                    text.remove(rng.usize(..text.len()));
                }
                _ => {
                    let noise = ['{', '}', '[', ']', '"', ',', '4', '1', '/', '-', 'é', '0'];
                    text.insert(rng.usize(..=text.len()), noise[rng.usize(..noise.len())]);
                }
            }
        }
        let text: String = text.into_iter().collect();
        // `1` (Engine.IO close) and `41` (namespace disconnect) legitimately end the session.
        if text.starts_with('1')
            || text.starts_with("41")
            || text.starts_with("44")
            || text.starts_with("40")
        {
            continue;
        }
        harness.receive_text(text.clone());
        assert_eq!(
            harness.engine.status(),
            &Status::Connected,
            "round {round}: {text:?}"
        );
    }
    assert!(harness.closes.is_empty());
}

#[test]
fn a_restored_message_this_backend_cannot_send_fails_naming_its_conversation() {
    // Queued by a client of a backend with chat messages, restored into PyTake's.
    let store = MemoryOutboxStore::new();
    store
        .save(&StoredMessage::new(7, "c1", "hello"))
        .expect("saved");
    let mut harness = pytake();
    harness
        .engine
        .restore_outbox(Arc::new(store.clone()))
        .expect("restored");
    harness.engine.connect(harness.now);
    harness.pump();
    harness.accept();
    let failed: Vec<_> = harness
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Outgoing {
                conversation_id,
                state: MessageState::Failed(DeliveryError::Rejected(_)),
                ..
            } => Some(conversation_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [Id::from("c1")], "{:?}", harness.events);
    assert!(store.is_empty(), "a failed message leaves the store");
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 0);
}

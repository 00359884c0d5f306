//! The commands other than sending a message, on a virtual clock, on protocol 001: typing,
//! read receipts, presence, live-only commands, commands made while stopped; and the server's
//! frames, good and bad, as typed events. Outgoing messages are in `engine_messages.rs`.

mod support;

use niochat_client::engine::Reply;
use niochat_client::{DeliveryError, Event, Id, PresenceStatus, Refused, Status};
use serde_json::json;
use support::{Harness, config, joined};

#[test]
fn typing_is_never_queued() {
    let mut harness = Harness::new(config());
    assert_eq!(
        harness.engine.set_typing(harness.now, "c".into(), true),
        Err(Refused::NotConnected)
    );
    harness.engine.connect(harness.now);
    harness.pump();
    harness.accept();
    assert!(harness.sent_of("typing").is_empty());
    harness
        .engine
        .set_typing(harness.now, "c".into(), true)
        .unwrap();
    harness.pump();
    assert_eq!(
        harness.sent_of("typing"),
        [json!({"type": "typing", "conversation_id": "c", "is_typing": true})]
    );
}

#[test]
fn read_receipts_made_offline_are_coalesced_and_every_waiter_gets_the_answer() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    let now = harness.now;
    let old = harness
        .engine
        .mark_read(now, "c1".into(), "m1".into())
        .unwrap();
    let other = harness
        .engine
        .mark_read(now, "c2".into(), "m7".into())
        .unwrap();
    let newest = harness
        .engine
        .mark_read(now, "c1".into(), "m2".into())
        .unwrap();
    harness.accept();
    assert_eq!(
        harness.sent_of("read"),
        [
            json!({"type": "read", "conversation_id": "c1", "message_id": "m2"}),
            json!({"type": "read", "conversation_id": "c2", "message_id": "m7"}),
        ]
    );
    harness.receive(json!({"type": "read_sent"}));
    harness.receive(json!({"type": "read_sent"}));
    for request in [old, other, newest] {
        assert_eq!(harness.outcome(request), Some(Ok(Reply::Done)));
    }
    harness.reconnect_after_drop();
    assert!(
        harness.sent_of("read").len() == 2,
        "sent receipts are not repeated"
    );
}

#[test]
fn presence_is_announced_again_after_every_reconnect() {
    let mut harness = Harness::connected(config());
    harness
        .engine
        .set_presence(harness.now, PresenceStatus::Away)
        .unwrap();
    harness.pump();
    assert_eq!(
        harness.sent_of("presence"),
        [json!({"type": "presence", "status": "away"})]
    );
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_of("presence"),
        [json!({"type": "presence", "status": "away"})]
    );
}

#[test]
fn bad_frames_become_typed_events_and_the_connection_stays_up() {
    use niochat_client::dialect::DecodeError;
    let mut harness = Harness::connected(config());
    harness.receive_text("{not json");
    harness.receive(json!({"type": "typing", "is_typing": "yes"}));
    harness.receive(json!({"type": "reaction", "emoji": "👍"}));
    harness.receive(json!({"action": "update_conversation"}));
    let live = harness.live.unwrap();
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Binary(vec![1, 2, 3]),
    );
    assert!(
        matches!(&harness.events[0], Event::Malformed(DecodeError::NotJson { raw, .. }) if raw == "{not json")
    );
    assert!(
        matches!(&harness.events[1], Event::Malformed(DecodeError::InvalidFrame { frame_type, .. }) if frame_type == "typing")
    );
    assert!(matches!(&harness.events[2], Event::Unknown(frame) if frame.raw["emoji"] == "👍"));
    assert!(matches!(&harness.events[3], Event::Unknown(frame) if frame.kind.is_none()));
    assert!(matches!(
        &harness.events[4],
        Event::Malformed(DecodeError::Binary { len: 3 })
    ));
    assert!(harness.closes.is_empty());
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn server_frames_reach_the_app_as_typed_events() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    harness.open_socket();
    harness.receive(
        json!({"type": "connected", "user_id": 42, "timestamp": "2025-12-07T10:00:00.123456"}),
    );
    harness.receive(
        json!({"type": "typing", "user_id": "u2", "conversation_id": "c", "is_typing": true}),
    );
    // Our own typing, echoed back by a server that relays it to the whole room: not news.
    harness.receive(
        json!({"type": "typing", "user_id": "42", "conversation_id": "c", "is_typing": true}),
    );
    harness.receive(json!({"type": "read", "user_id": "u2", "conversation_id": "c", "message_id": "m1", "read_at": "2025-12-07T10:00:00Z"}));
    harness.receive(json!({"type": "presence", "user_id": "u2", "status": "busy", "timestamp": "2025-12-07T10:00:00-03:00"}));
    let kinds: Vec<&str> = harness
        .events
        .iter()
        .map(|event| match event {
            Event::Status(Status::Connecting) => "connecting",
            Event::Status(Status::Connected) => "connected",
            Event::Session(session) if session.user_id == Some(Id::from(42)) => "session",
            Event::Typing(typing) if typing.is_typing => "typing",
            Event::Read(_) => "read",
            Event::Presence(presence) if presence.status.as_str() == "busy" => "presence",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "connecting",
            "connected",
            "session",
            "typing",
            "read",
            "presence"
        ]
    );
}

#[test]
fn live_only_commands_say_not_connected_when_offline() {
    let mut harness = Harness::new(config());
    assert_eq!(harness.engine.ping(harness.now), Err(Refused::NotConnected));
    assert_eq!(
        harness.engine.sync(harness.now, "c".into(), None),
        Err(Refused::NotConnected)
    );
}

#[test]
fn read_receipts_lost_with_their_connection_go_out_again_newest_first_wins() {
    let mut harness = Harness::connected(config());
    let now = harness.now;
    let older = harness
        .engine
        .mark_read(now, "c".into(), "m1".into())
        .unwrap();
    let newer = harness
        .engine
        .mark_read(now, "c".into(), "m2".into())
        .unwrap();
    harness.pump();
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_of("read"),
        [json!({"type": "read", "conversation_id": "c", "message_id": "m2"})]
    );
    harness.receive(json!({"type": "read_sent"}));
    assert_eq!(harness.outcome(older), Some(Ok(Reply::Done)));
    assert_eq!(harness.outcome(newer), Some(Ok(Reply::Done)));
}

#[test]
fn a_command_made_while_stopped_is_completed_once_not_again_after_the_next_connect() {
    let mut harness = Harness::new(config());
    let now = harness.now;
    let join = harness.engine.join(now, "c".into()).unwrap();
    let read = harness
        .engine
        .mark_read(now, "c".into(), "m1".into())
        .unwrap();
    let presence = harness
        .engine
        .set_presence(now, PresenceStatus::Online)
        .unwrap();
    harness.pump();
    harness.engine.connect(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(
        harness.sent_types(),
        ["join", "presence", "read"],
        "remembered"
    );
    harness.receive(joined("c"));
    harness.receive(json!({"type": "presence_updated"}));
    harness.receive(json!({"type": "read_sent"}));
    for request in [join, read, presence] {
        let outcomes: Vec<_> = harness
            .completions
            .iter()
            .filter(|(of, _)| *of == request)
            .collect();
        assert_eq!(outcomes.len(), 1, "{outcomes:?}");
        assert!(matches!(
            outcomes[0].1,
            Err(DeliveryError::NotDelivered {
                still_queued: true,
                ..
            })
        ));
    }
}

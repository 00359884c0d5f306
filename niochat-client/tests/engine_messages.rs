//! The engine's message handling on a virtual clock: the offline queue, acknowledgements and
//! resends, typing, read receipts, presence, re-join, sync and de-duplication, bad input.

mod support;

use niochat_client::engine::{Event, MessageAck, MessageState, Origin, SendError, Status};
use niochat_client::protocol::{DecodeError, ErrorCode, Id, PresenceStatus};
use serde_json::json;
use support::{Harness, SECOND, ack, chat, config, message};

#[test]
fn messages_sent_offline_wait_in_order_and_go_out_after_the_rejoin_before_newer_ones() {
    let mut harness = Harness::connected(config());
    harness.engine.join("c1".into());
    harness.drop_connection();
    let first = harness.send("c1", "one");
    let second = harness.send("c1", "two");
    harness.pump();
    assert_eq!(harness.states_of(first), [MessageState::Queued]);
    assert!(harness.sent_of("message").is_empty());
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    let third = harness.send("c1", "three");
    harness.pump();
    assert_eq!(
        harness.sent_types(),
        ["join", "sync", "message", "message", "message"]
    );
    let contents: Vec<_> = harness
        .sent_of("message")
        .iter()
        .map(|frame| frame["content"].clone())
        .collect();
    assert_eq!(contents, ["one", "two", "three"]);
    for (id, server_id) in [(first, "s1"), (second, "s2"), (third, "s3")] {
        harness.receive(ack(server_id));
        let states = harness.states_of(id);
        let [.., sent, acknowledged] = &states[..] else {
            panic!("{states:?}")
        };
        assert_eq!(sent, &MessageState::Sent);
        let MessageState::Acknowledged(MessageAck {
            message_id,
            conversation_id,
            timestamp,
        }) = acknowledged
        else {
            panic!("{states:?}")
        };
        assert_eq!(
            (message_id, conversation_id),
            (&Id::from(server_id), &Id::from("c1"))
        );
        assert!(timestamp.as_ref().and_then(|at| at.to_utc()).is_some());
    }
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 0);
}

#[test]
fn a_full_queue_refuses_with_a_typed_error_and_loses_nothing_it_accepted() {
    let mut config = config();
    config.queue_capacity = 3;
    let mut harness = Harness::new(config);
    for n in 0..3 {
        harness
            .engine
            .send_message(harness.now, "c".into(), format!("m{n}"))
            .unwrap();
    }
    assert_eq!(
        harness
            .engine
            .send_message(harness.now, "c".into(), "overflow"),
        Err(SendError::QueueFull { capacity: 3 })
    );
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 3);
    harness.engine.connect(harness.now);
    harness.pump();
    harness.accept();
    let contents: Vec<_> = harness
        .sent_of("message")
        .iter()
        .map(|frame| frame["content"].clone())
        .collect();
    assert_eq!(contents, ["m0", "m1", "m2"]);
}

#[test]
fn a_message_whose_connection_died_before_its_ack_is_sent_again_exactly_once() {
    let mut harness = Harness::connected(config());
    let acked = harness.send("c", "acked");
    let lost = harness.send("c", "lost");
    harness.pump();
    harness.receive(ack("s1"));
    harness.drop_connection();
    assert_eq!(
        harness.states_of(lost),
        [
            MessageState::Queued,
            MessageState::Sent,
            MessageState::Queued
        ]
    );
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    let resent: Vec<_> = harness
        .sent_of("message")
        .iter()
        .map(|frame| frame["content"].clone())
        .collect();
    assert_eq!(resent, ["lost"]);
    harness.receive(ack("s2"));
    assert!(
        matches!(&harness.states_of(lost)[..], [MessageState::Sent, MessageState::Acknowledged(ack)] if ack.message_id == Id::from("s2"))
    );
    assert!(
        harness.states_of(acked).is_empty(),
        "the acknowledged one is not touched again"
    );
}

#[test]
fn an_unacknowledged_message_times_out_and_its_late_ack_is_not_given_to_the_next() {
    let mut harness = Harness::connected(config());
    let slow = harness.send("c", "slow");
    harness.advance(5 * SECOND);
    let next = harness.send("c", "next");
    harness.advance(5 * SECOND);
    assert_eq!(
        harness.states_of(slow).last(),
        Some(&MessageState::Failed(SendError::AckTimeout {
            timeout_ms: 10_000
        }))
    );
    harness.receive(ack("late-for-slow"));
    harness.receive(ack("for-next"));
    assert!(
        matches!(harness.states_of(next).last(), Some(MessageState::Acknowledged(ack)) if ack.message_id == Id::from("for-next"))
    );
}

#[test]
fn a_message_the_server_rejects_fails_with_its_error() {
    let mut harness = Harness::connected(config());
    let id = harness.send("c", "bad");
    harness.receive(json!({"type": "error", "error": "db down", "code": "MESSAGE_ERROR"}));
    assert_eq!(
        harness.states_of(id).last(),
        Some(&MessageState::Failed(SendError::Rejected {
            code: ErrorCode::MessageError,
            error: "db down".into()
        }))
    );
    assert!(
        harness
            .events
            .iter()
            .any(|event| matches!(event, Event::ServerError(_)))
    );
}

#[test]
fn oversized_messages_are_refused_before_queueing() {
    let mut config = config();
    config.max_message_bytes = 100;
    let mut harness = Harness::connected(config);
    let error = harness
        .engine
        .send_message(harness.now, "c".into(), "x".repeat(200))
        .unwrap_err();
    assert!(matches!(error, SendError::TooLarge { max: 100, size } if size > 200));
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 0);
    assert!(harness.sent.is_empty());
}

#[test]
fn typing_is_never_queued() {
    let mut harness = Harness::new(config());
    assert_eq!(
        harness.engine.set_typing("c".into(), true),
        Err(SendError::NotConnected)
    );
    harness.engine.connect(harness.now);
    harness.pump();
    harness.accept();
    assert!(harness.sent_of("typing").is_empty());
    harness.engine.set_typing("c".into(), true).unwrap();
    harness.pump();
    assert_eq!(
        harness.sent_of("typing"),
        [json!({"type": "typing", "conversation_id": "c", "is_typing": true})]
    );
}

#[test]
fn read_receipts_made_offline_are_coalesced_to_the_latest_per_conversation() {
    let mut harness = Harness::new(config());
    harness.engine.mark_read("c1".into(), "m1".into()).unwrap();
    harness.engine.mark_read("c2".into(), "m7".into()).unwrap();
    harness.engine.mark_read("c1".into(), "m2".into()).unwrap();
    harness.engine.connect(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(
        harness.sent_of("read"),
        [
            json!({"type": "read", "conversation_id": "c2", "message_id": "m7"}),
            json!({"type": "read", "conversation_id": "c1", "message_id": "m2"}),
        ]
    );
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert!(
        harness.sent_of("read").is_empty(),
        "sent receipts are not repeated"
    );
}

#[test]
fn presence_is_announced_again_after_every_reconnect() {
    let mut harness = Harness::connected(config());
    harness.engine.set_presence(PresenceStatus::Away);
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
fn rooms_are_joined_again_and_synced_from_the_last_message_seen() {
    let mut harness = Harness::connected(config());
    harness.engine.join("c1".into());
    harness.engine.join("c2".into());
    harness.engine.join("gone".into());
    harness.engine.leave("gone".into());
    harness.pump();
    assert_eq!(harness.sent_types(), ["join", "join", "join", "leave"]);
    harness.receive(message("m1", "c1", "hello", "2025-12-07T10:00:01"));
    harness.receive(message("m2", "c1", "world", "2025-12-07T10:00:02"));
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness
            .sent
            .iter()
            .map(|(_, frame)| frame.clone())
            .collect::<Vec<_>>(),
        [
            json!({"type": "join", "conversation_id": "c1"}),
            json!({"type": "sync", "conversation_id": "c1", "last_message_id": "m2"}),
            json!({"type": "join", "conversation_id": "c2"}),
            json!({"type": "sync", "conversation_id": "c2"}),
        ]
    );
    assert_eq!(harness.engine.joined(), [Id::from("c1"), Id::from("c2")]);
}

#[test]
fn sync_merges_missed_messages_in_order_without_duplicates_before_newer_live_ones() {
    let mut harness = Harness::connected(config());
    harness.engine.join("c1".into());
    harness.receive(message("m1", "c1", "one", "2025-12-07T10:00:01"));
    harness.receive(message("m2", "c1", "two", "2025-12-07T10:00:02"));
    harness.reconnect_after_drop();
    harness.clear();
    // A live message overtakes the sync reply: it is held back.
    harness.receive(message("m5", "c1", "five", "2025-12-07T10:00:05"));
    assert!(harness.delivered().is_empty());
    // The reply overlaps what we had, and lists the missed ones out of order.
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c1", "count": 4, "messages": [
            chat("m4", "c1", "four", "2025-12-07T10:00:04"),
            chat("m2", "c1", "two", "2025-12-07T10:00:02"),
            chat("m3", "c1", "three", "2025-12-07T10:00:03"),
            chat("m5", "c1", "five", "2025-12-07T10:00:05"),
        ]}),
    );
    assert_eq!(harness.delivered(), ["three", "four", "five"]);
    let origins: Vec<Origin> = harness
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Message { origin, .. } => Some(*origin),
            _ => None,
        })
        .collect();
    assert_eq!(origins, [Origin::Sync, Origin::Sync, Origin::Sync]);
    harness.receive(message("m5", "c1", "five", "2025-12-07T10:00:05"));
    assert_eq!(harness.delivered().len(), 3, "a repeat is dropped");
    assert_eq!(
        harness.engine.last_seen(&"c1".into()),
        Some(&Id::from("m5"))
    );
}

#[test]
fn a_known_id_with_new_content_is_an_update_not_a_duplicate() {
    let mut harness = Harness::connected(config());
    harness.receive(message("7", "c", "hello", "2025-12-07T10:00:00+00:00"));
    let mut deleted = message("7", "c", "hello", "2025-12-07T10:00:00+00:00");
    deleted["message"]["additional_attributes"] = json!({"status": "deleted"});
    harness.receive(deleted);
    assert_eq!(harness.delivered(), ["hello"]);
    assert!(
        matches!(harness.events.last(), Some(Event::MessageUpdated(message)) if message.extra.contains_key("additional_attributes"))
    );
}

#[test]
fn our_own_acknowledged_messages_do_not_come_back_through_sync() {
    let mut harness = Harness::connected(config());
    harness.engine.join("c".into());
    harness.send("c", "mine");
    harness.pump();
    harness.receive(ack("s9"));
    harness.reconnect_after_drop();
    assert_eq!(harness.sent_of("sync")[0]["last_message_id"], "s9");
    harness.clear();
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c", "count": 1,
        "messages": [chat("s9", "c", "mine", "2025-12-07T10:00:00")]}),
    );
    assert!(harness.delivered().is_empty());
}

#[test]
fn a_sync_that_fails_or_never_answers_releases_the_held_messages() {
    let mut harness = Harness::connected(config());
    harness.engine.join("c".into());
    harness.reconnect_after_drop();
    harness.receive(message("m1", "c", "held", "2025-12-07T10:00:01"));
    harness.receive(json!({"type": "error", "error": "no", "code": "SYNC_ERROR"}));
    assert_eq!(harness.delivered(), ["held"]);

    harness.reconnect_after_drop();
    harness.clear();
    harness.receive(message("m2", "c", "held again", "2025-12-07T10:00:02"));
    harness.advance(10 * SECOND);
    assert_eq!(harness.delivered(), ["held again"]);
}

#[test]
fn bad_frames_become_typed_events_and_the_connection_stays_up() {
    let mut harness = Harness::connected(config());
    harness.receive_text("{not json".into());
    harness.receive(json!({"type": "message_sent"}));
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
        matches!(&harness.events[1], Event::Malformed(DecodeError::InvalidFrame { frame_type, .. }) if frame_type == "message_sent")
    );
    assert!(matches!(&harness.events[2], Event::Unknown(raw) if raw["emoji"] == "👍"));
    assert!(
        matches!(&harness.events[3], Event::Unknown(raw) if raw["action"] == "update_conversation")
    );
    assert!(matches!(
        &harness.events[4],
        Event::Malformed(DecodeError::Binary { len: 3 })
    ));
    assert!(harness.closes.is_empty());
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn server_frames_reach_the_app_as_typed_events() {
    let mut harness = Harness::connected(config());
    harness.receive(
        json!({"type": "connected", "user_id": 42, "timestamp": "2025-12-07T10:00:00.123456"}),
    );
    harness.receive(
        json!({"type": "typing", "user_id": "u2", "conversation_id": "c", "is_typing": true}),
    );
    harness.receive(json!({"type": "read", "user_id": "u2", "conversation_id": "c", "message_id": "m1", "read_at": "2025-12-07T10:00:00Z"}));
    harness.receive(json!({"type": "presence", "user_id": "u2", "status": "busy", "timestamp": "2025-12-07T10:00:00-03:00"}));
    harness.receive(json!({"type": "joined", "conversation_id": "c", "success": true}));
    let kinds: Vec<&str> = harness
        .events
        .iter()
        .map(|event| match event {
            Event::Session(session) if session.user_id == Id::from(42) => "session",
            Event::Typing(typing) if typing.is_typing => "typing",
            Event::Read(_) => "read",
            Event::Presence(presence)
                if presence.status == PresenceStatus::Other("busy".into()) =>
            {
                "presence"
            }
            Event::Reply(_) => "reply",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["session", "typing", "read", "presence", "reply"]);
}

#[test]
fn live_only_commands_say_not_connected_when_offline() {
    let mut harness = Harness::new(config());
    assert_eq!(
        harness.engine.ping(harness.now),
        Err(SendError::NotConnected)
    );
    assert_eq!(
        harness.engine.sync("c".into(), None),
        Err(SendError::NotConnected)
    );
}

#[test]
fn leaving_during_a_sync_releases_what_it_held_back() {
    let mut harness = Harness::connected(config());
    harness.engine.join("c".into());
    harness.reconnect_after_drop();
    harness.receive(message("m1", "c", "held", "2025-12-07T10:00:01"));
    harness.engine.leave("c".into());
    harness.pump();
    assert_eq!(harness.delivered(), ["held"]);
}

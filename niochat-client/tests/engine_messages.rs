//! Outgoing messages and other commands on a virtual clock, on protocol 001: the offline queue,
//! resends, refusals before queueing, typing, read receipts, presence, what happens to waiting
//! commands when the client stops, bad input.

mod support;

use niochat_client::engine::{MessageAck, Reply};
use niochat_client::{DeliveryError, Event, Id, MessageState, PresenceStatus, Refused, Status};
use serde_json::json;
use support::{Harness, ack, config, joined};

fn acknowledged_as(state: Option<&MessageState>) -> Option<String> {
    match state {
        Some(MessageState::Acknowledged(ack)) => Some(ack.message_id.to_string()),
        _ => None,
    }
}

#[test]
fn messages_sent_offline_wait_in_order_and_go_out_after_the_rejoin_before_newer_ones() {
    let mut harness = Harness::connected(config());
    harness.join("c1");
    harness.drop_connection();
    let first = harness.send("c1", "one");
    let second = harness.send("c1", "two");
    assert_eq!(harness.states_of(first), [MessageState::Queued]);
    assert!(harness.sent_of("message").is_empty());
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    let third = harness.send("c1", "three");
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
    harness.receive(joined("c1"));
    harness.receive(json!({"type": "sync_data", "conversation_id": "c1", "messages": []}));
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
            ..
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
fn empty_messages_are_refused_before_queueing() {
    let mut harness = Harness::connected(config());
    for empty in ["", "   ", "\n\t"] {
        assert_eq!(
            harness.engine.send_message(harness.now, "c".into(), empty),
            Err(Refused::Empty)
        );
    }
    assert!(harness.sent.is_empty());
}

#[test]
fn a_full_queue_refuses_with_a_typed_error_and_loses_nothing_it_accepted() {
    let mut config = config();
    config.queue_capacity = 3;
    let mut harness = Harness::new(config);
    harness.engine.connect(harness.now);
    harness.pump();
    for n in 0..3 {
        harness.send("c", &format!("m{n}"));
    }
    assert_eq!(
        harness
            .engine
            .send_message(harness.now, "c".into(), "overflow"),
        Err(Refused::QueueFull { capacity: 3 })
    );
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 3);
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
    assert_eq!(
        acknowledged_as(harness.states_of(lost).last()).as_deref(),
        Some("s2")
    );
    assert!(
        harness.states_of(acked).is_empty(),
        "the acknowledged one is not touched again"
    );
}

#[test]
fn oversized_messages_are_refused_before_queueing() {
    let mut config = config();
    config.max_outgoing_bytes = 100;
    let mut harness = Harness::connected(config);
    let error = harness
        .engine
        .send_message(harness.now, "c".into(), "x".repeat(200))
        .unwrap_err();
    assert!(matches!(error, Refused::TooLarge { max: 100, size } if size > 200));
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 0);
    assert!(harness.sent.is_empty());
}

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
fn after_giving_up_being_refused_or_disconnecting_nothing_waits_forever() {
    for stop in ["gave_up", "unauthorized", "disconnected"] {
        let mut config = config();
        config.reconnect.max_attempts = Some(1);
        let mut harness = Harness::connected(config);
        harness.drop_connection();
        let queued = harness.send("c", "waiting");
        let join = harness.engine.join(harness.now, "c".into()).unwrap();
        let presence = harness
            .engine
            .set_presence(harness.now, PresenceStatus::Online)
            .unwrap();
        harness.pump();
        assert!(
            harness.completions.is_empty(),
            "{stop}: still waiting for a connection"
        );
        match stop {
            "gave_up" => {
                harness.until_open_requested();
                harness.fail();
            }
            "unauthorized" => {
                harness.until_open_requested();
                harness.refuse(403);
                harness.refuse(403);
            }
            _ => {
                harness.engine.disconnect(harness.now);
                harness.pump();
            }
        }
        let reason = match stop {
            "gave_up" => niochat_client::StopReason::GaveUp,
            "unauthorized" => niochat_client::StopReason::Unauthorized,
            _ => niochat_client::StopReason::Disconnected,
        };
        assert_eq!(
            harness.states_of(queued).last(),
            Some(&MessageState::Held(reason)),
            "{stop}"
        );
        let waiting = Err(DeliveryError::NotDelivered {
            message: None,
            reason,
            still_queued: true,
        });
        assert_eq!(harness.outcome(join), Some(waiting.clone()), "{stop}");
        assert_eq!(harness.outcome(presence), Some(waiting), "{stop}");
        // A message sent while stopped is held at once, not left hanging.
        let later = harness.send("c", "later");
        assert_eq!(
            harness.states_of(later),
            [MessageState::Queued, MessageState::Held(reason)],
            "{stop}"
        );
        // The next connect() delivers both, in order.
        harness.engine.reconnect(harness.now);
        harness.pump();
        harness.accept();
        let contents: Vec<_> = harness
            .sent_of("message")
            .iter()
            .map(|f| f["content"].clone())
            .collect();
        assert_eq!(contents, ["waiting", "later"], "{stop}");
    }
}

#[test]
fn an_app_can_choose_to_drop_queued_messages_when_the_client_stops() {
    let mut config = config();
    config.keep_queue_when_stopped = false;
    let mut harness = Harness::connected(config);
    harness.drop_connection();
    let queued = harness.send("c", "waiting");
    harness.engine.disconnect(harness.now);
    harness.pump();
    assert_eq!(
        harness.states_of(queued).last(),
        Some(&MessageState::Failed(DeliveryError::NotDelivered {
            message: Some(queued),
            reason: niochat_client::StopReason::Disconnected,
            still_queued: false
        }))
    );
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 0);
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

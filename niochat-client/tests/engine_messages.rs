//! Outgoing chat messages on a virtual clock, on protocol 001: the offline queue, resends,
//! refusals before queueing, and what happens to queued messages and waiting commands when the
//! client stops. The other commands are in `engine_commands.rs`.

mod support;

use niochat_client::engine::MessageAck;
use niochat_client::{DeliveryError, Id, MessageState, PresenceStatus, Refused};
use serde_json::json;
use support::{Harness, ack, acknowledged_as, config, joined};

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
    let contents = harness.sent_contents();
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
    let contents = harness.sent_contents();
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
    let resent = harness.sent_contents();
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
fn the_outgoing_limit_is_exact_for_the_written_frame_however_its_text_escapes() {
    // Control characters are written as `\u00XX`: six bytes each. The size check skips
    // encoding only below a bound, so these sizes around the limit go the exact way.
    for content in [
        "x".repeat(300),
        "\u{1}".repeat(50),
        format!("{}\"", "é".repeat(100)),
    ] {
        let frame = serde_json::to_string(
            &json!({"type": "message", "conversation_id": "c", "content": content}),
        )
        .unwrap();
        // Written type-first with the fields in this order: the same length.
        let size = frame.len();
        let mut config = config();
        config.max_outgoing_bytes = size;
        let mut harness = Harness::connected(config.clone());
        harness.send("c", &content);
        assert_eq!(harness.sent_contents(), [content.as_str()]);
        config.max_outgoing_bytes = size - 1;
        let mut harness = Harness::connected(config);
        let refused = harness
            .engine
            .send_message(harness.now, "c".into(), content)
            .unwrap_err();
        assert_eq!(
            refused,
            Refused::TooLarge {
                size,
                max: size - 1
            }
        );
    }
}

#[test]
fn without_progress_reports_only_outcomes_are_emitted_and_the_frames_are_the_same() {
    let mut harness = Harness::connected(config());
    harness.engine.report_progress(false);
    let first = harness.send("c1", "one");
    harness.receive(ack("s1"));
    let states = harness.states_of(first);
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(acknowledged_as(states.first()), Some("s1".to_owned()));
    // Lost before its acknowledgement: written again, on the same conversation, silently.
    let second = harness.send("c2", "two");
    harness.drop_connection();
    harness.until_open_requested();
    harness.accept();
    let frames = harness.sent_of("message");
    let [.., again] = &frames[..] else {
        panic!("{frames:?}")
    };
    assert_eq!(
        (&again["conversation_id"], &again["content"]),
        (&json!("c2"), &json!("two"))
    );
    harness.receive(ack("s2"));
    let states = harness.states_of(second);
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(acknowledged_as(states.first()), Some("s2".to_owned()));
    // Reported again once asked for.
    harness.engine.report_progress(true);
    let third = harness.send("c1", "three");
    assert_eq!(
        harness.states_of(third),
        [MessageState::Queued, MessageState::Sent]
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
        let contents = harness.sent_contents();
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

//! The engine's message handling on a virtual clock, on protocol 001: the offline queue, one
//! ledger of requests and answers, resends, typing, read receipts, presence, re-join, sync and
//! de-duplication, bad input.

mod support;

use niochat_client::dialect::Rejection;
use niochat_client::engine::{MessageAck, Reply};
use niochat_client::model::ErrorCode;
use niochat_client::{
    DeliveryError, Event, Id, MessageState, Origin, PresenceStatus, Refused, Status,
};
use serde_json::json;
use support::{Harness, SECOND, ack, chat, config, error, joined, message};

fn acknowledged_as(state: Option<&MessageState>) -> Option<String> {
    match state {
        Some(MessageState::Acknowledged(ack)) => Some(ack.message_id.to_string()),
        _ => None,
    }
}

#[test]
fn messages_sent_offline_wait_in_order_and_go_out_after_the_rejoin_before_newer_ones() {
    let mut harness = Harness::connected(config());
    harness.engine.join(harness.now, "c1".into()).unwrap();
    harness.receive(joined("c1"));
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
fn an_error_answer_of_any_code_settles_its_own_message_and_never_the_next() {
    // Against the real server: an empty message was answered with VALIDATION_ERROR, which
    // used to shift every later acknowledgement by one.
    let mut harness = Harness::connected(config());
    let ids: Vec<_> = ["zero", "one", "two", "three"]
        .iter()
        .map(|content| harness.send("c", content))
        .collect();
    harness.receive(error("VALIDATION_ERROR", "Message content cannot be empty"));
    for server_id in ["s1", "s2", "s3"] {
        harness.receive(ack(server_id));
    }
    assert_eq!(
        harness.states_of(ids[0]).last(),
        Some(&MessageState::Failed(DeliveryError::Rejected(Rejection {
            code: Some(ErrorCode::ValidationError),
            message: "Message content cannot be empty".into(),
        })))
    );
    for (id, server_id) in ids[1..].iter().zip(["s1", "s2", "s3"]) {
        assert_eq!(
            acknowledged_as(harness.states_of(*id).last()).as_deref(),
            Some(server_id)
        );
    }
    assert_eq!(
        harness.engine.metrics(harness.now).in_flight,
        0,
        "nothing left open"
    );
    harness.advance(20 * SECOND);
    assert_eq!(harness.engine.status(), &Status::Connected);
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
fn an_overdue_answer_replaces_the_connection_and_the_message_goes_out_again() {
    let mut harness = Harness::connected(config());
    let old = harness.live.unwrap();
    let slow = harness.send("c", "slow");
    harness.advance(10 * SECOND);
    assert_eq!(harness.closes, [(old, 4000)], "out of step: not trusted");
    assert_eq!(
        harness.error_kinds(),
        [niochat_client::ConnectionErrorKind::AnswerOverdue(
            10 * SECOND
        )]
    );
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_of("message").len(),
        2,
        "written again on the new connection"
    );
    // The old connection's late answer cannot reach the new ledger.
    harness.transport(
        old,
        niochat_client::engine::TransportEvent::Frame(ack("late").to_string()),
    );
    harness.receive(ack("s2"));
    assert_eq!(
        acknowledged_as(harness.states_of(slow).last()).as_deref(),
        Some("s2")
    );
}

#[test]
fn a_message_that_is_never_answered_fails_after_three_timeouts_instead_of_looping() {
    let mut harness = Harness::connected(config());
    let unanswered = harness.send("c", "into the void");
    for _ in 0..2 {
        harness.advance(10 * SECOND);
        harness.until_open_requested();
        harness.accept();
    }
    harness.advance(10 * SECOND);
    assert_eq!(
        harness.states_of(unanswered).last(),
        Some(&MessageState::Failed(DeliveryError::AckTimeout {
            timeout: 10 * SECOND
        }))
    );
    harness.until_open_requested();
    harness.accept();
    assert!(
        harness.sent_of("message").len() == 3,
        "written three times, then given up"
    );
    harness.advance(20 * SECOND);
    assert_eq!(harness.engine.status(), &Status::Connected);
    assert_eq!(harness.engine.metrics(harness.now).queue_depth, 0);
}

#[test]
fn an_answer_that_cannot_answer_its_request_replaces_the_connection() {
    let mut harness = Harness::connected(config());
    let message = harness.send("c", "hello");
    harness.receive(json!({"type": "pong"}));
    assert_eq!(
        harness.error_kinds(),
        [niochat_client::ConnectionErrorKind::OutOfStep]
    );
    assert_eq!(
        harness.states_of(message).last(),
        Some(&MessageState::Queued)
    );
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_of("message").len(),
        1,
        "sent again on a fresh connection"
    );
}

#[test]
fn a_damaged_answer_still_settles_its_request() {
    let mut harness = Harness::connected(config());
    let first = harness.send("c", "first");
    harness.receive_text(r#"{"type":"message_sent","message_id":{"nested":true}}"#);
    assert!(
        harness
            .events
            .iter()
            .any(|event| matches!(event, Event::Malformed(_)))
    );
    assert_eq!(
        harness.error_kinds(),
        [niochat_client::ConnectionErrorKind::OutOfStep],
        "what it said is unknown, so the next answer cannot be trusted either"
    );
    assert_eq!(harness.states_of(first).last(), Some(&MessageState::Queued));
}

#[test]
fn an_error_that_answers_nothing_is_a_server_notice() {
    let mut harness = Harness::connected(config());
    harness.receive(error("RATE_LIMITED", "slow down"));
    assert_eq!(
        harness.events,
        [Event::ServerNotice {
            code: Some(ErrorCode::Other("RATE_LIMITED".into())),
            message: "slow down".into()
        }]
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
fn every_command_resolves_with_the_servers_answer() {
    let mut harness = Harness::connected(config());
    let now = harness.now;
    let join = harness.engine.join(now, "c".into()).unwrap();
    let typing = harness.engine.set_typing(now, "c".into(), true).unwrap();
    let read = harness
        .engine
        .mark_read(now, "c".into(), "m1".into())
        .unwrap();
    let presence = harness
        .engine
        .set_presence(now, PresenceStatus::Away)
        .unwrap();
    let sync = harness.engine.sync(now, "c".into(), None).unwrap();
    let leave = harness.engine.leave(now, "c".into()).unwrap();
    harness.pump();
    assert_eq!(
        harness.sent_types(),
        ["join", "typing", "read", "presence", "sync", "leave"]
    );
    assert!(harness.completions.is_empty(), "written is not answered");
    harness.advance(SECOND / 10);
    let ping = harness.engine.ping(harness.now).unwrap();
    harness.pump();
    harness.receive(joined("c"));
    harness.receive(json!({"type": "typing_sent", "success": true}));
    harness.receive(error("READ_ERROR", "unknown message"));
    harness.receive(json!({"type": "presence_updated", "success": true, "status": "away"}));
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c", "count": 1,
        "messages": [chat("m1", "c", "missed", "2025-12-07T10:00:01")]}),
    );
    harness.receive(json!({"type": "left", "conversation_id": "c", "success": true}));
    harness.advance(SECOND / 20);
    harness.receive(json!({"type": "pong"}));
    assert_eq!(harness.outcome(join), Some(Ok(Reply::Done)));
    assert_eq!(harness.outcome(typing), Some(Ok(Reply::Done)));
    assert!(
        matches!(harness.outcome(read), Some(Err(DeliveryError::Rejected(r))) if r.code == Some(ErrorCode::ReadError))
    );
    assert_eq!(harness.outcome(presence), Some(Ok(Reply::Done)));
    assert_eq!(harness.outcome(sync), Some(Ok(Reply::Synced { count: 1 })));
    assert_eq!(harness.outcome(leave), Some(Ok(Reply::Done)));
    assert_eq!(
        harness.outcome(ping),
        Some(Ok(Reply::Pong { rtt: SECOND / 20 }))
    );
    assert_eq!(harness.delivered(), ["missed"]);
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
fn rooms_are_joined_again_and_synced_from_the_last_message_seen() {
    let mut harness = Harness::connected(config());
    let now = harness.now;
    harness.engine.join(now, "c1".into()).unwrap();
    harness.engine.join(now, "c2".into()).unwrap();
    harness.engine.join(now, "gone".into()).unwrap();
    harness.engine.leave(now, "gone".into()).unwrap();
    harness.pump();
    assert_eq!(harness.sent_types(), ["join", "join", "join", "leave"]);
    harness.receive(message("m1", "c1", "hello", "2025-12-07T10:00:01"));
    harness.receive(message("m2", "c1", "world", "2025-12-07T10:00:02"));
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_json(),
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
    harness.engine.join(harness.now, "c1".into()).unwrap();
    harness.receive(joined("c1"));
    harness.receive(message("m1", "c1", "one", "2025-12-07T10:00:01"));
    harness.receive(message("m2", "c1", "two", "2025-12-07T10:00:02"));
    harness.reconnect_after_drop();
    harness.clear();
    harness.receive(joined("c1"));
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
    harness.engine.join(harness.now, "c".into()).unwrap();
    harness.receive(joined("c"));
    harness.send("c", "mine");
    harness.receive(ack("s9"));
    harness.reconnect_after_drop();
    assert_eq!(harness.sent_of("sync")[0]["last_message_id"], "s9");
    harness.clear();
    harness.receive(joined("c"));
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c", "count": 1,
        "messages": [chat("s9", "c", "mine", "2025-12-07T10:00:00")]}),
    );
    assert!(harness.delivered().is_empty());
}

#[test]
fn a_second_stored_copy_of_our_own_resent_message_is_reported_as_such_not_as_new_mail() {
    let mut harness = Harness::connected(config());
    harness.engine.join(harness.now, "c".into()).unwrap();
    harness.receive(joined("c"));
    harness.receive(message("s0", "c", "before", "2025-12-07T10:00:00"));
    let mine = harness.send("c", "did you get this?");
    // The server stored it as s1, but the cut took the acknowledgement with it.
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_types(),
        ["join", "sync", "message"],
        "sent again: at-least-once"
    );
    harness.receive(joined("c"));
    let mut first_copy = chat("s1", "c", "did you get this?", "2025-12-07T10:00:01");
    first_copy["user_id"] = json!("me");
    let from_someone_else = chat("s2", "c", "did you get this?", "2025-12-07T10:00:02");
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c", "count": 2,
        "messages": [first_copy, from_someone_else]}),
    );
    harness.receive(ack("s3"));
    let copies: Vec<_> = harness
        .events
        .iter()
        .filter_map(|event| match event {
            Event::OwnMessageCopy { message, id } => Some((message.id.to_string(), *id)),
            _ => None,
        })
        .collect();
    assert_eq!(copies, [("s1".to_owned(), mine)]);
    assert_eq!(
        harness.delivered(),
        ["did you get this?"],
        "only the other user's message is mail"
    );
    assert_eq!(
        acknowledged_as(harness.states_of(mine).last()).as_deref(),
        Some("s3")
    );
}

#[test]
fn a_sync_answer_too_large_to_receive_becomes_a_history_gap_not_a_retry_loop() {
    let mut harness = Harness::connected(config());
    harness.engine.join(harness.now, "c".into()).unwrap();
    harness.receive(joined("c"));
    harness.receive(message("m1", "c", "seen", "2025-12-07T10:00:01"));
    harness.reconnect_after_drop();
    harness.receive(joined("c"));
    // The sync answer is over the incoming limit: the transport fails the connection.
    let live = harness.live.take().unwrap();
    let too_large =
        niochat_client::ConnectionError::new(niochat_client::ConnectionErrorKind::FrameTooLarge {
            max: 16 << 20,
        });
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Failed(too_large),
    );
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_types(),
        ["join"],
        "no second try at the same sync"
    );
    assert!(harness.events.iter().any(|event| matches!(
        event,
        Event::HistoryGap { conversation_id, after: Some(after), reason: niochat_client::GapReason::SyncTooLarge { .. } }
            if *conversation_id == Id::from("c") && *after == Id::from("m1")
    )));
    harness.receive(joined("c"));
    harness.receive(message("m9", "c", "live again", "2025-12-07T12:00:00"));
    assert_eq!(harness.delivered(), ["live again"], "continues live");
    harness.clear();
    harness.reconnect_after_drop();
    assert_eq!(
        harness.sent_of("sync"),
        [json!({"type": "sync", "conversation_id": "c", "last_message_id": "m9"})],
        "syncs again from the first message after the gap"
    );
}

#[test]
fn a_sync_that_fails_or_never_answers_releases_the_held_messages() {
    let mut harness = Harness::connected(config());
    harness.engine.join(harness.now, "c".into()).unwrap();
    harness.receive(joined("c"));
    harness.reconnect_after_drop();
    harness.receive(joined("c"));
    harness.receive(message("m1", "c", "held", "2025-12-07T10:00:01"));
    harness.receive(error("SYNC_ERROR", "no"));
    assert_eq!(harness.delivered(), ["held"]);

    let mut config = config();
    config.sync_timeout = 5 * SECOND;
    let mut harness = Harness::connected(config);
    harness.engine.join(harness.now, "c".into()).unwrap();
    harness.receive(joined("c"));
    harness.reconnect_after_drop();
    harness.receive(joined("c"));
    harness.clear();
    harness.receive(message("m2", "c", "held again", "2025-12-07T10:00:02"));
    harness.advance(5 * SECOND);
    assert_eq!(harness.delivered(), ["held again"]);
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
fn leaving_during_a_sync_releases_what_it_held_back() {
    let mut harness = Harness::connected(config());
    harness.engine.join(harness.now, "c".into()).unwrap();
    harness.receive(joined("c"));
    harness.reconnect_after_drop();
    harness.receive(joined("c"));
    harness.receive(message("m1", "c", "held", "2025-12-07T10:00:01"));
    harness.engine.leave(harness.now, "c".into()).unwrap();
    harness.pump();
    assert_eq!(harness.delivered(), ["held"]);
}

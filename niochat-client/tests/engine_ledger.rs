//! One ledger of requests and answers, on a virtual clock, on protocol 001 (which answers every
//! frame in order): answers of any code settle their own request, overdue or unfitting answers
//! replace the connection, every command resolves with the server's answer.

mod support;

use niochat_client::dialect::Rejection;
use niochat_client::engine::Reply;
use niochat_client::model::ErrorCode;
use niochat_client::{DeliveryError, Event, MessageState, PresenceStatus, Status};
use serde_json::json;
use support::{Harness, SECOND, ack, acknowledged_as, chat, config, error, joined, message};

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
        Some(&MessageState::Failed(DeliveryError::Rejected(
            Rejection::new(
                Some(ErrorCode::ValidationError),
                "Message content cannot be empty"
            )
        )))
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
fn a_burst_answered_steadily_is_never_overdue_and_a_stall_is_after_the_last_answer() {
    // Three messages written at once; the server answers one every 8 s (a slow link, or
    // frames waiting in a browser's queue): the third's answer comes 24 s after it was
    // written, yet the server never kept one waiting for more than the 10 s.
    let mut harness = Harness::connected(config());
    let live = harness.live.unwrap();
    for text in ["one", "two", "three", "four"] {
        harness.send("c", text);
    }
    for server_id in ["s1", "s2", "s3"] {
        harness.advance(8 * SECOND);
        harness.receive(ack(server_id));
    }
    assert!(harness.closes.is_empty(), "{:?}", harness.error_kinds());
    assert_eq!(harness.live, Some(live));
    // Then nothing: the fourth is overdue 10 s after the third's answer, not before.
    harness.advance(9 * SECOND);
    assert!(harness.closes.is_empty());
    harness.advance(SECOND);
    assert_eq!(harness.closes, [(live, 4000)], "out of step: not trusted");
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
fn a_sync_that_is_never_answered_becomes_a_gap_instead_of_a_reconnect_loop() {
    let mut harness = Harness::connected(config());
    harness.join("c");
    harness.receive(message("m1", "c", "seen", "2025-12-07T10:00:01"));
    harness.drop_connection();
    let mut attempts = Vec::new();
    for _ in 0..3 {
        harness.until_open_requested();
        harness.accept();
        harness.receive(joined("c"));
        // The sync's answer never comes (too slow to build, or to send over a slow link).
        harness.advance(10 * SECOND);
        attempts.extend(
            harness
                .statuses()
                .into_iter()
                .filter_map(|status| match status {
                    Status::Reconnecting { attempt, .. } => Some(attempt),
                    _ => None,
                }),
        );
        harness.clear();
    }
    assert_eq!(
        attempts,
        [1, 2, 3, 4],
        "an untrusted connection buys no fresh schedule"
    );
    harness.until_open_requested();
    harness.accept();
    assert_eq!(harness.sent_types(), ["join"], "the sync is given up");
    assert!(harness.events.iter().any(|event| matches!(
        event,
        Event::HistoryGap {
            reason: niochat_client::GapReason::SyncTimedOut { .. },
            ..
        }
    )));
}

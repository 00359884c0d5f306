//! Conversations on a virtual clock, on protocol 001: re-join and sync after every reconnect,
//! live messages held back during a sync, de-duplication and updates, our own messages and
//! their second stored copies, sync answers too large to receive.

mod support;

use niochat_client::{Event, Id, Origin};
use serde_json::json;
use support::{Harness, SECOND, ack, acknowledged_as, chat, config, error, joined, message};

/// The sync answer is over the incoming limit: the transport fails the connection.
fn sync_answer_too_large(harness: &mut Harness) {
    let live = harness.live.take().unwrap();
    let too_large =
        niochat_client::ConnectionError::new(niochat_client::ConnectionErrorKind::FrameTooLarge {
            max: 16 << 20,
        });
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Failed(too_large),
    );
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
    harness.join("c1");
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
    harness.join("c");
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
    harness.join("c");
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
    harness.join("c");
    harness.receive(message("m1", "c", "seen", "2025-12-07T10:00:01"));
    harness.reconnect_and_rejoin("c");
    sync_answer_too_large(&mut harness);
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
    harness.join("c");
    harness.reconnect_and_rejoin("c");
    harness.receive(message("m1", "c", "held", "2025-12-07T10:00:01"));
    harness.receive(error("SYNC_ERROR", "no"));
    assert_eq!(harness.delivered(), ["held"]);

    let mut config = config();
    config.sync_timeout = 5 * SECOND;
    let mut harness = Harness::connected(config);
    harness.join("c");
    harness.reconnect_and_rejoin("c");
    harness.clear();
    harness.receive(message("m2", "c", "held again", "2025-12-07T10:00:02"));
    harness.advance(5 * SECOND);
    assert_eq!(harness.delivered(), ["held again"]);
}

#[test]
fn leaving_during_a_sync_releases_what_it_held_back() {
    let mut harness = Harness::connected(config());
    harness.join("c");
    harness.reconnect_and_rejoin("c");
    harness.receive(message("m1", "c", "held", "2025-12-07T10:00:01"));
    harness.engine.leave(harness.now, "c".into()).unwrap();
    harness.pump();
    assert_eq!(harness.delivered(), ["held"]);
}

#[test]
fn rooms_the_server_dropped_silently_are_joined_and_synced_again_while_connected() {
    // Protocol 001 keeps one socket per user: another socket of ours closing (an old half-open
    // one the server notices late, a second tab) drops this connection's rooms without a word.
    // Every `membership_refresh` the engine joins and syncs again, so nothing stays missed.
    let mut config = config();
    config.ping_interval = 600 * SECOND;
    config.membership_refresh = 60 * SECOND;
    let mut harness = Harness::connected(config);
    harness.join("c1");
    harness.receive(message("m1", "c1", "one", "2025-12-07T10:00:01"));
    harness.clear();
    harness.advance(59 * SECOND);
    assert!(
        harness.sent_json().is_empty(),
        "nothing before the refresh is due"
    );
    harness.advance(SECOND);
    assert_eq!(
        harness.sent_json(),
        [
            json!({"type": "join", "conversation_id": "c1"}),
            json!({"type": "sync", "conversation_id": "c1", "last_message_id": "m1"}),
        ]
    );
    harness.receive(joined("c1"));
    // A live message overtaking the sync answer waits for it, as after a reconnect.
    harness.receive(message("m3", "c1", "three", "2025-12-07T10:00:03"));
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c1", "count": 2, "messages": [
            chat("m2", "c1", "two", "2025-12-07T10:00:02"),
            chat("m3", "c1", "three", "2025-12-07T10:00:03"),
        ]}),
    );
    assert_eq!(harness.delivered(), ["two", "three"]);
    assert!(
        harness.status_names().is_empty(),
        "the connection stayed up throughout"
    );
    harness.clear();
    harness.advance(60 * SECOND);
    assert_eq!(
        harness.sent_json(),
        [
            json!({"type": "join", "conversation_id": "c1"}),
            json!({"type": "sync", "conversation_id": "c1", "last_message_id": "m3"}),
        ],
        "again every interval, from the last message seen"
    );
}

#[test]
fn in_the_background_the_membership_refresh_waits_without_spinning() {
    // An app in the background keeps its socket quiet until the grace closes it: a refresh
    // falling due then is put off, and its deadline moves on rather than staying in the past.
    let mut config = config();
    config.ping_interval = 600 * SECOND;
    config.membership_refresh = 60 * SECOND;
    config.background_grace = 300 * SECOND;
    let mut harness = Harness::connected(config);
    harness.join("c1");
    harness.clear();
    let now = harness.now;
    harness.engine.enter_background(now);
    harness.advance(61 * SECOND);
    assert!(
        harness.sent_json().is_empty(),
        "nothing written in the background"
    );
    let next = harness
        .engine
        .poll_timeout()
        .expect("the close and the refresh are due later");
    assert!(
        next > harness.now,
        "a deadline in the past would wake the driver in a loop"
    );
}

#[test]
fn a_sync_cut_short_is_asked_for_again_from_where_it_started() {
    let mut harness = Harness::connected(config());
    harness.join("c");
    harness.receive(message("m1", "c", "one", "2025-12-07T10:00:01"));
    harness.reconnect_and_rejoin("c"); // sync after m1, unanswered
    harness.receive(message("m5", "c", "five", "2025-12-07T10:00:05")); // held back
    harness.drop_connection();
    assert_eq!(
        harness.delivered(),
        ["one", "five"],
        "what was held is released"
    );
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert_eq!(
        harness.sent_of("sync"),
        [json!({"type": "sync", "conversation_id": "c", "last_message_id": "m1"})],
        "m2 to m4 are still to be fetched"
    );
    harness.receive(joined("c"));
    harness.receive(
        json!({"type": "sync_data", "conversation_id": "c", "count": 4, "messages": [
            chat("m2", "c", "two", "2025-12-07T10:00:02"),
            chat("m3", "c", "three", "2025-12-07T10:00:03"),
            chat("m4", "c", "four", "2025-12-07T10:00:04"),
            chat("m5", "c", "five", "2025-12-07T10:00:05"),
        ]}),
    );
    assert_eq!(harness.delivered(), ["two", "three", "four"], "each once");
}

#[test]
fn a_gap_decided_while_live_messages_were_held_is_still_reported() {
    let mut harness = Harness::connected(config());
    harness.join("c");
    harness.receive(message("m1", "c", "seen", "2025-12-07T10:00:01"));
    harness.reconnect_and_rejoin("c");
    harness.receive(message("m9", "c", "held", "2025-12-07T10:00:09"));
    sync_answer_too_large(&mut harness);
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    assert!(
        harness.events.iter().any(|event| matches!(
            event,
            Event::HistoryGap { after: Some(after), .. } if *after == Id::from("m1")
        )),
        "{:?}",
        harness.events
    );
}

#[test]
fn our_own_message_acknowledged_while_a_sync_is_unanswered_does_not_move_where_the_next_starts() {
    let mut harness = Harness::connected(config());
    harness.join("c");
    harness.receive(message("m1", "c", "one", "2025-12-07T10:00:01"));
    harness.reconnect_and_rejoin("c"); // sync after m1
    harness.receive(error("SYNC_ERROR", "try later")); // answered, but with nothing
    harness.send("c", "mine");
    harness.receive(ack("m6"));
    harness.clear();
    harness.reconnect_after_drop();
    assert_eq!(
        harness.sent_of("sync"),
        [json!({"type": "sync", "conversation_id": "c", "last_message_id": "m1"})],
        "m2 to m5 are still to be fetched"
    );
}

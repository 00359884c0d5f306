//! The platform's network signals and the persisted outbox, on a virtual clock: offline means
//! no attempt and no ping; online means at once, on a fresh schedule; a new engine on the
//! same store sends what the last one left, once, in order, with its ids.

mod support;

use std::sync::Arc;
use std::time::Duration;

use niochat_client::{Event, MemoryOutboxStore, MessageState, OutboxStore, Status};
use support::{Harness, SECOND, ack, config};

#[test]
fn offline_the_engine_makes_no_attempt_and_online_it_reconnects_at_once_afresh() {
    let mut harness = Harness::connected(config());
    harness.drop_connection();
    harness.until_open_requested();
    harness.fail();
    harness.engine.network_lost(harness.now);
    harness.clear();
    assert_eq!(
        harness.engine.poll_timeout(),
        None,
        "no timer while offline"
    );
    harness.advance(Duration::from_secs(3600));
    assert!(harness.token_requests.is_empty() && harness.opening.is_none());

    harness.engine.network_available(harness.now);
    harness.pump();
    assert!(harness.opening.is_some(), "online: an attempt at once");
    harness.fail();
    let Some(Status::Reconnecting { attempt, delay, .. }) = harness.statuses().last().cloned()
    else {
        panic!(
            "reconnecting after the failed attempt: {:?}",
            harness.statuses()
        );
    };
    assert_eq!((attempt, delay), (1, SECOND), "a fresh schedule");
}

#[test]
fn offline_a_live_connection_is_not_pinged_nor_condemned_and_online_probes_it() {
    let mut harness = Harness::connected(config());
    harness.engine.network_lost(harness.now);
    harness.clear();
    harness.advance(Duration::from_secs(600));
    assert!(
        harness.sent_types().is_empty(),
        "{:?}",
        harness.sent_types()
    );
    assert!(harness.closes.is_empty());
    assert_eq!(harness.engine.status(), &Status::Connected);

    harness.engine.network_available(harness.now);
    harness.pump();
    assert_eq!(harness.sent_types(), ["ping"], "a probe at once");
    harness.advance(Duration::from_secs(10));
    assert!(
        harness.closes.len() == 1,
        "an unanswered probe condemns the connection"
    );
}

#[test]
fn a_connection_closed_while_offline_waits_for_the_network() {
    let mut harness = Harness::connected(config());
    harness.engine.network_lost(harness.now);
    harness.drop_connection();
    harness.clear();
    harness.advance(Duration::from_secs(120));
    assert!(harness.opening.is_none() && harness.token_requests.is_empty());
    harness.send("c1", "typed offline");
    harness.engine.network_available(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(harness.sent_of("message").len(), 1, "sent once back online");
}

fn restored_outgoing(harness: &Harness) -> Vec<u64> {
    harness
        .events
        .iter()
        .filter_map(|event| match event {
            Event::Outgoing {
                id,
                state: MessageState::Queued,
                ..
            } => Some(id.get()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_new_engine_on_the_same_store_sends_what_the_last_left_once_in_order_with_its_ids() {
    let store = MemoryOutboxStore::new();
    let mut first = Harness::new(config());
    first
        .engine
        .restore_outbox(Arc::new(store.clone()))
        .unwrap();
    first.engine.connect(first.now);
    first.pump();
    first.accept();
    let acknowledged = first.send("c1", "one");
    first.receive(ack("m1"));
    let second = first.send("c1", "two");
    let third = first.send("c1", "three");
    assert_eq!(store.len(), 2, "acknowledged messages leave the store");
    drop(first); // The tab closes before `two` and `three` are acknowledged.

    let mut next = Harness::new(config());
    let restored = next.engine.restore_outbox(Arc::new(store.clone())).unwrap();
    assert_eq!(restored, 2);
    next.pump();
    assert_eq!(restored_outgoing(&next), [second.get(), third.get()]);
    next.engine.connect(next.now);
    next.pump();
    next.accept();
    let contents: Vec<String> = next
        .sent_of("message")
        .iter()
        .map(|frame| frame["content"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(contents, ["two", "three"]);
    next.receive(ack("m2"));
    next.receive(ack("m3"));
    assert!(store.is_empty());
    let fresh = next.send("c1", "four");
    assert!(fresh.get() > third.get() && fresh != acknowledged);
}

#[test]
fn a_store_that_fails_is_reported_and_the_message_still_goes_out() {
    struct Full;
    impl OutboxStore for Full {
        fn load(&self) -> Result<Vec<niochat_client::StoredMessage>, niochat_client::StoreError> {
            Ok(Vec::new())
        }
        fn save(
            &self,
            _: &niochat_client::StoredMessage,
        ) -> Result<(), niochat_client::StoreError> {
            Err(niochat_client::StoreError("QuotaExceededError".into()))
        }
        fn remove(&self, _: u64) -> Result<(), niochat_client::StoreError> {
            Ok(())
        }
    }
    let mut harness = Harness::connected(config());
    harness.engine.restore_outbox(Arc::new(Full)).unwrap();
    harness.send("c1", "hello");
    assert!(
        harness
            .events
            .iter()
            .any(|event| matches!(event, Event::StorageFailed(_)))
    );
    assert_eq!(harness.sent_of("message").len(), 1);
}

#[test]
fn suspending_closes_cleanly_and_resuming_reconnects_at_once_and_syncs() {
    let mut harness = Harness::connected(config());
    harness.join("c1");
    harness.receive(support::message(
        "m1",
        "c1",
        "before",
        "2025-12-07T10:00:00",
    ));
    harness.clear();
    harness.engine.suspend(harness.now);
    harness.pump();
    assert_eq!(harness.closes.len(), 1);
    assert_eq!(harness.closes[0].1, 1001, "going away");
    harness.live = None;
    harness.advance(Duration::from_secs(3600));
    assert!(harness.opening.is_none(), "no attempt while suspended");
    harness.engine.resume(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
    let sync = harness.sent_of("sync");
    assert_eq!(sync.len(), 1, "{:?}", harness.sent_types());
    assert_eq!(
        sync[0]["last_message_id"], "m1",
        "the sync starts after the last message seen"
    );
}

#[test]
fn in_the_background_pings_stop_and_the_connection_closes_after_the_grace() {
    let mut harness = Harness::connected(config());
    harness.engine.enter_background(harness.now);
    harness.clear();
    harness.advance(Duration::from_secs(19));
    assert!(harness.sent_types().is_empty(), "no ping in the background");
    assert!(
        harness.closes.is_empty(),
        "a quick app switch keeps the connection"
    );
    harness.advance(Duration::from_secs(1));
    assert_eq!(harness.closes.len(), 1, "closed after the 20 s grace");
    assert_eq!(harness.closes[0].1, 1001);
    harness.live = None;
    harness.advance(Duration::from_secs(3600));
    assert!(harness.opening.is_none(), "no attempt in the background");
    harness.engine.enter_foreground(harness.now);
    harness.pump();
    assert!(
        harness.opening.is_some(),
        "the foreground reconnects at once"
    );
}

#[test]
fn back_in_the_foreground_within_the_grace_the_connection_is_checked_not_replaced() {
    let mut harness = Harness::connected(config());
    harness.engine.enter_background(harness.now);
    harness.clear();
    harness.advance(Duration::from_secs(5));
    harness.engine.enter_foreground(harness.now);
    harness.pump();
    assert_eq!(harness.sent_types(), ["ping"], "a probe at once");
    harness.receive(serde_json::json!({"type": "pong"}));
    // The grace would have ended 15 s from now: it no longer applies.
    harness.advance(Duration::from_secs(16));
    assert!(harness.closes.is_empty(), "{:?}", harness.closes);
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn resuming_while_the_network_is_still_gone_waits_for_the_network() {
    // A page restored from the back/forward cache while offline: no `online` came.
    let mut harness = Harness::connected(config());
    harness.engine.network_lost(harness.now);
    harness.engine.suspend(harness.now);
    harness.pump();
    harness.live = None;
    harness.engine.resume(harness.now);
    harness.pump();
    harness.advance(Duration::from_secs(3600));
    assert!(harness.opening.is_none(), "no attempt while offline");
    harness.engine.network_available(harness.now);
    harness.pump();
    assert!(harness.opening.is_some(), "the network's return reconnects");
}

#[test]
fn the_network_returning_in_the_background_waits_for_the_foreground() {
    let mut harness = Harness::connected(config());
    harness.engine.enter_background(harness.now);
    harness.advance(Duration::from_secs(20));
    harness.live = None;
    harness.engine.network_lost(harness.now);
    harness.engine.network_available(harness.now);
    harness.pump();
    harness.advance(Duration::from_secs(3600));
    assert!(harness.opening.is_none(), "no attempt in the background");
    harness.engine.enter_foreground(harness.now);
    harness.pump();
    assert!(
        harness.opening.is_some(),
        "the foreground reconnects at once"
    );
}

#[test]
fn going_away_uses_up_no_attempt() {
    let mut settings = config();
    settings.reconnect.max_attempts = Some(1);
    let mut harness = Harness::connected(settings);
    harness.drop_connection();
    harness.until_open_requested(); // the one attempt allowed is under way
    harness.engine.suspend(harness.now);
    harness.pump();
    assert!(
        !matches!(harness.engine.status(), Status::GaveUp { .. }),
        "{:?}",
        harness.engine.status()
    );
    harness.engine.resume(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn going_away_never_gives_up_even_with_no_retry_allowed() {
    let mut settings = config();
    settings.reconnect.max_attempts = Some(0);
    settings.keep_queue_when_stopped = false;
    let mut harness = Harness::connected(settings);
    harness.send("c", "typed before the page left"); // written, not yet acknowledged
    harness.engine.suspend(harness.now);
    harness.pump();
    assert_eq!(harness.engine.status(), &Status::Disconnected);
    assert!(
        !harness.events.iter().any(|event| matches!(
            event,
            Event::Outgoing {
                state: MessageState::Failed(_),
                ..
            }
        )),
        "{:?}",
        harness.events
    );
    harness.live = None;
    harness.clear();
    harness.engine.resume(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(harness.sent_of("message").len(), 1, "sent again once back");
}

#[test]
fn connecting_or_reconnecting_ends_a_suspension() {
    let mut harness = Harness::connected(config());
    harness.engine.suspend(harness.now);
    harness.pump();
    harness.live = None;
    harness.engine.reconnect(harness.now);
    harness.pump();
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
    harness.drop_connection();
    harness.until_open_requested(); // would wait forever while still suspended
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn resuming_within_the_background_grace_keeps_the_connection() {
    let mut harness = Harness::connected(config());
    harness.engine.enter_background(harness.now);
    harness.advance(5 * SECOND);
    harness.engine.resume(harness.now);
    harness.pump();
    harness.receive(serde_json::json!({"type": "pong"}));
    harness.advance(30 * SECOND);
    assert!(harness.closes.is_empty(), "{:?}", harness.closes);
}

#[test]
fn suspended_between_attempts_the_status_says_disconnected_and_connect_tries_at_once() {
    let mut harness = Harness::connected(config());
    harness.drop_connection(); // waiting a second before the next attempt
    harness.engine.suspend(harness.now);
    harness.pump();
    assert_eq!(harness.engine.status(), &Status::Disconnected);
    harness.engine.connect(harness.now);
    harness.pump();
    assert_eq!(harness.engine.status(), &Status::Connecting);
    assert!(harness.opening.is_some(), "at once");
}

#[test]
fn reconnecting_within_the_background_grace_keeps_the_new_connection() {
    let mut harness = Harness::connected(config());
    harness.engine.enter_background(harness.now);
    harness.advance(5 * SECOND);
    harness.engine.reconnect(harness.now);
    harness.pump();
    harness.accept();
    harness.clear();
    harness.advance(30 * SECOND);
    assert!(harness.closes.is_empty(), "{:?}", harness.closes);
    assert_eq!(harness.engine.status(), &Status::Connected);
}

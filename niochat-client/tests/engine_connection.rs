//! The engine's connection life on a virtual clock: status, reconnection with backoff, giving
//! up, manual reconnects, dead-connection detection, authentication. No sleeps: time moves
//! only through `Harness::advance`.

mod support;

use std::time::Duration;

use niochat_client::AuthToken;
use niochat_client::engine::{ConnectionError, Event, Jitter, Status, backoff_ceiling};
use serde_json::json;
use support::{Harness, SECOND, config};

#[test]
fn connecting_opens_the_endpoint_with_the_token_in_the_query_and_never_prints_it() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    assert_eq!(harness.token_requests, [false]);
    let url = &harness.opened[0];
    assert_eq!(url.expose(), "ws://127.0.0.1:9/ws?token=jwt-secret");
    assert_eq!(url.to_string(), "ws://127.0.0.1:9/ws?token=***");
    harness.accept();
    assert_eq!(harness.status_names(), ["connecting", "connected"]);
    let everything = format!(
        "{:?} {:?} {:?}",
        harness.events, harness.opened, harness.engine
    );
    assert!(!everything.contains("jwt-secret"), "{everything}");
}

#[test]
fn failed_attempts_follow_the_documented_schedule_then_give_up() {
    let mut harness = Harness::connected(config());
    harness.drop_connection();
    let mut waits = Vec::new();
    for _ in 0..10 {
        waits.push(harness.until_open_requested().as_secs());
        harness.fail();
    }
    assert_eq!(waits, [1, 2, 4, 8, 16, 32, 32, 32, 32, 32]);
    assert_eq!(harness.engine.status(), &Status::GaveUp { attempts: 10 });
    let reconnecting: Vec<(u32, u64)> = harness
        .statuses()
        .into_iter()
        .filter_map(|status| match status {
            Status::Reconnecting {
                attempt,
                delay,
                max_attempts: Some(10),
            } => Some((attempt, delay.as_secs())),
            _ => None,
        })
        .collect();
    assert_eq!(reconnecting.first(), Some(&(1, 1)));
    assert_eq!(reconnecting.last(), Some(&(10, 32)));
    // Gave up means gave up: no timer, no attempt, however long we wait.
    assert_eq!(harness.engine.poll_timeout(), None);
    harness.clear();
    harness.advance(Duration::from_secs(3600));
    assert!(harness.token_requests.is_empty() && harness.opening.is_none());
}

#[test]
fn jittered_delays_stay_within_zero_and_the_ceiling_and_differ_between_clients() {
    let mut schedules = Vec::new();
    for seed in 0..20 {
        let mut config = config();
        config.reconnect.jitter = Jitter::Full;
        config.jitter_seed = seed;
        let policy = config.reconnect.clone();
        let mut harness = Harness::connected(config);
        harness.drop_connection();
        let mut waits = Vec::new();
        for attempt in 1..=10 {
            let wait = harness.until_open_requested();
            assert!(
                wait <= backoff_ceiling(&policy, attempt),
                "attempt {attempt} waited {wait:?}"
            );
            waits.push(wait);
            harness.fail();
        }
        schedules.push(waits);
    }
    schedules.sort();
    schedules.dedup();
    assert_eq!(schedules.len(), 20, "every client gets its own schedule");
    // At the cap too: attempts 6..10 vary across clients.
    let at_cap: std::collections::HashSet<Duration> =
        schedules.iter().map(|waits| waits[7]).collect();
    assert!(at_cap.len() > 10);
}

#[test]
fn a_server_that_accepts_and_drops_at_once_does_not_reset_the_attempt_counter() {
    let mut harness = Harness::connected(config());
    harness.drop_connection();
    for _ in 0..10 {
        harness.until_open_requested();
        harness.accept();
        harness.advance(SECOND);
        harness.drop_connection();
    }
    assert_eq!(harness.engine.status(), &Status::GaveUp { attempts: 10 });
}

#[test]
fn a_connection_that_stayed_up_starts_the_schedule_over() {
    let mut harness = Harness::connected(config());
    harness.drop_connection();
    for _ in 0..4 {
        harness.until_open_requested();
        harness.fail();
    }
    assert_eq!(
        harness.engine.metrics(harness.now).attempts,
        5,
        "attempt 5 is scheduled"
    );
    harness.until_open_requested();
    harness.accept();
    harness.advance(10 * SECOND);
    harness.drop_connection();
    assert_eq!(
        harness.until_open_requested(),
        SECOND,
        "back to the first delay"
    );
    assert_eq!(harness.engine.metrics(harness.now).attempts, 1);
}

#[test]
fn reconnect_and_network_hints_try_at_once_with_a_fresh_schedule_even_after_giving_up() {
    let mut config = config();
    config.reconnect.max_attempts = Some(2);
    let mut harness = Harness::connected(config);
    harness.drop_connection();
    for _ in 0..2 {
        harness.until_open_requested();
        harness.fail();
    }
    assert!(matches!(
        harness.engine.status(),
        Status::GaveUp { attempts: 2 }
    ));
    harness.engine.reconnect(harness.now);
    harness.pump();
    assert!(harness.opening.is_some(), "reconnect() tries at once");
    harness.fail();
    assert!(matches!(
        harness.engine.status(),
        Status::Reconnecting { attempt: 1, .. }
    ));
    harness.engine.network_available(harness.now);
    harness.pump();
    assert!(harness.opening.is_some(), "a network hint skips the wait");
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn reconnect_while_connected_replaces_the_connection() {
    let mut harness = Harness::connected(config());
    let old = harness.live.unwrap();
    harness.engine.reconnect(harness.now);
    harness.pump();
    assert_eq!(harness.closes, [(old, 1000)]);
    harness.accept();
    assert_ne!(harness.live, Some(old));
    assert_eq!(harness.engine.metrics(harness.now).reconnects, 1);
}

#[test]
fn the_apps_own_disconnect_never_reconnects() {
    let mut harness = Harness::connected(config());
    let live = harness.live.unwrap();
    harness.engine.disconnect(harness.now);
    harness.pump();
    assert_eq!(harness.closes, [(live, 1000)]);
    assert_eq!(harness.engine.status(), &Status::Disconnected);
    // The socket's close arriving afterwards is an old connection's event.
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Closed {
            code: Some(1000),
            reason: String::new(),
        },
    );
    harness.advance(Duration::from_secs(3600));
    assert!(harness.token_requests.is_empty());
    assert_eq!(harness.engine.status(), &Status::Disconnected);
    assert_eq!(
        harness.network_hint_then_requests(),
        0,
        "a network hint does not undo disconnect()"
    );
}

impl Harness {
    fn network_hint_then_requests(&mut self) -> usize {
        self.engine.network_available(self.now);
        self.pump();
        self.token_requests.len()
    }
}

#[test]
fn a_silent_connection_is_declared_dead_within_interval_plus_timeout() {
    let mut harness = Harness::connected(config());
    let live = harness.live.unwrap();
    harness.advance(30 * SECOND);
    assert_eq!(harness.sent_types(), ["ping"]);
    harness.advance(10 * SECOND - Duration::from_millis(1));
    assert_eq!(harness.engine.status(), &Status::Connected);
    harness.advance(Duration::from_millis(1));
    assert_eq!(harness.closes, [(live, 4000)]);
    let statuses = harness.statuses();
    assert_eq!(
        statuses[0],
        Status::Error(ConnectionError::KeepAliveTimeout(10 * SECOND))
    );
    assert!(matches!(
        statuses[1],
        Status::Reconnecting { attempt: 1, .. }
    ));
    assert_eq!(harness.elapsed(), 40 * SECOND);
}

#[test]
fn any_frame_proves_the_connection_alive_and_pongs_measure_the_round_trip() {
    let mut config = config();
    config.ping_interval = 5 * SECOND;
    config.pong_timeout = 2 * SECOND;
    let mut harness = Harness::connected(config);
    for round in 1..=10 {
        while harness.sent_of("ping").len() < round {
            harness.advance(Duration::from_millis(10));
        }
        harness.advance(Duration::from_millis(40));
        harness.receive(json!({"type": "pong", "timestamp": "2025-12-07T10:00:00"}));
    }
    assert_eq!(harness.engine.status(), &Status::Connected);
    assert_eq!(
        harness.engine.metrics(harness.now).rtt,
        Some(Duration::from_millis(40))
    );
    assert_eq!(harness.sent_of("ping").len(), 10);
}

#[test]
fn a_network_hint_while_connected_probes_the_connection() {
    let mut harness = Harness::connected(config());
    harness.engine.network_available(harness.now);
    harness.pump();
    assert_eq!(harness.sent_types(), ["ping"]);
    harness.advance(10 * SECOND);
    assert!(matches!(
        harness.statuses()[0],
        Status::Error(ConnectionError::KeepAliveTimeout(_))
    ));
}

#[test]
fn a_handshake_that_never_completes_times_out() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    let attempt = harness.opening.unwrap();
    harness.advance(10 * SECOND);
    assert_eq!(harness.closes, [(attempt, 1000)]);
    assert!(
        harness
            .statuses()
            .contains(&Status::Error(ConnectionError::ConnectTimeout(10 * SECOND)))
    );
}

#[test]
fn a_refused_token_is_refreshed_once_then_the_client_stops_unauthorized() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    harness.refuse(403);
    assert_eq!(
        harness.token_requests,
        [false, true],
        "one refresh, at once"
    );
    assert_eq!(harness.elapsed(), Duration::ZERO);
    harness.refuse(403);
    assert_eq!(harness.engine.status(), &Status::Unauthorized);
    assert_eq!(harness.engine.poll_timeout(), None);
    harness.advance(Duration::from_secs(3600));
    assert_eq!(harness.token_requests.len(), 2, "no retry loop");
    assert_eq!(harness.opened.len(), 2);
}

#[test]
fn a_refreshed_token_that_works_connects_and_rearms_the_refresh() {
    let mut issued = 0;
    let mut harness = Harness::new(config()).with_tokens(move |_| {
        issued += 1;
        Ok(Some(AuthToken::new(format!("token-{issued}"))))
    });
    harness.engine.connect(harness.now);
    harness.pump();
    harness.refuse(401);
    assert_eq!(
        harness.opened[1].expose(),
        "ws://127.0.0.1:9/ws?token=token-2"
    );
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
    // Much later the token expires; the server refuses the reconnect: refreshed again.
    harness.drop_connection();
    harness.until_open_requested();
    harness.refuse(403);
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
    assert_eq!(harness.token_requests, [false, true, false, true]);
}

#[test]
fn other_handshake_refusals_back_off_like_any_failure() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    harness.refuse(503);
    assert_eq!(
        harness.statuses()[1],
        Status::Error(ConnectionError::HandshakeRefused { status: 503 })
    );
    assert_eq!(harness.until_open_requested(), SECOND);
}

#[test]
fn a_failing_token_provider_backs_off_instead_of_spinning() {
    let mut harness = Harness::new(config()).with_tokens(|_| Err("identity service down".into()));
    harness.engine.connect(harness.now);
    harness.pump();
    assert!(
        harness
            .statuses()
            .contains(&Status::Error(ConnectionError::TokenUnavailable(
                "identity service down".into()
            )))
    );
    harness.advance(SECOND);
    assert_eq!(harness.token_requests.len(), 2);
}

#[test]
fn events_of_old_connections_are_ignored() {
    let mut harness = Harness::connected(config());
    let old = harness.live.unwrap();
    harness.reconnect_after_drop();
    harness.clear();
    harness.transport(
        old,
        niochat_client::engine::TransportEvent::Frame(
            support::message("x", "c", "ghost", "").to_string(),
        ),
    );
    harness.transport(
        old,
        niochat_client::engine::TransportEvent::Closed {
            code: None,
            reason: String::new(),
        },
    );
    assert!(harness.events.is_empty());
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn metrics_report_reconnects_outage_time_and_the_last_close() {
    let mut harness = Harness::connected(config());
    harness.advance(20 * SECOND);
    let live = harness.live.take().unwrap();
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Closed {
            code: Some(1012),
            reason: "restart".into(),
        },
    );
    harness.until_open_requested();
    harness.fail();
    harness.until_open_requested();
    harness.accept();
    harness.advance(5 * SECOND);
    let metrics = harness.engine.metrics(harness.now);
    assert_eq!(metrics.reconnects, 1);
    assert_eq!(metrics.time_reconnecting, 3 * SECOND);
    assert_eq!(metrics.connected_for, Some(5 * SECOND));
    assert_eq!(
        metrics.last_close_code, None,
        "the last failure was the refused attempt"
    );
    assert!(
        metrics
            .last_close_reason
            .unwrap()
            .contains("connection refused")
    );
}

#[test]
fn the_last_close_code_and_reason_are_kept() {
    let mut harness = Harness::connected(config());
    let live = harness.live.take().unwrap();
    harness.transport(
        live,
        niochat_client::engine::TransportEvent::Closed {
            code: Some(1011),
            reason: "oops".into(),
        },
    );
    let metrics = harness.engine.metrics(harness.now);
    assert_eq!(
        (
            metrics.last_close_code,
            metrics.last_close_reason.as_deref()
        ),
        (Some(1011), Some("oops"))
    );
    assert!(harness.events.iter().any(|event| matches!(
        event,
        Event::Status(Status::Error(ConnectionError::Closed {
            code: Some(1011),
            ..
        }))
    )));
}

#[test]
fn unauthorized_waits_for_the_app_and_reconnect_tries_again_with_fresh_credentials() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    harness.refuse(403);
    harness.refuse(403);
    assert_eq!(harness.engine.status(), &Status::Unauthorized);
    harness.engine.network_available(harness.now);
    harness.pump();
    assert_eq!(
        harness.token_requests.len(),
        2,
        "a network hint does not retry refused credentials"
    );
    harness.engine.reconnect(harness.now);
    harness.pump();
    assert_eq!(
        harness.token_requests,
        [false, true, false],
        "the app signed in again: a new try"
    );
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
}

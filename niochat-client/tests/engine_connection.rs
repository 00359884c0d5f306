//! The engine's connection life on a virtual clock: status, the session becoming ready,
//! reconnection with backoff, giving up, manual reconnects, timeouts, authentication, metrics,
//! settings. No sleeps: time moves only through `Harness::advance`.

mod support;

use std::time::Duration;

use niochat_client::engine::{Jitter, TransportEvent, backoff_ceiling};
use niochat_client::{AuthToken, ConnectionErrorKind, Status};
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
    harness.open_socket();
    assert_eq!(
        harness.engine.status(),
        &Status::Connecting,
        "an open socket is not a session yet"
    );
    harness.receive(json!({"type": "connected", "user_id": "me"}));
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
        config.jitter_seed = Some(seed);
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
        harness.error_kinds(),
        [ConnectionErrorKind::HttpStatus(503)]
    );
    assert_eq!(harness.until_open_requested(), SECOND);
}

#[test]
fn a_failing_token_provider_backs_off_instead_of_spinning() {
    let mut harness = Harness::new(config()).with_tokens(|_| Err("identity service down".into()));
    harness.engine.connect(harness.now);
    harness.pump();
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::TokenUnavailable]
    );
    let Some(Status::Error(error)) = harness.statuses().into_iter().nth(1) else {
        panic!("{:?}", harness.statuses())
    };
    let source = std::error::Error::source(&error).expect("the provider's reason");
    assert_eq!(source.to_string(), "identity service down");
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
        TransportEvent::Frame(support::message("x", "c", "ghost", "").to_string()),
    );
    harness.transport(
        old,
        TransportEvent::Closed {
            code: None,
            reason: String::new(),
        },
    );
    assert!(harness.events.is_empty());
    assert_eq!(harness.engine.status(), &Status::Connected);
}

#[test]
fn metrics_keep_the_last_real_close_apart_from_later_failed_attempts() {
    let mut harness = Harness::connected(config());
    harness.advance(20 * SECOND);
    harness.close_connection(Some(1012), "restart");
    harness.until_open_requested();
    harness.fail();
    harness.until_open_requested();
    harness.fail();
    let metrics = harness.engine.metrics(harness.now);
    let close = metrics.last_close.expect("the restart's close");
    assert_eq!((close.code, close.reason.as_str()), (Some(1012), "restart"));
    assert_eq!(
        metrics.last_error.map(|error| error.kind().clone()),
        Some(ConnectionErrorKind::Refused),
        "the latest failure, kept apart"
    );
    assert_eq!(metrics.rtt, None, "no ping answered yet");
    harness.until_open_requested();
    harness.accept();
    harness.advance(5 * SECOND);
    let metrics = harness.engine.metrics(harness.now);
    assert_eq!(metrics.reconnects, 1);
    assert_eq!(
        metrics.time_reconnecting,
        7 * SECOND,
        "1 + 2 + 4 s of backoff"
    );
    assert_eq!(metrics.connected_for, Some(5 * SECOND));
    assert_eq!(metrics.last_close.unwrap().code, Some(1012));
}

#[test]
fn a_close_frame_reaches_the_app_as_a_typed_error() {
    let mut harness = Harness::connected(config());
    harness.close_connection(Some(1011), "oops");
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::Closed {
            code: Some(1011),
            reason: "oops".into()
        }]
    );
    let Some(Status::Error(error)) = harness.statuses().into_iter().next() else {
        panic!()
    };
    assert_eq!(
        error.to_string(),
        "the connection closed with code 1011 (oops)"
    );
}

#[test]
fn settings_that_would_panic_or_spin_are_refused() {
    use niochat_client::dialect::Backend;
    use niochat_client::engine::{ConfigError, Engine};
    let mut zero = config();
    zero.reconnect.initial_delay = Duration::ZERO;
    assert!(matches!(
        Engine::new(zero, Backend::Renum.protocol()),
        Err(ConfigError::Zero { .. })
    ));
    let mut huge = config();
    huge.connect_timeout = Duration::MAX;
    assert!(matches!(
        Engine::new(huge, Backend::Renum.protocol()),
        Err(ConfigError::TooLong { .. })
    ));
    let mut empty = config();
    empty.queue_capacity = 0;
    assert!(Engine::new(empty, Backend::Renum.protocol()).is_err());
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

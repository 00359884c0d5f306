//! Every wait has an end, on a virtual clock, on protocol 001: dead connections (the client
//! pings: silence after a ping is death within interval + timeout, any frame proves life,
//! network hints probe at once), handshakes and token providers that never answer. No sleeps:
//! time moves only through `Harness::advance`.

mod support;

use std::time::Duration;

use niochat_client::{ConnectionErrorKind, Status};
use serde_json::json;
use support::{Harness, SECOND, config};

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
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::KeepAliveTimeout(10 * SECOND)]
    );
    assert!(matches!(
        harness.statuses()[1],
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
        harness.receive(json!({"type": "message", "message": {"id": format!("m{round}"), "conversation_id": "c", "content": "any frame"}}));
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
        harness.error_kinds()[0],
        ConnectionErrorKind::KeepAliveTimeout(_)
    ));
}
#[test]
fn a_handshake_that_never_completes_times_out() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    let attempt = harness.opening.unwrap();
    harness.advance(10 * SECOND);
    assert_eq!(harness.closes, [(attempt, 4000)]);
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::Timeout(10 * SECOND)]
    );
}

#[test]
fn a_socket_whose_session_never_becomes_ready_times_out_too() {
    let mut harness = Harness::new(config());
    harness.engine.connect(harness.now);
    harness.pump();
    harness.advance(3 * SECOND);
    harness.open_socket();
    let socket = harness.live.unwrap();
    harness.advance(7 * SECOND - Duration::from_millis(1));
    assert_eq!(harness.engine.status(), &Status::Connecting);
    harness.advance(Duration::from_millis(1));
    assert_eq!(
        harness.closes,
        [(socket, 4000)],
        "10 s for the socket and the session"
    );
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::Timeout(10 * SECOND)]
    );
}

#[test]
fn a_token_provider_that_never_answers_times_out_into_the_backoff_schedule() {
    let mut harness = Harness::new(config()).with_silent_tokens();
    harness.engine.connect(harness.now);
    harness.pump();
    assert_eq!(harness.token_requests, [false]);
    harness.advance(15 * SECOND);
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::TokenTimeout(15 * SECOND)]
    );
    assert!(matches!(
        harness.engine.status(),
        Status::Reconnecting { attempt: 1, .. }
    ));
    harness.advance(SECOND);
    assert_eq!(
        harness.token_requests,
        [false, false],
        "asked again after the delay"
    );
}

#[test]
fn a_text_frame_over_the_incoming_limit_fails_the_connection_with_a_typed_error() {
    let mut small = config();
    small.max_incoming_bytes = 200;
    let mut harness = Harness::connected(small);
    harness.receive_text("x".repeat(201));
    assert_eq!(harness.closes.len(), 1, "the connection is closed");
    assert!(
        harness
            .error_kinds()
            .contains(&niochat_client::ConnectionErrorKind::FrameTooLarge { max: 200 }),
        "{:?}",
        harness.error_kinds()
    );
    harness.until_open_requested();
    harness.accept();
    assert_eq!(harness.engine.status(), &niochat_client::Status::Connected);
}

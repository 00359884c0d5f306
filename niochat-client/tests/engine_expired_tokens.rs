//! A handshake that fails without the transport saying why (a browser hides HTTP 401/403)
//! while the token has expired by its `exp` claim: taken as a refusal of the credentials, on
//! a virtual clock whose wall-clock time the harness gives with each token.

mod support;

use std::time::Duration;

use niochat_client::{AuthToken, ConnectionErrorKind, Status};
use support::{Harness, SECOND, WALL_CLOCK_START, config};

/// A JWT (unsigned: the engine never verifies) expiring `exp` seconds after the harness's
/// start on the wall clock (negative: before it).
fn jwt_expiring(exp: i64) -> AuthToken {
    let exp = WALL_CLOCK_START as i64 + exp;
    let claims = format!(r#"{{"sub":"agent-7","exp":{exp}}}"#);
    let payload = data_encoding::BASE64URL_NOPAD.encode(claims.as_bytes());
    AuthToken::new(format!("eyJhbGciOiJIUzI1NiJ9.{payload}.c2lnbmF0dXJl"))
}

fn connecting_with(token: AuthToken) -> Harness {
    let mut harness = Harness::new(config()).with_tokens(move |_| Ok(Some(token.clone())));
    harness.engine.connect(harness.now);
    harness.pump();
    harness
}

#[test]
fn an_expired_token_that_cannot_be_refreshed_ends_unauthorized_instead_of_retrying() {
    let mut harness = connecting_with(jwt_expiring(-3600));
    harness.fail_unexplained();
    assert_eq!(harness.error_kinds(), [ConnectionErrorKind::TokenExpired]);
    assert_eq!(
        harness.token_requests,
        [false, true],
        "one refresh, at once"
    );
    assert_eq!(harness.elapsed(), Duration::ZERO);
    // The provider had nothing newer: the same expired token fails the same way.
    harness.fail_unexplained();
    assert_eq!(harness.engine.status(), &Status::Unauthorized);
    assert_eq!(harness.engine.poll_timeout(), None, "no retry loop");
}

#[test]
fn a_refreshed_token_is_tried_and_a_later_unexplained_failure_backs_off_as_usual() {
    let mut harness = Harness::new(config())
        .with_tokens(|refresh| Ok(Some(jwt_expiring(if refresh { 3600 } else { -3600 }))));
    harness.engine.connect(harness.now);
    harness.pump();
    harness.fail_unexplained();
    assert_eq!(harness.token_requests, [false, true]);
    // The fresh token fails too: a server out of reach, not a refusal.
    harness.fail_unexplained();
    assert_eq!(
        harness.error_kinds(),
        [
            ConnectionErrorKind::TokenExpired,
            ConnectionErrorKind::Transport
        ]
    );
    assert!(matches!(
        harness.engine.status(),
        Status::Reconnecting { attempt: 1, .. }
    ));
    assert_eq!(harness.until_open_requested(), SECOND);
}

#[test]
fn a_token_expiring_while_the_server_is_out_of_reach_is_refreshed_once_it_has() {
    // Valid for 30 s more, then the minute's leeway: expired from 90 s on.
    let mut harness = connecting_with(jwt_expiring(30));
    let mut failed_at = Vec::new();
    while harness.token_requests.last() != Some(&true) {
        failed_at.push(harness.elapsed().as_secs());
        harness.fail_unexplained();
        harness.until_open_requested();
    }
    // Backoff at 0, 1, 3, 7, 15, 31 and 63 s; the attempt at 95 s is past the expiry.
    assert_eq!(failed_at, [0, 1, 3, 7, 15, 31, 63, 95]);
    assert_eq!(
        harness.error_kinds().last(),
        Some(&ConnectionErrorKind::TokenExpired)
    );
}

#[test]
fn a_token_expired_within_the_leeway_or_a_failure_the_transport_explains_backs_off() {
    // Expired 30 s ago by this clock: perhaps the clock runs ahead of the server's.
    let mut harness = connecting_with(jwt_expiring(-30));
    harness.fail_unexplained();
    assert_eq!(harness.error_kinds(), [ConnectionErrorKind::Transport]);
    assert_eq!(harness.token_requests, [false]);

    // Long expired, but the connection was refused at TCP: the server is not there.
    let mut harness = connecting_with(jwt_expiring(-3600));
    harness.fail();
    assert_eq!(harness.error_kinds(), [ConnectionErrorKind::Refused]);
    assert_eq!(harness.token_requests, [false]);
}

#[test]
fn an_expired_token_does_not_end_a_connection_that_opened() {
    // The server decides while the socket is open: a drop is a drop.
    let mut harness = connecting_with(jwt_expiring(-3600));
    harness.accept();
    assert_eq!(harness.engine.status(), &Status::Connected);
    harness.drop_connection();
    assert!(matches!(
        harness.engine.status(),
        Status::Reconnecting { .. }
    ));
    assert_eq!(harness.token_requests, [false]);
}

#[test]
fn a_refreshed_token_that_expires_during_a_long_outage_is_refreshed_again() {
    // The provider caches its token; `refresh` issues one valid until two minutes after
    // the start (asked for at once, below).
    let cached = std::rc::Rc::new(std::cell::Cell::new(-3600));
    let mut harness = {
        let cached = cached.clone();
        Harness::new(config()).with_tokens(move |refresh| {
            if refresh {
                cached.set(120);
            }
            Ok(Some(jwt_expiring(cached.get())))
        })
    };
    harness.engine.connect(harness.now);
    harness.pump();
    harness.fail_unexplained(); // expired: refreshed at once
    assert_eq!(harness.token_requests, [false, true]);
    // The server stays out of reach for longer than the refreshed token lives.
    while harness
        .token_requests
        .iter()
        .filter(|refresh| **refresh)
        .count()
        < 2
    {
        harness.fail_unexplained();
        assert_ne!(harness.engine.status(), &Status::Unauthorized);
        harness.until_open_requested();
    }
    assert_eq!(
        harness.error_kinds().last(),
        Some(&ConnectionErrorKind::TokenExpired)
    );
}

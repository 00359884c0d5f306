//! The native client's connection itself against the reference server: tokens refused and
//! refreshed, refused handshakes, TLS with trusted and untrusted certificates, what is checked
//! when a client is built, and how it ends (disconnecting, dropping the last handle). Traffic
//! and faults on an open connection are in `native_client.rs`; which threads do the
//! connection's work, in `native_threads.rs`.

mod support;

use std::time::Duration;

use niochat_client::{
    AuthToken, ClientBuilder, CommandError, ConnectionErrorKind, Event, MessageState, Refused,
    Status, TokenError,
};
use niochat_testkit::TestServer;
use support::{
    builder, connected, eventually, join, messages, next_error, next_matching, wait_status,
};

#[tokio::test]
async fn a_refused_token_ends_in_unauthorized_without_a_retry_loop() {
    let server = TestServer::start().await;
    let expired = server.expired_token("alice");
    let client = ClientBuilder::new(server.url())
        .token_provider(move |_refresh| {
            let expired = expired.clone();
            async move { Ok::<_, TokenError>(AuthToken::new(expired)) }
        })
        .build()
        .unwrap();
    client.connect();
    wait_status(&client, |status| *status == Status::Unauthorized).await;
    assert_eq!(server.handshakes(), 2, "the first try and one refresh");
    let metrics = client.metrics().await.unwrap();
    assert_eq!(
        metrics.last_error.map(|error| error.kind().clone()),
        Some(ConnectionErrorKind::HttpStatus(403))
    );
    assert_eq!(metrics.last_close, None, "no connection was ever open");
    // Nothing waits for a connection that will not come.
    let waiting = client.send_message("c1", "anyone?").await;
    assert!(
        matches!(
            waiting,
            Err(CommandError::Delivery(
                niochat_client::DeliveryError::NotDelivered {
                    message: Some(_),
                    reason: niochat_client::StopReason::Unauthorized,
                    still_queued: true
                }
            ))
        ),
        "{waiting:?}"
    );
    assert_eq!(server.handshakes(), 2);
}

#[tokio::test]
async fn a_refreshed_token_gets_in_after_a_refusal() {
    let server = TestServer::start().await;
    let (expired, fresh) = (server.expired_token("alice"), server.token_for("alice"));
    let client = ClientBuilder::new(server.url())
        .token_provider(move |refresh: bool| {
            let token = if refresh {
                fresh.clone()
            } else {
                expired.clone()
            };
            async move { Ok::<_, TokenError>(AuthToken::new(token)) }
        })
        .build()
        .unwrap();
    let mut events = client.events();
    client.connect();
    let session = next_matching(&mut events, |event| match event {
        Event::Session(session) => Some(session.clone()),
        _ => None,
    })
    .await;
    assert_eq!(session.user_id, Some("alice".into()));
}

#[tokio::test]
async fn refused_handshakes_are_retried_with_backoff() {
    let server = TestServer::start().await;
    server.refuse_next_handshakes(2, 503);
    let client = builder(&server, "alice").build().unwrap();
    let mut events = client.events();
    client.connect();
    let refused = next_error(&mut events).await;
    assert_eq!(refused.kind(), &ConnectionErrorKind::HttpStatus(503));
    wait_status(&client, |status| *status == Status::Connected).await;
    assert_eq!(server.handshakes(), 3);
}

#[tokio::test]
async fn graceful_disconnect_closes_and_never_reconnects() {
    let server = TestServer::start().await;
    let (alice, _events) = connected(builder(&server, "alice")).await;
    alice.disconnect().await;
    assert_eq!(alice.status(), Status::Disconnected);
    eventually("the server sees the close", || server.connections() == 0).await;
    // A queued message waits for the next connect() rather than reconnecting by itself.
    let queued = alice.queue_message("c1", "later").await.unwrap();
    assert_eq!(server.handshakes(), 1);
    let mut events = alice.events();
    alice.connect();
    let acknowledged = next_matching(&mut events, |event| match event {
        Event::Outgoing {
            id,
            state: MessageState::Acknowledged(_),
            ..
        } if *id == queued => Some(()),
        _ => None,
    });
    acknowledged.await;
}

#[tokio::test]
async fn dropping_the_last_handle_closes_the_connection_and_ends_the_streams() {
    let server = TestServer::start().await;
    let (alice, mut events) = connected(builder(&server, "alice")).await;
    let clone = alice.clone();
    drop(alice);
    assert_eq!(server.connections(), 1, "a clone keeps it alive");
    drop(clone);
    eventually("the server sees the close", || server.connections() == 0).await;
    let ended = tokio::time::timeout(support::PATIENCE, async {
        while events.next().await.is_some() {}
    });
    ended.await.expect("the event stream ends with the driver");
}

/// The driver from `build_with_driver`, run in the test's own task beside the app's code
/// (on the test's one thread): the client connects, joins, sends and receives, and the
/// driver ends once the last handle is gone.
#[tokio::test]
async fn a_driver_run_in_the_apps_task_carries_the_client_and_ends_with_its_last_handle() {
    let server = TestServer::start().await;
    let (bob, mut bob_events) = connected(builder(&server, "bob")).await;
    join(&bob, "c1").await;
    let (alice, driver) = builder(&server, "alice")
        .build_with_driver()
        .expect("builds");
    let app = async {
        let mut events = alice.events();
        alice.connect();
        join(&alice, "c1").await;
        let ack = alice.send_message("c1", "from alice").await.expect("acked");
        bob.send_message("c1", "from bob").await.expect("acked");
        let from_bob = next_matching(&mut events, |event| match event {
            Event::Message { message, .. } if message.user_id == Some("bob".into()) => {
                message.content.text().map(str::to_owned)
            }
            _ => None,
        });
        assert_eq!(from_bob.await, "from bob");
        let at_bob = next_matching(&mut bob_events, |event| match event {
            Event::Message { message, .. } if message.user_id == Some("alice".into()) => {
                Some(message.id.clone())
            }
            _ => None,
        });
        assert_eq!(at_bob.await, ack.message_id);
        assert_eq!(server.connections(), 2);
        drop(alice); // the last handle: the driver closes the connection and ends
    };
    let both = tokio::time::timeout(support::PATIENCE, async { tokio::join!(app, driver) });
    both.await.expect("the driver ends after the last handle");
    eventually("the server sees alice's close", || {
        server.connections() == 1
    })
    .await;
}

/// A driver dropped without running drops the client's core with it: commands fail as
/// `Closed` instead of waiting forever, and streams end.
#[tokio::test]
async fn commands_of_a_client_whose_driver_was_dropped_fail_as_closed() {
    let server = TestServer::start().await;
    let (client, driver) = builder(&server, "alice").build_with_driver().unwrap();
    let mut events = client.events();
    drop(driver);
    let sent = client.send_message("c1", "hello").await;
    assert_eq!(sent.unwrap_err(), CommandError::Refused(Refused::Closed));
    assert!(events.next().await.is_none(), "the stream ends");
}

#[tokio::test]
async fn wss_endpoints_use_tls_and_fail_with_a_typed_error_against_a_plain_server() {
    let server = TestServer::start().await;
    let client = ClientBuilder::new(format!("wss://{}/ws", server.address()))
        .token(server.token_for("alice"))
        .build()
        .unwrap();
    let mut events = client.events();
    client.connect();
    let error = next_error(&mut events).await;
    assert_eq!(error.kind(), &ConnectionErrorKind::Tls, "{error:?}");
}

#[test]
fn endpoints_settings_and_a_runtime_are_checked_at_build() {
    use niochat_client::BuildError;
    assert_eq!(
        ClientBuilder::new("http://x/ws").build().unwrap_err(),
        BuildError::InvalidEndpoint
    );
    assert_eq!(
        ClientBuilder::new("ws://x/ws").build().unwrap_err(),
        BuildError::NoRuntime
    );
    // Settings that would panic or spin are refused before anything runs.
    let zero_queue = ClientBuilder::new("ws://x/ws").queue_capacity(0).build();
    assert!(
        matches!(zero_queue, Err(BuildError::InvalidConfig(_))),
        "{zero_queue:?}"
    );
    let forever = ClientBuilder::new("ws://x/ws")
        .ack_timeout(Duration::MAX)
        .build();
    assert!(
        matches!(forever, Err(BuildError::InvalidConfig(_))),
        "{forever:?}"
    );
}

#[tokio::test]
async fn wss_with_a_trusted_private_certificate_carries_the_conversation() {
    let server = TestServer::start_tls().await;
    assert!(server.url().starts_with("wss://localhost:"));
    let trusted =
        |user: &str| builder(&server, user).add_root_certificate(server.certificate_der().unwrap());
    let (alice, _alice_events) = connected(trusted("alice")).await;
    let (bob, mut bob_events) = connected(trusted("bob")).await;
    join(&alice, "c1").await;
    join(&bob, "c1").await;
    alice
        .send_message("c1", "over TLS")
        .await
        .expect("acknowledged");
    assert_eq!(messages(&mut bob_events, 1).await, ["over TLS"]);
}

#[tokio::test]
async fn wss_refuses_an_untrusted_certificate_with_a_typed_error() {
    let server = TestServer::start_tls().await;
    let client = builder(&server, "alice").build().unwrap();
    let mut events = client.events();
    client.connect();
    let error = next_error(&mut events).await;
    assert_eq!(error.kind(), &ConnectionErrorKind::Tls);
    let reason = std::error::Error::source(&error)
        .expect("the TLS error")
        .to_string();
    assert!(reason.contains("certificate"), "{reason}");
    assert_eq!(server.connections(), 0);
}

#[test]
fn a_garbage_root_certificate_is_a_build_error() {
    use niochat_client::BuildError;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let built = ClientBuilder::new("wss://x/ws")
        .add_root_certificate(vec![1, 2, 3])
        .build();
    assert!(matches!(built, Err(BuildError::InvalidCertificate(_))));
}

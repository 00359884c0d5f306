//! Tokens never appear in logs, `Debug` output or errors: every log line at TRACE level is
//! captured while a client connects, is refused, reconnects and fails, and searched.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use niochat_client::{AuthToken, ClientBuilder, Event, Status, TokenError};
use niochat_testkit::TestServer;
use support::{next_matching, wait_status};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures every log line at TRACE level on this thread (the test's runtime) until dropped.
fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Neither token, nor its signature on its own, appears in `everything`.
fn assert_no_token(everything: &str, tokens: &[&String]) {
    for token in tokens {
        assert!(
            !everything.contains(token.as_str()),
            "a token leaked:\n{everything}"
        );
        let signature = token.rsplit('.').next().unwrap();
        assert!(!everything.contains(signature), "a signature leaked");
    }
}

#[tokio::test]
async fn tokens_stay_out_of_logs_debug_output_and_errors() {
    let (captured, _guard) = capture_logs();

    let server = TestServer::start().await;
    let (expired, fresh) = (server.expired_token("alice"), server.token_for("alice"));
    let tokens = [expired.clone(), fresh.clone()];
    let builder = ClientBuilder::new(server.url()).token_provider(move |refresh: bool| {
        let token = tokens[usize::from(refresh)].clone();
        async move { Ok::<_, TokenError>(AuthToken::new(token)) }
    });
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let mut events = client.events();
    client.connect();
    wait_status(&client, |status| *status == Status::Connected).await;
    server.drop_all_connections();
    let mut seen = Vec::new();
    next_matching(&mut events, |event| {
        seen.push(format!("{event:?}"));
        (*event == Event::Status(Status::Connected) && seen.len() > 3).then_some(())
    })
    .await;
    let metrics = client.metrics().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("token=***"),
        "the URL is logged, redacted:\n{logs}"
    );
    let everything = format!(
        "{logs}\n{builder_debug}\n{client:?}\n{metrics:?}\n{}",
        seen.join("\n")
    );
    assert_no_token(&everything, &[&expired, &fresh]);
    assert_eq!(
        format!("{:?}", AuthToken::new(fresh.clone())),
        "AuthToken(***)"
    );
}

#[tokio::test]
async fn socket_io_tokens_travel_in_a_frame_and_still_never_print() {
    let server = niochat_testkit::PyTakeServer::start().await;
    let (expired, fresh) = (server.expired_token("alice"), server.token_for("alice"));
    let builder = ClientBuilder::new(server.url())
        .backend(niochat_client::Backend::PyTake)
        .token_provider(provider([expired.clone(), fresh.clone()]));
    full_cycle(builder, &[&expired, &fresh], true, |_| {
        server.disconnect_all()
    })
    .await;
}

/// A provider that gives `tokens[0]` first and `tokens[1]` when asked to refresh.
fn provider(tokens: [String; 2]) -> impl niochat_client::TokenProvider {
    move |refresh: bool| {
        let token = tokens[usize::from(refresh)].clone();
        async move { Ok::<_, TokenError>(AuthToken::new(token)) }
    }
}

/// Connects (through a refusal and a refresh where the backend refuses), lets `cut` drop the
/// connection, waits for the reconnect, and checks that no token appears anywhere.
async fn full_cycle<F: std::future::Future<Output = ()>>(
    builder: ClientBuilder,
    tokens: &[&String],
    refused_first: bool,
    cut: impl FnOnce(&niochat_client::Client) -> F,
) {
    let (captured, _guard) = capture_logs();
    let builder_debug = format!("{builder:?}");
    let client = builder.build().unwrap();
    let mut events = client.events();
    client.connect();
    let mut seen = Vec::new();
    next_matching(&mut events, |event| {
        seen.push(format!("{event:?}"));
        (*event == Event::Status(Status::Connected)).then_some(())
    })
    .await;
    cut(&client).await;
    next_matching(&mut events, |event| {
        seen.push(format!("{event:?}"));
        (*event == Event::Status(Status::Connected)).then_some(())
    })
    .await;
    if refused_first {
        assert!(
            seen.iter()
                .any(|event| event.contains("AuthRefused") || event.contains("403")),
            "the first token was refused: {seen:?}"
        );
    }
    let metrics = client.metrics().await.unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.is_empty(), "TRACE logs were captured");
    let everything = format!(
        "{logs}\n{builder_debug}\n{client:?}\n{metrics:?}\n{}",
        seen.join("\n")
    );
    assert_no_token(&everything, tokens);
}

#[tokio::test]
async fn conectcrm_tokens_never_print_through_a_refusal_a_refresh_and_a_reconnect() {
    let server = niochat_testkit::ConectCrmServer::start().await;
    let (expired, fresh) = (server.expired_token("agent-1"), server.token_for("agent-1"));
    let builder = ClientBuilder::new(server.url())
        .backend(niochat_client::Backend::ConectCrm)
        .token_provider(provider([expired.clone(), fresh.clone()]));
    full_cycle(builder, &[&expired, &fresh], true, |_| {
        server.disconnect_all()
    })
    .await;
}

#[tokio::test]
async fn niochat_keys_never_print_through_a_refusal_a_refresh_and_a_reconnect() {
    use niochat_client::dialect::niochat::{Endpoint, NioChat};
    let server = niochat_testkit::NioChatServer::start().await;
    let (bad, good) = ("0".repeat(40), server.token_for(2).await);
    let builder = ClientBuilder::new(server.url())
        .backend(niochat_client::Backend::NioChat(NioChat::new(
            Endpoint::UserStatus,
        )))
        .token_provider(provider([bad.clone(), good.clone()]))
        .configure(|config| {
            config.reconnect.initial_delay = std::time::Duration::from_millis(20);
        });
    // NioChat refuses with 403 at the handshake; the refreshed key is let in; then the app
    // asks for a fresh connection.
    full_cycle(builder, &[&bad, &good], true, |client| {
        client.reconnect();
        async {}
    })
    .await;
}

#[tokio::test]
async fn pytake_go_tokens_in_the_auth_frame_never_print_through_a_reconnect() {
    use niochat_client::dialect::pytake_go::PyTakeGo;
    let server = niochat_testkit::PyTakeGoServer::start().await;
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2VjcmV0LXNpZ25hdHVyZQ".to_owned();
    let builder = ClientBuilder::new(server.url())
        .backend(niochat_client::Backend::PyTakeGo(PyTakeGo {
            user_id: Some("agent".into()),
        }))
        .token(token.clone())
        .configure(|config| {
            config.reconnect.initial_delay = std::time::Duration::from_millis(20);
        });
    full_cycle(builder, &[&token], false, |_| async {
        server.drop_all_connections();
    })
    .await;
}

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
    let (captured, _guard) = capture_logs();
    let server = niochat_testkit::PyTakeServer::start().await;
    let (expired, fresh) = (server.expired_token("alice"), server.token_for("alice"));
    let tokens = [expired.clone(), fresh.clone()];
    let client = ClientBuilder::new(server.url())
        .backend(niochat_client::Backend::PyTake)
        .token_provider(move |refresh: bool| {
            let token = tokens[usize::from(refresh)].clone();
            async move { Ok::<_, TokenError>(AuthToken::new(token)) }
        })
        .build()
        .unwrap();
    let mut events = client.events();
    client.connect();
    let mut seen = Vec::new();
    next_matching(&mut events, |event| {
        seen.push(format!("{event:?}"));
        (*event == Event::Status(Status::Connected)).then_some(())
    })
    .await;
    server.disconnect_all().await;
    next_matching(&mut events, |event| {
        seen.push(format!("{event:?}"));
        (*event == Event::Status(Status::Connected)).then_some(())
    })
    .await;
    let metrics = client.metrics().await.unwrap();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        seen.iter().any(|event| event.contains("AuthRefused")),
        "{seen:?}"
    );
    let everything = format!("{logs}\n{client:?}\n{metrics:?}\n{}", seen.join("\n"));
    assert_no_token(&everything, &[&expired, &fresh]);
}

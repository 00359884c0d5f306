//! Hostile servers at the transport level, each with the typed outcome the client must give
//! and nothing lost: a server that never answers the handshake, one that answers `101` and
//! then nothing, one that closes in the middle of a frame, and an HTTP redirect. (Malformed
//! and unknown frames, binary frames, frames over the limit, a huge sync answer and an
//! untrusted certificate are in `native_client`, `native_connection` and `recovery`.)

mod support;

use std::time::Duration;

use niochat_client::{ClientBuilder, ConnectionErrorKind, Status};
use niochat_testkit::{ChaosProxy, TestServer};
use support::{reconnecting_quickly, wait_status};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A server on 127.0.0.1 that handles every connection with `serve`.
async fn raw_server<F, Fut>(serve: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    format!("ws://{address}/ws")
}

fn client(url: &str) -> ClientBuilder {
    reconnecting_quickly(ClientBuilder::new(url).token("t"))
        .connect_timeout(Duration::from_millis(300))
}

async fn first_error(builder: ClientBuilder) -> (niochat_client::Client, ConnectionErrorKind) {
    let client = builder.build().expect("builds");
    client.connect();
    let status = wait_status(&client, |status| matches!(status, Status::Error(_))).await;
    let Status::Error(error) = status else {
        unreachable!("waited for an error")
    };
    (client, error.kind().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_the_handshake_times_out_and_the_client_retries() {
    let url = raw_server(|mut stream| async move {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let (client, kind) = first_error(client(&url)).await;
    assert_eq!(
        kind,
        ConnectionErrorKind::Timeout(Duration::from_millis(300))
    );
    wait_status(&client, |status| {
        matches!(status, Status::Reconnecting { .. })
    })
    .await;
    let queued = client.queue_message("c", "kept").await;
    assert!(queued.is_ok(), "messages still queue: {queued:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answers_101_then_nothing_times_out_in_the_session_handshake() {
    let url = raw_server(|stream| async move {
        if let Ok(_socket) = tokio_tungstenite::accept_async(stream).await {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let (client, kind) = first_error(client(&url)).await;
    assert_eq!(
        kind,
        ConnectionErrorKind::Timeout(Duration::from_millis(300))
    );
    assert_ne!(client.status(), Status::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_closed_in_the_middle_of_a_frame_is_a_transport_failure_and_recovers() {
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address())
        .await
        .expect("a port for the chaos proxy");
    // The 101 answer is about 130 bytes; 150 lands inside the `connected` frame.
    proxy.cut_after_bytes(Some(150));
    let url = format!("{}/ws", proxy.ws_url());
    let builder = reconnecting_quickly(ClientBuilder::new(url).token(server.token_for("mid")));
    let (client, kind) = first_error(builder).await;
    assert!(
        matches!(
            kind,
            ConnectionErrorKind::Transport | ConnectionErrorKind::Closed { .. }
        ),
        "{kind:?}"
    );
    proxy.cut_after_bytes(None);
    wait_status(&client, |status| *status == Status::Connected).await;
    let ack = client.send_message("mid-frame", "after the cut").await;
    assert!(ack.is_ok(), "{ack:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_redirect_is_a_typed_error_not_followed() {
    let url = raw_server(|mut stream| async move {
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request).await;
        let answer = "HTTP/1.1 301 Moved Permanently\r\nLocation: ws://127.0.0.1:9/elsewhere\r\nContent-Length: 0\r\n\r\n";
        let _ = stream.write_all(answer.as_bytes()).await;
    })
    .await;
    let (client, kind) = first_error(client(&url)).await;
    assert_eq!(kind, ConnectionErrorKind::HttpStatus(301));
    wait_status(&client, |status| {
        matches!(status, Status::Reconnecting { .. })
    })
    .await;
}

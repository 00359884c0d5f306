//! The chaos proxy's faults, each against the reference server and a real client: what the
//! proxy does is what the client must survive (the soak run combines them at random).

mod support;

use std::time::Duration;

use niochat_client::{ClientBuilder, ConnectionErrorKind, Status};
use niochat_testkit::{ChaosProxy, TestServer};
use support::{connected, reconnecting_quickly, wait_status};

fn through(proxy: &ChaosProxy, server: &TestServer, user: &str) -> ClientBuilder {
    let url = format!("{}/ws", proxy.ws_url());
    reconnecting_quickly(ClientBuilder::new(url).token(server.token_for(user)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_is_a_reset_and_the_client_comes_back_with_nothing_lost() {
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address())
        .await
        .expect("a port for the chaos proxy");
    let (client, _events) = connected(through(&proxy, &server, "cut")).await;
    client.join("chaos-cut").await.expect("joined");
    proxy.cut_all();
    wait_status(&client, |status| !matches!(status, Status::Connected)).await;
    let ack = client.send_message("chaos-cut", "after the cut").await;
    assert!(ack.is_ok(), "{ack:?}");
    assert_eq!(server.messages("chaos-cut").len(), 1);
    assert_eq!(proxy.counts().cuts, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_open_connection_is_found_by_keep_alive() {
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address())
        .await
        .expect("a port for the chaos proxy");
    let builder = through(&proxy, &server, "frozen")
        .keep_alive(Duration::from_millis(200), Duration::from_millis(200));
    let (client, _events) = connected(builder).await;
    proxy.half_open_all();
    let lost = wait_status(&client, |status| matches!(status, Status::Error(_))).await;
    let Status::Error(error) = lost else {
        unreachable!("waited for an error")
    };
    assert!(
        matches!(error.kind(), ConnectionErrorKind::KeepAliveTimeout(_)),
        "{error}"
    );
    wait_status(&client, |status| *status == Status::Connected).await;
    assert_eq!(proxy.counts().half_opens, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_keep_the_client_trying_until_the_proxy_lets_it_in() {
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address())
        .await
        .expect("a port for the chaos proxy");
    proxy.refuse_new(true);
    let client = through(&proxy, &server, "refused").build().expect("builds");
    client.connect();
    wait_status(&client, |status| {
        matches!(status, Status::Reconnecting { attempt: 2, .. })
    })
    .await;
    proxy.refuse_new(false);
    wait_status(&client, |status| *status == Status::Connected).await;
    assert!(proxy.counts().refused >= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_after_a_few_frames_lands_mid_stream_and_nothing_is_lost() {
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address())
        .await
        .expect("a port for the chaos proxy");
    // The handshake's 101 is not a frame; `connected` and the join answer are two.
    proxy.cut_after_frames(Some(3));
    let (client, _events) = connected(through(&proxy, &server, "frames")).await;
    client.join("chaos-frames").await.expect("joined");
    proxy.cut_after_frames(None);
    for n in 0..5 {
        let ack = client.send_message("chaos-frames", format!("m{n}")).await;
        assert!(ack.is_ok(), "{ack:?}");
    }
    let stored: Vec<String> = server
        .messages("chaos-frames")
        .iter()
        .map(|message| message.content.text().unwrap_or_default().to_owned())
        .collect();
    let mut unique = stored.clone();
    unique.dedup();
    assert_eq!(unique, ["m0", "m1", "m2", "m3", "m4"], "stored: {stored:?}");
    assert!(proxy.counts().cuts >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_and_throttled_link_delivers_everything_in_order() {
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address())
        .await
        .expect("a port for the chaos proxy");
    proxy.set_delay(Duration::from_millis(20));
    proxy.set_throttle(Some(20_000));
    let (client, _events) = connected(through(&proxy, &server, "slow")).await;
    let sends: Vec<_> = (0..10)
        .map(|n| client.send_message("chaos-slow", format!("slow {n} {}", "x".repeat(1_000))))
        .collect();
    for ack in futures_util::future::join_all(sends).await {
        assert!(ack.is_ok(), "{ack:?}");
    }
    let order: Vec<String> = server
        .messages("chaos-slow")
        .iter()
        .map(|message| message.content.text().unwrap_or_default()[..7].to_owned())
        .collect();
    let expected: Vec<String> = (0..10).map(|n| format!("slow {n} ")).collect();
    assert_eq!(order, expected);
}

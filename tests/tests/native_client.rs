//! The native client against the reference server: real sockets on 127.0.0.1, real faults —
//! messages across drops, restarts and half-open connections, malformed and oversized frames,
//! pings, typing and receipts, stalled peers and writes. How a connection is opened,
//! authenticated, secured and ended is in `native_connection.rs`.

mod support;

use std::time::Duration;

use niochat_client::{
    CommandError, ConnectionErrorKind, Event, MessageState, Origin, Refused, Status,
};
use niochat_testkit::TestServer;
use support::{
    builder, connected, eventually, join, messages, next_error, next_matching, wait_status,
};

#[tokio::test]
async fn two_clients_exchange_messages_with_server_ids() {
    let server = TestServer::start().await;
    let [(alice, _), (_bob, mut bob_events)] = support::pair_in_room(&server, "c1").await;
    let ack = alice
        .send_message("c1", "hello bob")
        .await
        .expect("acknowledged");
    let received = next_matching(&mut bob_events, |event| match event {
        Event::Message {
            message,
            origin: Origin::Live,
        } => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(received.id, ack.message_id);
    assert_eq!(received.content.text(), Some("hello bob"));
    assert_eq!(received.user_id, Some("alice".into()));
    assert!(
        received.created_at.unwrap().to_utc().is_some(),
        "naive server timestamps parse"
    );
    assert_eq!(server.messages("c1").len(), 1);
}

#[tokio::test]
async fn messages_sent_while_the_server_dropped_everyone_arrive_once_in_order_with_acks() {
    let server = TestServer::start().await;
    let [(alice, mut alice_events), (_bob, mut bob_events)] =
        support::pair_in_room(&server, "c1").await;
    alice.send_message("c1", "before").await.unwrap();
    assert_eq!(messages(&mut bob_events, 1).await, ["before"]);

    server.drop_all_connections();
    wait_status(&alice, |status| *status != Status::Connected).await;
    // Queued when called: awaiting the answers last first changes nothing.
    let sends: Vec<_> = (1..=5)
        .map(|n| alice.send_message("c1", format!("offline {n}")))
        .collect();
    let mut acks = futures_util::future::join_all(sends.into_iter().rev()).await;
    acks.reverse();
    let mut server_ids = Vec::new();
    for ack in acks {
        server_ids.push(ack.expect("every message is acknowledged").message_id);
    }
    alice.send_message("c1", "sentinel").await.unwrap();

    let received = messages(&mut bob_events, 6).await;
    assert_eq!(
        received,
        [
            "offline 1",
            "offline 2",
            "offline 3",
            "offline 4",
            "offline 5",
            "sentinel"
        ]
    );
    let stored: Vec<String> = server
        .messages("c1")
        .iter()
        .map(|message| message.content.text().unwrap().to_owned())
        .collect();
    assert_eq!(stored[0], "before");
    assert_eq!(
        stored[1..],
        received,
        "stored once each, in the order Bob saw them"
    );
    server_ids.dedup();
    assert_eq!(server_ids.len(), 5, "five distinct acknowledgements");
    let metrics = alice.metrics().await.unwrap();
    assert!(
        metrics.reconnects >= 1 && metrics.queue_depth == 0,
        "{metrics:?}"
    );
    // Each offline message was acknowledged exactly once, with its own server id.
    let acknowledged: Vec<_> = support::drain(&mut alice_events)
        .into_iter()
        .filter_map(|event| match event {
            Event::Outgoing {
                state: MessageState::Acknowledged(ack),
                ..
            } => Some(ack.message_id),
            _ => None,
        })
        .collect();
    for id in &server_ids {
        assert_eq!(
            acknowledged.iter().filter(|acked| *acked == id).count(),
            1,
            "{id:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_go_out_in_the_order_of_the_calls_however_their_futures_run() {
    let server = TestServer::start().await;
    let [(alice, _), (_bob, mut bob_events)] = support::pair_in_room(&server, "c1").await;
    let answers: Vec<_> = (1..=20)
        .map(|n| alice.send_message("c1", format!("m{n:02}")))
        .collect();
    // Each in its own task, spawned last first, on two worker threads: a lazy future would
    // be queued in whatever order the tasks happen to run.
    let tasks: Vec<_> = answers.into_iter().rev().map(tokio::spawn).collect();
    for task in tasks {
        task.await.unwrap().expect("acknowledged");
    }
    let expected: Vec<String> = (1..=20).map(|n| format!("m{n:02}")).collect();
    assert_eq!(messages(&mut bob_events, 20).await, expected);
    let stored: Vec<String> = server
        .messages("c1")
        .iter()
        .map(|message| message.content.text().unwrap().to_owned())
        .collect();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn a_half_open_connection_is_detected_and_recovered() {
    let server = TestServer::start().await;
    let quick_keepalive = builder(&server, "alice")
        .keep_alive(Duration::from_millis(150), Duration::from_millis(250));
    let (alice, mut events) = connected(quick_keepalive).await;
    server.freeze();
    let error = next_error(&mut events).await;
    assert_eq!(
        error.kind(),
        &ConnectionErrorKind::KeepAliveTimeout(Duration::from_millis(250))
    );
    server.thaw();
    wait_status(&alice, |status| *status == Status::Connected).await;
    alice
        .send_message("c1", "after recovery")
        .await
        .expect("works again");
}

#[tokio::test]
async fn after_a_server_restart_missed_messages_are_recovered_by_sync() {
    let server = TestServer::start().await;
    let (bob, mut bob_events) = connected(builder(&server, "bob")).await;
    join(&bob, "c1").await;
    server.post_message("c1", "alice", "seen before");
    assert_eq!(messages(&mut bob_events, 1).await, ["seen before"]);

    server.stop().await;
    wait_status(&bob, |status| matches!(status, Status::Reconnecting { .. })).await;
    server.post_message("c1", "alice", "missed 1");
    server.post_message("c1", "alice", "missed 2");
    server.resume().await;

    let recovered = next_matching(&mut bob_events, |event| match event {
        Event::Message {
            message,
            origin: Origin::Sync,
        } => message.content.text().map(str::to_owned),
        _ => None,
    })
    .await;
    assert_eq!(recovered, "missed 1");
    assert_eq!(messages(&mut bob_events, 1).await, ["missed 2"]);
    server.post_message("c1", "alice", "live again");
    assert_eq!(
        messages(&mut bob_events, 1).await,
        ["live again"],
        "re-joined: live messages flow, no repeats"
    );
}

#[tokio::test]
async fn malformed_frames_are_reported_and_the_connection_stays_up() {
    let server = TestServer::start().await;
    let (alice, mut events) = connected(builder(&server, "alice")).await;
    server.send_malformed_to_all();
    server.send_raw_to_all(r#"{"type":"reaction","emoji":"🎉"}"#);
    let malformed = next_matching(&mut events, |event| match event {
        Event::Malformed(error) => Some(error.raw().to_owned()),
        _ => None,
    })
    .await;
    assert_eq!(malformed, "{this is not json");
    next_matching(&mut events, |event| {
        matches!(event, Event::Unknown(frame) if frame.raw["emoji"] == "🎉").then_some(())
    })
    .await;
    alice
        .send_message("c1", "still here")
        .await
        .expect("the connection survived");
    assert_eq!(alice.status(), Status::Connected);
    assert_eq!(server.handshakes(), 1);
}

#[tokio::test]
async fn frames_over_the_size_limit_are_refused_both_ways() {
    let server = TestServer::start().await;
    let (alice, mut events) = connected(builder(&server, "alice").frame_limits(1024, 2048)).await;
    let too_big = alice.send_message("c1", "x".repeat(2000)).await;
    assert!(
        matches!(
            too_big,
            Err(CommandError::Refused(Refused::TooLarge { max: 1024, .. }))
        ),
        "{too_big:?}"
    );
    server.send_raw_to_all(&format!(r#"{{"type":"x","pad":"{}"}}"#, "y".repeat(4096)));
    assert_eq!(
        next_error(&mut events).await.kind(),
        &ConnectionErrorKind::FrameTooLarge { max: 2048 }
    );
    wait_status(&alice, |status| *status == Status::Connected).await;
}

#[tokio::test]
async fn websocket_pings_from_the_server_are_answered() {
    let server = TestServer::start().await;
    let (_alice, _events) = connected(builder(&server, "alice")).await;
    server.ping_all();
    eventually("the client answers the ping with a pong", || {
        server.pongs() == 1
    })
    .await;
}

#[tokio::test]
async fn typing_read_receipts_presence_and_pings_travel_between_real_clients() {
    use niochat_client::PresenceStatus;
    let server = TestServer::start().await;
    let [(alice, _), (bob, mut bob_events)] = support::pair_in_room(&server, "c1").await;
    alice.set_typing("c1", true).await.unwrap();
    let typing = next_matching(&mut bob_events, |event| match event {
        Event::Typing(typing) => Some(typing.clone()),
        _ => None,
    })
    .await;
    assert_eq!((typing.user_id, typing.is_typing), ("alice".into(), true));

    let ack = alice.send_message("c1", "read me").await.unwrap();
    // The real server acknowledges presence and never broadcasts it.
    alice.set_presence(PresenceStatus::Away).await.unwrap();

    let mut alice_events = alice.events();
    bob.mark_read("c1", ack.message_id.clone()).await.unwrap();
    let receipt = next_matching(&mut alice_events, |event| match event {
        Event::Read(receipt) => Some(receipt.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (receipt.user_id, receipt.message_id),
        ("bob".into(), ack.message_id)
    );

    let rtt = alice.ping().await.unwrap();
    assert!(rtt < support::PATIENCE);
    assert_eq!(alice.metrics().await.unwrap().rtt, Some(rtt));
}

/// Sends `count` large messages to `c1` at once, in a task of their own.
fn send_large(
    client: &niochat_client::Client,
    count: usize,
) -> tokio::task::JoinHandle<Vec<Result<niochat_client::MessageAck, CommandError>>> {
    let client = client.clone();
    let body = "x".repeat(200_000);
    tokio::spawn(async move {
        let sends = (0..count).map(|n| client.send_message("c1", format!("{n} {body}")));
        futures_util::future::join_all(sends).await
    })
}

#[tokio::test]
async fn a_peer_that_stops_reading_stalls_no_timer_and_loses_nothing() {
    let server = TestServer::start().await;
    let quick = builder(&server, "alice")
        .keep_alive(Duration::from_millis(150), Duration::from_millis(250));
    let (alice, mut events) = connected(quick).await;
    join(&alice, "c1").await;
    // 12 MB for a server that reads nothing: the socket fills and writes wait, while the
    // keep-alive goes on and finds the peer dead.
    server.freeze();
    let sends = send_large(&alice, 60);
    let error = next_error(&mut events).await;
    assert_eq!(
        error.kind(),
        &ConnectionErrorKind::KeepAliveTimeout(Duration::from_millis(250))
    );
    server.thaw();
    for ack in sends.await.unwrap() {
        ack.expect("acknowledged after the reconnect");
    }
    let stored = server.messages("c1");
    let mut numbers: Vec<usize> = stored
        .iter()
        .filter_map(|message| message.content.text()?.split(' ').next()?.parse().ok())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(
        numbers,
        (0..60).collect::<Vec<_>>(),
        "every message, stored"
    );
}

#[tokio::test]
async fn a_write_stalled_past_the_write_timeout_replaces_the_connection() {
    let server = TestServer::start().await;
    let (alice, mut events) = connected(builder(&server, "alice").configure(|config| {
        // The write timeout is the connect timeout; keep-alive is left at 30 s.
        config.connect_timeout = Duration::from_millis(300);
    }))
    .await;
    join(&alice, "c1").await;
    server.freeze();
    let sends = send_large(&alice, 60);
    let error = next_error(&mut events).await;
    assert_eq!(error.kind(), &ConnectionErrorKind::Transport, "{error}");
    server.thaw();
    for ack in sends.await.unwrap() {
        ack.expect("acknowledged after the reconnect");
    }
}

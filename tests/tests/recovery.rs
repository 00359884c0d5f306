//! The defects found against the real protocol-001 server and in chaos runs, each reproduced
//! against the reference server on 127.0.0.1: answers matched in order whatever their code,
//! lost acknowledgements, sync answers too large to receive, the last close kept apart.

mod support;

use niochat_client::dialect::Rejection;
use niochat_client::model::ErrorCode;
use niochat_client::{
    CommandError, ConnectionErrorKind, DeliveryError, Event, GapReason, Id, Refused, Status,
};
use niochat_testkit::TestServer;
use support::{builder, connected, join, messages, next_matching, wait_status};

#[tokio::test]
async fn an_error_answer_settles_its_own_message_and_the_next_three_get_their_own_ids() {
    let server = TestServer::start().await;
    let [(alice, _), _bob] = support::pair_in_room(&server, "c1").await;
    // The real server answers an empty message with VALIDATION_ERROR; the client now refuses
    // empty ones itself, so the server is told to answer the next one that way.
    assert_eq!(
        alice.send_message("c1", "").await,
        Err(CommandError::Refused(Refused::Empty))
    );
    server.reject_next_messages(1, ErrorCode::ValidationError);
    let sends = ["zero", "one", "two", "three"].map(|content| alice.send_message("c1", content));
    let outcomes = futures_util::future::join_all(sends).await;
    assert_eq!(
        outcomes[0],
        Err(CommandError::Delivery(DeliveryError::Rejected(
            Rejection::new(
                Some(ErrorCode::ValidationError),
                "rejected by fault injection"
            )
        )))
    );
    let stored = server.messages("c1");
    let stored_ids: Vec<Id> = stored.iter().map(|message| message.id.clone()).collect();
    let acked: Vec<Id> = outcomes[1..]
        .iter()
        .map(|outcome| outcome.as_ref().expect("acknowledged").message_id.clone())
        .collect();
    assert_eq!(
        acked, stored_ids,
        "each acknowledged with its own server id"
    );
    let contents: Vec<_> = stored
        .iter()
        .map(|m| m.content.text().unwrap().to_owned())
        .collect();
    assert_eq!(contents, ["one", "two", "three"]);
}

#[tokio::test]
async fn a_lost_acknowledgement_resends_and_the_first_stored_copy_comes_back_as_our_own() {
    let server = TestServer::start().await;
    let [(alice, mut alice_events), (_bob, mut bob_events)] =
        support::pair_in_room(&server, "c1").await;
    server.cut_before_next_acks(1);
    let ack = alice
        .send_message("c1", "did you get this?")
        .await
        .expect("acknowledged after the reconnect");
    let stored = server.messages("c1");
    assert_eq!(
        stored.len(),
        2,
        "stored twice: protocol 001 has no client message id"
    );
    assert_eq!(ack.message_id, stored[1].id, "the resend's acknowledgement");
    let copy = next_matching(&mut alice_events, |event| match event {
        Event::OwnMessageCopy { message, .. } => Some(message.id.clone()),
        Event::Message { message, .. } => panic!("our own message came back as mail: {message:?}"),
        _ => None,
    })
    .await;
    assert_eq!(copy, stored[0].id, "the first copy, recognised as ours");
    assert_eq!(messages(&mut bob_events, 2).await, ["did you get this?"; 2]);
}

#[tokio::test]
async fn a_sync_answer_too_large_to_receive_becomes_a_gap_and_the_client_continues_live() {
    let server = TestServer::start().await;
    let small = builder(&server, "bob").frame_limits(1 << 20, 8 * 1024);
    let (bob, mut bob_events) = connected(small).await;
    join(&bob, "c1").await;
    server.post_message("c1", "alice", "seen");
    assert_eq!(messages(&mut bob_events, 1).await, ["seen"]);

    server.stop().await;
    wait_status(&bob, |status| matches!(status, Status::Reconnecting { .. })).await;
    for n in 0..100 {
        server.post_message("c1", "alice", &format!("missed while away, number {n:03}"));
    }
    server.resume().await;
    let gap = next_matching(&mut bob_events, |event| match event {
        Event::HistoryGap {
            conversation_id,
            after,
            reason,
        } => Some((conversation_id.clone(), after.clone(), reason.clone())),
        Event::Message { message, .. } => panic!("unexpected {message:?}"),
        _ => None,
    })
    .await;
    assert_eq!(gap.0, Id::from("c1"));
    assert_eq!(
        gap.1,
        Some(server.messages("c1")[0].id.clone()),
        "the gap starts after the last message seen"
    );
    assert_eq!(gap.2, GapReason::SyncTooLarge { max: 8 * 1024 });
    wait_status(&bob, |status| *status == Status::Connected).await;
    // The server answers in order: once the ping is answered, the re-join is done.
    bob.ping().await.expect("connected");
    server.post_message("c1", "alice", "live again");
    assert_eq!(messages(&mut bob_events, 1).await, ["live again"]);
    let metrics = bob.metrics().await.unwrap();
    assert!(
        matches!(
            metrics.last_error.as_ref().map(|e| e.kind()),
            Some(ConnectionErrorKind::FrameTooLarge { .. })
        ),
        "{metrics:?}"
    );
}

#[tokio::test]
async fn the_last_real_close_survives_later_refused_attempts() {
    let server = TestServer::start().await;
    let (alice, _events) = connected(builder(&server, "alice")).await;
    server.stop().await;
    // Two refused attempts (nothing listens), then the server comes back.
    let mut changes = alice.status_changes();
    let mut refused = 0;
    while refused < 2 {
        if let Some(Status::Error(error)) = changes.next().await
            && *error.kind() == ConnectionErrorKind::Refused
        {
            refused += 1;
        }
    }
    let metrics = alice.metrics().await.unwrap();
    let close = metrics.last_close.expect("the dropped connection's close");
    assert_eq!(close.code, None, "cut without a close frame");
    assert_eq!(
        metrics.last_error.map(|error| error.kind().clone()),
        Some(ConnectionErrorKind::Refused)
    );
    server.resume().await;
    wait_status(&alice, |status| *status == Status::Connected).await;
}

/// Polls the server's state (not the clock) until `check` holds.
async fn until_server(what: &str, check: impl Fn() -> bool) {
    let waited = tokio::time::timeout(support::PATIENCE, async {
        while !check() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
    waited
        .await
        .unwrap_or_else(|_| panic!("the server never showed {what}"));
}

#[tokio::test]
async fn rooms_dropped_by_another_socket_of_the_same_user_come_back_with_what_they_missed() {
    // The real server keeps one socket per user: when another socket of alice's closes (a
    // second tab here; an old half-open socket noticed late after a network switch), her
    // open socket loses its rooms without a word. The client joins and syncs again every
    // `membership_refresh`, so the message posted meanwhile still arrives, once.
    let server = TestServer::start().await;
    server.one_socket_per_user(true);
    let refreshing = builder(&server, "alice").configure(|config| {
        config.membership_refresh = std::time::Duration::from_millis(300);
    });
    let (alice, mut events) = connected(refreshing).await;
    join(&alice, "c1").await;
    let (tab, _) = connected(builder(&server, "alice")).await;
    tab.disconnect().await;
    until_server("alice's rooms dropped", || server.silent_room_drops() == 1).await;
    server.post_message("c1", "bob", "sent while alice was out of the room");
    until_server("alice back in the room", || server.in_room("alice", "c1")).await;
    // Posted while alice was out of the room: fetched by the refresh's sync (or, when the
    // refresh beat the post, received live).
    let text = next_matching(&mut events, |event| match event {
        Event::Message { message, .. } => Some(message.content.text().map(str::to_owned)),
        _ => None,
    })
    .await;
    assert_eq!(
        text.as_deref(),
        Some("sent while alice was out of the room")
    );
    assert_eq!(
        alice.status(),
        Status::Connected,
        "the connection stayed up"
    );
}

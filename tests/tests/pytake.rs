//! The PyTake backend against a real python-socketio 5 server (`servers/pytake_server.py`)
//! on 127.0.0.1, started and stopped by each test.

mod support;

use std::time::Duration;

use niochat_client::dialect::pytake::PyTakeEvent;
use niochat_client::dialect::{BackendEvent, CommandKind};
use niochat_client::{
    Backend, Client, ClientBuilder, CommandError, ConnectionErrorKind, DeliveryError, Event,
    EventStream, Id, PresenceStatus, Refused, Status,
};
use niochat_testkit::PyTakeServer;
use support::{PATIENCE, next_error, next_matching, wait_status};

/// PyTake only accepts conversation ids that are UUIDs.
const ROOM: &str = "00000000-0000-0000-0000-000000000001";

fn builder(server: &PyTakeServer, user: &str) -> ClientBuilder {
    support::reconnecting_quickly(
        ClientBuilder::new(server.url())
            .backend(Backend::PyTake)
            .token(server.token_for(user)),
    )
}

async fn connected_in_room(server: &PyTakeServer, user: &str) -> (Client, EventStream) {
    let (client, events) = support::connected(builder(server, user)).await;
    support::join(&client, ROOM).await;
    (client, events)
}

/// Waits until the server lists `user` in the room (it has no event stream).
async fn in_room(server: &PyTakeServer, user: &str) {
    let room = format!("conversation:{ROOM}");
    let listed = support::listed_in_room(move || server.stats(), &room, user).await;
    assert!(listed, "{user} never joined {room}");
}

#[tokio::test]
async fn two_agents_share_a_conversation_typing_messages_statuses_and_presence() {
    let server = PyTakeServer::start().await;
    let (alice, mut alice_events) = connected_in_room(&server, "alice").await;
    let (bob, mut bob_events) = connected_in_room(&server, "bob").await;
    let session = next_matching(&mut alice_events, |event| match event {
        Event::Backend(BackendEvent::PyTake(PyTakeEvent::Connected { user_id, .. })) => {
            user_id.clone()
        }
        _ => None,
    })
    .await;
    assert_eq!(
        session,
        Id::from("alice"),
        "the greeting that came before the ack"
    );

    alice.set_typing(ROOM, true).await.expect("acknowledged");
    let typing = next_matching(&mut bob_events, |event| match event {
        Event::Typing(typing) => Some(typing.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (typing.user_id, typing.is_typing),
        (Id::from("alice"), true)
    );
    bob.set_typing(ROOM, false).await.expect("acknowledged");
    let stopped = next_matching(&mut alice_events, |event| match event {
        Event::Typing(typing) => Some(typing.is_typing),
        _ => None,
    });
    assert!(!stopped.await);

    // PyTake takes messages through its REST API and pushes them to the room.
    let stored = server.post_message(ROOM, "alice", "Olá, Bob").await;
    for events in [&mut alice_events, &mut bob_events] {
        let message = next_matching(events, |event| match event {
            Event::Message { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
        assert_eq!(message.id, Id::from(stored["id"].as_str().unwrap()));
        assert_eq!(message.content.text(), Some("Olá, Bob"));
        assert_eq!(message.role.as_deref(), Some("agent"));
        assert_eq!(message.user_id, Some(Id::from("alice")));
        assert!(message.created_at.unwrap().to_utc().is_some());
    }

    let message_id = stored["id"].as_str().unwrap();
    server.message_status(ROOM, message_id, "delivered").await;
    let status = next_matching(&mut bob_events, |event| match event {
        Event::MessageStatus(status) => Some(status.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (status.message_id.to_string(), status.status.as_str()),
        (message_id.to_owned(), "delivered")
    );

    server.user_status("carol", "away").await;
    let presence = next_matching(&mut alice_events, |event| match event {
        Event::Presence(presence) => Some(presence.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (presence.user_id, presence.status),
        (Id::from("carol"), PresenceStatus::Away)
    );
    assert!(
        !support::drain(&mut alice_events)
            .iter()
            .any(|event| matches!(event, Event::Message { .. })),
        "each message once"
    );
}

#[tokio::test]
async fn answers_come_by_ack_and_a_refused_join_fails_with_pytakes_error() {
    let server = PyTakeServer::start().await;
    let (alice, mut events) = support::connected(builder(&server, "alice")).await;
    let rtt = alice.ping().await.expect("the ping's ack");
    assert!(rtt < PATIENCE);
    // PyTake refuses a non-UUID conversation with an `error` event, then acknowledges the
    // join all the same: the join resolves with that error, and the event is a notice.
    let refused = alice.join("not-a-uuid").await;
    assert!(
        matches!(&refused, Err(CommandError::Delivery(DeliveryError::Rejected(rejection)))
            if rejection.message == "Invalid conversation_id format"),
        "{refused:?}"
    );
    let notice = next_matching(&mut events, |event| match event {
        Event::ServerNotice { message, .. } => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(notice, "Invalid conversation_id format");
    alice.join(ROOM).await.expect("a UUID is let in");
}

#[tokio::test]
async fn what_pytake_has_no_frame_for_is_refused_at_the_call() {
    let server = PyTakeServer::start().await;
    let (alice, _events) = support::connected(builder(&server, "alice")).await;
    let unsupported = |command| {
        Err(CommandError::Refused(Refused::Unsupported {
            command,
            backend: "pytake",
        }))
    };
    assert_eq!(
        alice.send_message(ROOM, "hi").await.map(drop),
        unsupported(CommandKind::Message)
    );
    assert_eq!(
        alice.mark_read(ROOM, "m1").await,
        unsupported(CommandKind::Read)
    );
    assert_eq!(
        alice.sync(ROOM, None).await.map(drop),
        unsupported(CommandKind::Sync)
    );
    assert_eq!(
        alice.set_presence(PresenceStatus::Away).await,
        unsupported(CommandKind::Presence)
    );
    assert_eq!(alice.status(), Status::Connected);
}

#[tokio::test]
async fn after_a_server_restart_the_client_rejoins_and_keeps_the_restarts_close_code() {
    let server = PyTakeServer::start().await;
    let (alice, mut events) = connected_in_room(&server, "alice").await;
    server.restart().await;
    let closed = next_error(&mut events).await;
    assert_eq!(
        closed.kind(),
        &ConnectionErrorKind::Closed {
            code: Some(1012),
            reason: String::new()
        },
        "uvicorn's restart code"
    );
    wait_status(&alice, |status| *status == Status::Connected).await;
    in_room(&server, "alice").await;
    server.post_message(ROOM, "bob", "after the restart").await;
    let message = next_matching(&mut events, |event| match event {
        Event::Message { message, .. } => message.content.text().map(str::to_owned),
        _ => None,
    });
    assert_eq!(message.await, "after the restart");
    let metrics = alice.metrics().await.unwrap();
    assert_eq!(metrics.last_close.map(|close| close.code), Some(Some(1012)));
    assert_eq!(metrics.reconnects, 1);
}

#[tokio::test]
async fn a_refused_token_ends_in_unauthorized_after_exactly_two_connects() {
    let server = PyTakeServer::start().await;
    let client = builder(&server, "alice")
        .token(server.expired_token("alice"))
        .build()
        .unwrap();
    let mut events = client.events();
    client.connect();
    wait_status(&client, |status| *status == Status::Unauthorized).await;
    let refused = next_error(&mut events).await;
    assert_eq!(refused.kind(), &ConnectionErrorKind::AuthRefused);
    assert_eq!(
        server.stats().await["connect_attempts"],
        2,
        "the first try and one refresh"
    );
    assert_eq!(server.stats().await["connected"], 0);
}

#[tokio::test]
async fn a_server_side_disconnect_is_followed_by_a_reconnect_and_rejoin() {
    let server = PyTakeServer::start().await;
    let (alice, mut events) = connected_in_room(&server, "alice").await;
    server.disconnect_all().await;
    let error = next_error(&mut events).await;
    assert!(
        matches!(error.kind(), ConnectionErrorKind::Closed { code: None, .. }),
        "{error:?}"
    );
    wait_status(&alice, |status| *status == Status::Connected).await;
    in_room(&server, "alice").await;
    assert_eq!(server.stats().await["connect_attempts"], 2);
}

#[tokio::test]
async fn the_client_answers_the_servers_pings_and_notices_when_they_stop() {
    // python-engineio announces whole seconds only (a 200 ms interval reads as 0).
    let server = PyTakeServer::start_with_ping(1000, 500).await;
    let (alice, mut events) = support::connected(builder(&server, "alice")).await;
    // python-socketio drops a client that leaves a ping unanswered for 500 ms: over two
    // seconds of real time (two pings), the connection must stay the first one.
    let quiet = tokio::time::timeout(Duration::from_secs(2), next_error(&mut events)).await;
    assert!(
        quiet.is_err(),
        "no failure while the pings are answered: {quiet:?}"
    );
    assert_eq!(server.stats().await["connect_attempts"], 1);
    assert_eq!(alice.status(), Status::Connected);
    // The server process stops dead (SIGSTOP): no ping, no close. Noticed after 1000 + 500 ms.
    server.freeze();
    let dead = next_error(&mut events).await;
    assert_eq!(
        dead.kind(),
        &ConnectionErrorKind::KeepAliveTimeout(Duration::from_millis(1500))
    );
    server.thaw();
    wait_status(&alice, |status| *status == Status::Connected).await;
}

#[tokio::test]
async fn a_binary_event_is_reported_unsupported_and_its_attachment_is_not_taken_for_another() {
    use niochat_client::dialect::DecodeError;
    let server = PyTakeServer::start().await;
    let (client, mut events) = connected_in_room(&server, "alice").await;
    let room = format!("conversation:{ROOM}");
    server
        .emit_with_bytes(
            "upload",
            serde_json::json!({"name": "a.png"}),
            &[0x89, 0x50, 0x4e, 0x47],
            Some(&room),
        )
        .await;
    server.user_status("bob", "online").await;
    let mut seen = Vec::new();
    next_matching(&mut events, |event| {
        seen.push(event.clone());
        matches!(event, Event::Presence(_)).then_some(())
    })
    .await;
    let malformed: Vec<&DecodeError> = seen
        .iter()
        .filter_map(|event| match event {
            Event::Malformed(error) => Some(error),
            _ => None,
        })
        .collect();
    assert!(
        matches!(
            malformed[..],
            [DecodeError::Unsupported {
                what: "Socket.IO binary attachments",
                ..
            }]
        ),
        "one clear error, the attachment not reported on its own: {malformed:?}"
    );
    assert_eq!(client.status(), Status::Connected);
}

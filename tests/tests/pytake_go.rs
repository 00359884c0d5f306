//! The PyTake Go backend against a replica of its real handler (see `src/pytake_go.rs` and
//! `servers/pytake_go/SPEC.md`): both vocabularies, no heartbeat but WebSocket pings, nothing
//! but JSON ever sent.

mod support;

use std::time::Duration;

use niochat_client::dialect::BackendEvent;
use niochat_client::dialect::pytake_go::{PyTakeGo, PyTakeGoEvent};
use niochat_client::{
    Backend, ClientBuilder, CommandError, ConnectionErrorKind, Event, Id, Refused, Status,
};
use niochat_testkit::PyTakeGoServer;
use serde_json::json;
use support::{next_error, next_matching, wait_status};

const CONVERSATION: &str = "3f1c2a9e-6b1d-4c7a-9a51-0d2f8e4b7c10";

fn builder(server: &PyTakeGoServer, user: &str) -> ClientBuilder {
    let backend = Backend::PyTakeGo(PyTakeGo {
        user_id: Some(Id::from(user)),
    });
    ClientBuilder::new(server.url())
        .backend(backend)
        .token(format!("jwt-of-{user}"))
        .configure(|config| {
            config.reconnect.initial_delay = Duration::from_millis(20);
            config.reconnect.max_delay = Duration::from_millis(200);
        })
}

#[tokio::test]
async fn both_vocabularies_reach_every_agent_as_typed_events() {
    let server = PyTakeGoServer::start().await;
    let (_alice, mut alice) = support::connected(builder(&server, "alice")).await;
    let (_bob, mut bob) = support::connected(builder(&server, "bob")).await;
    support::eventually("both auth frames arrived", || server.auth_frames() == 2).await;

    let customer = server.customer_message(CONVERSATION, "Olá, preciso de ajuda");
    for events in [&mut alice, &mut bob] {
        let message = next_matching(events, |event| match event {
            Event::Message { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
        assert_eq!(message.id, Id::from(customer.as_str()));
        assert_eq!(message.conversation_id, Id::from(CONVERSATION));
        assert_eq!(message.content.text(), Some("Olá, preciso de ajuda"));
        assert_eq!(message.role.as_deref(), Some("customer"));
        assert!(message.created_at.unwrap().to_utc().is_some());
        let stats = next_matching(events, |event| match event {
            Event::Backend(BackendEvent::PyTakeGo(PyTakeGoEvent::Stats {
                messages_today, ..
            })) => *messages_today,
            _ => None,
        });
        assert_eq!(stats.await, 1);
    }
    server.agent_message(CONVERSATION, "Claro! Como posso ajudar?");
    let role = next_matching(&mut bob, |event| match event {
        Event::Message { message, .. } => message.role.clone(),
        _ => None,
    });
    assert_eq!(role.await, "agent");
    server.broadcast(
        "status_update",
        json!({"status": "delivered", "wamid": "wamid.1"}),
    );
    // Keyed by WhatsApp's id, which no message a client holds carries: a backend event,
    // not a status for one of our messages.
    let status = next_matching(&mut bob, |event| match event {
        Event::Backend(BackendEvent::PyTakeGo(PyTakeGoEvent::WhatsAppStatus {
            wamid,
            status,
            ..
        })) => Some((wamid.clone(), status.as_str().to_owned())),
        Event::MessageStatus(status) => panic!("a wamid is not a message id: {status:?}"),
        _ => None,
    })
    .await;
    assert_eq!(status, ("wamid.1".to_owned(), "delivered".to_owned()));
    server.broadcast(
        "conversations_cleared",
        json!({"contacts_deleted": 1, "conversations_deleted": 2, "messages_deleted": 3}),
    );
    let cleared = next_matching(&mut bob, |event| match event {
        Event::Backend(BackendEvent::PyTakeGo(PyTakeGoEvent::ConversationsCleared {
            messages_deleted,
            ..
        })) => *messages_deleted,
        _ => None,
    });
    assert_eq!(cleared.await, 3);
    // The documented vocabulary, which the real server never sends, decodes too.
    server.broadcast(
        "typing_start",
        json!({"conversation_id": CONVERSATION, "contact_id": "c-9"}),
    );
    let typing = next_matching(&mut bob, |event| match event {
        Event::Typing(typing) => Some(typing.clone()),
        _ => None,
    })
    .await;
    assert_eq!((typing.user_id, typing.is_typing), (Id::from("c-9"), true));
    server.broadcast(
        "message_received",
        json!({"id": "m-doc", "conversation_id": CONVERSATION, "sender_type": "contact",
               "content": "documented", "created_at": "2024-01-15T10:30:00Z"}),
    );
    let documented = next_matching(&mut bob, |event| match event {
        Event::Message { message, .. } => message.content.text().map(str::to_owned),
        _ => None,
    });
    assert_eq!(documented.await, "documented");
    assert_eq!(
        server.dropped(),
        0,
        "the client never sent anything but JSON"
    );
}

#[tokio::test]
async fn the_client_sends_nothing_pytake_go_has_no_frame_for() {
    let server = PyTakeGoServer::start().await;
    let (alice, _events) = support::connected(builder(&server, "alice")).await;
    let unsupported = |command| {
        Err(CommandError::Refused(Refused::Unsupported {
            command,
            backend: "pytake-go",
        }))
    };
    use niochat_client::dialect::CommandKind;
    assert_eq!(
        alice.send_message(CONVERSATION, "hi").await.map(drop),
        unsupported(CommandKind::Message)
    );
    assert_eq!(
        alice.join(CONVERSATION).await,
        unsupported(CommandKind::Join)
    );
    assert_eq!(
        alice.set_typing(CONVERSATION, true).await,
        unsupported(CommandKind::Typing)
    );
    assert_eq!(alice.status(), Status::Connected);
    assert_eq!(server.dropped(), 0);
}

#[tokio::test]
async fn bad_frames_from_the_server_are_reported_and_the_connection_stays() {
    let server = PyTakeGoServer::start().await;
    let (alice, mut events) = support::connected(builder(&server, "alice")).await;
    server.send_raw("not json at all");
    server.send_raw(r#"{"data":{"x":1},"type":"something_new"}"#);
    server.send_raw(r#"{"data":{"id":1},"type":"new_message"}"#);
    for _ in 0..3 {
        next_matching(&mut events, |event| {
            matches!(event, Event::Malformed(_) | Event::Unknown(_)).then_some(())
        })
        .await;
    }
    assert_eq!(alice.status(), Status::Connected);
}

#[tokio::test]
async fn websocket_pings_watch_a_server_without_heartbeat_and_a_cut_is_recovered() {
    let server = PyTakeGoServer::start().await;
    let quick = builder(&server, "alice")
        .keep_alive(Duration::from_millis(150), Duration::from_millis(250));
    let (alice, mut events) = support::connected(quick).await;
    // Answered pings: the connection stays the first one.
    let quiet = tokio::time::timeout(Duration::from_millis(800), next_error(&mut events)).await;
    assert!(quiet.is_err(), "{quiet:?}");
    assert_eq!(server.handshakes(), 1);
    // A silent server: no pong within the timeout.
    server.freeze();
    let dead = next_error(&mut events).await;
    assert_eq!(
        dead.kind(),
        &ConnectionErrorKind::KeepAliveTimeout(Duration::from_millis(250))
    );
    server.thaw();
    wait_status(&alice, |status| *status == Status::Connected).await;
    // A cut without a close frame.
    server.drop_all_connections();
    let cut = next_error(&mut events).await;
    assert!(
        matches!(cut.kind(), ConnectionErrorKind::Closed { code: None, .. }),
        "{cut:?}"
    );
    wait_status(&alice, |status| *status == Status::Connected).await;
    assert_eq!(server.dropped(), 0);
}

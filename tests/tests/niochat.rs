//! The NioChat backend against a real Django Channels server (daphne, in-memory channel layer)
//! whose consumers behave as NioChat's do (`servers/niochat/`), started by each test.

mod support;

use std::time::Duration;

use niochat_client::dialect::niochat::{Endpoint, NioChat, NioChatEvent};
use niochat_client::dialect::{BackendEvent, CommandKind};
use niochat_client::{
    Backend, ClientBuilder, CommandError, ConnectionErrorKind, Event, Id, Refused, Status,
};
use niochat_testkit::NioChatServer;
use serde_json::json;
use support::{next_error, next_matching, wait_status};

fn builder(server: &NioChatServer, endpoint: Endpoint, token: &str) -> ClientBuilder {
    builder_as("agente1", server, endpoint, token)
}

fn builder_as(
    user: &str,
    server: &NioChatServer,
    endpoint: Endpoint,
    token: &str,
) -> ClientBuilder {
    let mut protocol = NioChat::new(endpoint);
    protocol.user = Some(Id::from(user));
    ClientBuilder::new(server.url())
        .backend(Backend::NioChat(protocol))
        .token(token)
        .configure(|config| {
            config.reconnect.initial_delay = Duration::from_millis(20);
            config.reconnect.max_delay = Duration::from_millis(200);
        })
}

#[tokio::test]
async fn a_conversation_socket_carries_messages_deletions_reactions_and_typing() {
    let server = NioChatServer::start().await;
    let token = server.token_for(1).await;
    let endpoint = || Endpoint::Conversation(Id::from(7));
    let (alice, mut alice_events) = support::connected(builder(&server, endpoint(), &token)).await;
    let (bob, mut bob_events) =
        support::connected(builder_as("agente2", &server, endpoint(), &token)).await;

    let stored = server
        .post_message(7, "Oi, preciso de ajuda", "customer")
        .await;
    for events in [&mut alice_events, &mut bob_events] {
        let message = next_matching(events, |event| match event {
            Event::Message { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
        assert_eq!(
            message.id,
            Id::from(stored["id"].as_i64().unwrap()),
            "integer ids"
        );
        assert_eq!(message.conversation_id, Id::from(7));
        assert_eq!(message.content.text(), Some("Oi, preciso de ajuda"));
        assert_eq!(message.role.as_deref(), Some("customer"));
        let created = message.created_at.unwrap();
        assert!(created.as_str().ends_with("-03:00") && created.to_utc().is_some());
    }
    // A deletion is the same message again: it must arrive as a deletion, not be dropped.
    let id = stored["id"].as_u64().unwrap();
    server.delete_message(7, id).await;
    let deleted = next_matching(&mut alice_events, |event| match event {
        Event::MessageDeleted(deletion) => Some(deletion.clone()),
        Event::Message { .. } => panic!("a deletion delivered as a new message"),
        _ => None,
    })
    .await;
    assert_eq!(
        (deleted.message_id, deleted.conversation_id),
        (Id::from(id as i64), Some(Id::from(7)))
    );
    // A reaction to a deleted message carries the message again: it stays deleted.
    server.react(7, id, "👍").await;
    let reacted = next_matching(&mut alice_events, |event| match event {
        Event::MessageDeleted(deletion) => deletion.message.clone(),
        Event::MessageUpdated(message) => panic!("a deleted message came back: {message:?}"),
        _ => None,
    })
    .await;
    assert_eq!(
        reacted.extra["additional_attributes"]["agent_reaction"]["emoji"],
        "👍"
    );
    let kept = server.post_message(7, "Claro!", "agent").await;
    server.react(7, kept["id"].as_u64().unwrap(), "❤").await;
    let updated = next_matching(&mut alice_events, |event| match event {
        Event::MessageUpdated(message) => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (updated.id, updated.role.as_deref()),
        (Id::from(kept["id"].as_i64().unwrap()), Some("agent"))
    );

    alice
        .set_typing(7, true)
        .await
        .expect("written (NioChat answers nothing)");
    let typing = next_matching(&mut bob_events, |event| match event {
        Event::Typing(typing) => Some(typing.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (typing.user_id, typing.conversation_id, typing.is_typing),
        (Id::from("agente1"), Id::from(7), true)
    );
    // The room echoes alice's typing to her too; she hears only bob's.
    bob.set_typing(7, true).await.expect("written");
    let heard = next_matching(&mut alice_events, |event| match event {
        Event::Typing(typing) => Some(typing.user_id.clone()),
        _ => None,
    });
    assert_eq!(heard.await, Id::from("agente2"), "not her own echo");
}

#[tokio::test]
async fn rooms_are_urls_and_messages_go_through_the_rest_api() {
    let server = NioChatServer::start().await;
    let token = server.token_for(1).await;
    let (alice, _events) = support::connected(builder(
        &server,
        Endpoint::Conversation(Id::from(3)),
        &token,
    ))
    .await;
    let unsupported = |command| {
        Err(CommandError::Refused(Refused::Unsupported {
            command,
            backend: "niochat",
        }))
    };
    assert_eq!(alice.join(3).await, unsupported(CommandKind::Join));
    assert_eq!(
        alice.sync(3, None).await.map(drop),
        unsupported(CommandKind::Sync)
    );
    assert_eq!(
        alice.send_message(3, "hi").await.map(drop),
        unsupported(CommandKind::Message)
    );
    assert_eq!(
        alice.set_typing(4, true).await,
        unsupported(CommandKind::Typing),
        "another room's socket"
    );
}

#[tokio::test]
async fn a_bad_key_is_refused_at_the_handshake_and_ends_in_unauthorized() {
    let server = NioChatServer::start().await;
    let client = builder(&server, Endpoint::UserStatus, &"0".repeat(40))
        .build()
        .unwrap();
    let mut events = client.events();
    client.connect();
    wait_status(&client, |status| *status == Status::Unauthorized).await;
    assert_eq!(
        next_error(&mut events).await.kind(),
        &ConnectionErrorKind::HttpStatus(403)
    );
    // One attempt, one with a refreshed token, then no more: no retry loop on a bad key.
    let attempts = server.stats().await["attempts"]["/ws/user_status/"].clone();
    assert_eq!(attempts, 2);
    let good = server.token_for(2).await;
    let (user, _events) = support::connected(builder(&server, Endpoint::UserStatus, &good)).await;
    assert_eq!(user.status(), Status::Connected);
    // Here the pong carries no timestamp; it still answers the ping.
    let rtt = user.ping().await.expect("answered");
    assert!(rtt > Duration::ZERO);
    assert_eq!(user.metrics().await.unwrap().rtt, Some(rtt));
}

#[tokio::test]
async fn the_panel_and_the_dashboards_deliver_their_events_typed() {
    let server = NioChatServer::start().await;
    let token = server.token_for(1).await;
    let (_painel, mut painel) =
        support::connected(builder(&server, Endpoint::Painel(Id::from(1)), &token)).await;
    let (_dashboard, mut conversas) =
        support::connected(builder(&server, Endpoint::ConversasDashboard, &token)).await;
    let (_documented, mut documented) =
        support::connected(builder(&server, Endpoint::Dashboard, &token)).await;

    server
        .painel_event(
            1,
            json!({"event_type": "conversation_closed", "conversation_id": 7}),
        )
        .await;
    next_matching(&mut painel, |event| {
        matches!(event, Event::Backend(BackendEvent::NioChat(NioChatEvent::ConversationEvent(e))) if e["event_type"] == "conversation_closed")
            .then_some(())
    })
    .await;
    server
        .painel_event(1, json!({"type": "conversation_status_changed", "conversation_id": 7, "status": "closed"}))
        .await;
    next_matching(&mut painel, |event| {
        matches!(
            event,
            Event::Backend(BackendEvent::NioChat(
                NioChatEvent::ConversationStatusChanged(_)
            ))
        )
        .then_some(())
    })
    .await;

    // A customer message updates conversas_dashboard (a frame without `type`) and the
    // documented dashboard (`chat_message`).
    server.post_message(4, "Nova mensagem", "customer").await;
    let action = next_matching(&mut conversas, |event| match event {
        Event::Backend(BackendEvent::NioChat(NioChatEvent::DashboardConversation {
            action,
            ..
        })) => Some(action.clone()),
        _ => None,
    });
    assert_eq!(action.await, "update_conversation");
    let chat = next_matching(&mut documented, |event| match event {
        Event::Message { message, .. } => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (chat.conversation_id, chat.content.text()),
        (Id::from(4), Some("Nova mensagem"))
    );
    server
        .dashboard_event(
            "csat_update",
            json!({"conversation_id": 1, "rating": 5, "feedback": "Excelente",
            "contact_name": "João", "timestamp": "2024-01-01T10:00:00Z"}),
        )
        .await;
    next_matching(&mut documented, |event| {
        matches!(event, Event::Backend(BackendEvent::NioChat(NioChatEvent::Csat(data))) if data["rating"] == 5)
            .then_some(())
    })
    .await;
    let status_token = server.token_for(2).await;
    let (_user, _user_events) =
        support::connected(builder(&server, Endpoint::UserStatus, &status_token)).await;
    let presence = next_matching(&mut documented, |event| match event {
        Event::Presence(presence) => Some(presence.clone()),
        _ => None,
    })
    .await;
    assert_eq!(presence.user_id, Id::from(2));
}

#[tokio::test]
async fn after_a_restart_the_socket_is_back_without_any_join() {
    let server = NioChatServer::start().await;
    let token = server.token_for(1).await;
    // Retrying without limit: a loaded machine can take longer to restart Django than ten
    // quick attempts last, and giving up is not what this test is about.
    let quick = builder(&server, Endpoint::Conversation(Id::from(9)), &token)
        .keep_alive(Duration::from_millis(200), Duration::from_millis(500))
        .configure(|config| config.reconnect.max_attempts = None);
    let (alice, mut events) = support::connected(quick).await;
    server.restart().await;
    next_error(&mut events).await;
    wait_status(&alice, |status| *status == Status::Connected).await;
    server.post_message(9, "depois do reinício", "agent").await;
    let message = next_matching(&mut events, |event| match event {
        Event::Message { message, .. } => Some(message.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (message.content.text(), message.role.as_deref()),
        (Some("depois do reinício"), Some("agent"))
    );
}

#[tokio::test]
async fn pongs_answer_pings_websocket_pings_keep_the_panel_and_a_silent_server_is_left() {
    let server = NioChatServer::start().await;
    let token = server.token_for(1).await;
    let quick = |endpoint| {
        builder(&server, endpoint, &token)
            .keep_alive(Duration::from_millis(150), Duration::from_millis(400))
    };
    let (conversation, mut conversation_events) =
        support::connected(quick(Endpoint::Conversation(Id::from(5)))).await;
    let (painel, mut painel_events) =
        support::connected(quick(Endpoint::Painel(Id::from(1)))).await;
    let rtt = conversation.ping().await.expect("answered by pong");
    assert_eq!(conversation.metrics().await.unwrap().rtt, Some(rtt));
    // Several intervals of keep-alive on both sockets (pong frames on one, WebSocket pongs
    // from daphne on the other, which never answers a `ping` frame): still the first
    // connections.
    let quiet =
        tokio::time::timeout(Duration::from_millis(1000), next_error(&mut painel_events)).await;
    assert!(quiet.is_err(), "{quiet:?}");
    let stats = server.stats().await;
    assert_eq!(stats["attempts"]["/ws/painel/1/"], 1, "{stats}");
    assert_eq!(stats["attempts"]["/ws/conversations/5/"], 1, "{stats}");
    // A server that stops answering (its process stopped, its sockets open) is left.
    server.freeze();
    for events in [&mut conversation_events, &mut painel_events] {
        let dead = next_error(events).await;
        assert!(
            matches!(
                dead.kind(),
                ConnectionErrorKind::KeepAliveTimeout(_) | ConnectionErrorKind::AnswerOverdue(_)
            ),
            "{dead:?}"
        );
    }
    server.thaw();
    wait_status(&conversation, |status| *status == Status::Connected).await;
    wait_status(&painel, |status| *status == Status::Connected).await;
}

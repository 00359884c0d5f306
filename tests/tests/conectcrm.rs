//! The ConectCRM backend against a real socket.io 4.8 server on Node whose `/atendimento`
//! gateway behaves as ConectCRM's does (`servers/conectcrm/server.js`), started by each test.

mod support;

use niochat_client::core::ConectCrmAgent;
use niochat_client::dialect::conectcrm::ConectCrmEvent;
use niochat_client::dialect::{BackendEvent, CommandKind};
use niochat_client::{
    Backend, Client, ClientBuilder, CommandError, ConnectionErrorKind, DeliveryError, Event,
    EventStream, Id, PresenceStatus, Refused, Status,
};
use niochat_testkit::ConectCrmServer;
use serde_json::json;
use support::{next_error, next_matching, wait_status};

const ALICE: &str = "aaaaaaaa-0000-4000-8000-000000000001";
const BOB: &str = "aaaaaaaa-0000-4000-8000-000000000002";

fn builder(server: &ConectCrmServer, user: &str) -> ClientBuilder {
    support::reconnecting_quickly(
        ClientBuilder::new(server.url())
            .backend(Backend::ConectCrm)
            .token(server.token_for(user)),
    )
}

async fn agent_in(server: &ConectCrmServer, user: &str, ticket: &str) -> (Client, EventStream) {
    let (client, events) = support::connected(builder(server, user)).await;
    let entered = ConectCrmAgent(&client).enter_ticket(ticket).await;
    assert_eq!(entered, Ok(Id::from(ticket)), "the typed answer");
    (client, events)
}

/// Waits until the server lists `user` in `ticket`'s room.
async fn in_ticket_room(server: &ConectCrmServer, user: &str, ticket: &str) {
    let room = format!("ticket:{}:{ticket}", niochat_testkit::COMPANY);
    let listed = support::listed_in_room(move || server.stats(), &room, user).await;
    assert!(listed, "{user} never entered {room}");
}

#[tokio::test]
async fn agents_share_a_ticket_messages_in_both_shapes_typing_and_presence() {
    let server = ConectCrmServer::start().await;
    let ticket = server.open_ticket("Maria").await;
    let (alice, mut alice_events) = agent_in(&server, ALICE, &ticket).await;
    let (_bob, mut bob_events) = agent_in(&server, BOB, &ticket).await;
    // The gateway's `connected` names only the socket: the session knows alice from her
    // token's `sub`, so her own typing echo is told apart.
    let me = next_matching(&mut alice_events, |event| match event {
        Event::Session(session) => Some(session.user_id.clone()),
        _ => None,
    });
    assert_eq!(me.await, Some(Id::from(ALICE)));
    let online = next_matching(&mut alice_events, |event| match event {
        Event::Presence(presence) if presence.user_id == Id::from(BOB) => {
            Some(presence.status.clone())
        }
        _ => None,
    });
    assert_eq!(online.await, PresenceStatus::Online, "atendente:online");

    alice
        .set_typing(ticket.as_str(), true)
        .await
        .expect("written: never acknowledged");
    let typing = next_matching(&mut bob_events, |event| match event {
        Event::Typing(typing) => Some(typing.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        (typing.user_id, typing.conversation_id),
        (Id::from(ALICE), Id::from(ticket.as_str()))
    );

    for (shape, sender, role) in [
        ("string", "CLIENTE", "cliente"),
        ("object", "ATENDENTE", "atendente"),
    ] {
        let text = format!("Olá ({shape})");
        let pushed = server.post_message(&ticket, &text, sender, shape).await;
        if shape == "object" {
            // The real server routes the object shape to the assigned agent only; this ticket
            // has none, so nobody receives it (a defect of the real backend, kept).
            continue;
        }
        let message = next_matching(&mut bob_events, |event| match event {
            Event::Message { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
        assert_eq!(message.id, Id::from(pushed["id"].as_str().unwrap()));
        assert_eq!(message.conversation_id, Id::from(ticket.as_str()));
        assert_eq!(message.content.text(), Some(text.as_str()));
        assert_eq!(message.role.as_deref(), Some(role));
    }
}

#[tokio::test]
async fn the_assigned_agent_gets_each_message_once_in_either_shape() {
    let server = ConectCrmServer::start().await;
    let ticket = server.open_ticket("João").await;
    let (_bob, mut bob_events) = agent_in(&server, BOB, &ticket).await;
    server.assign_ticket(&ticket, BOB).await;
    let assigned = next_matching(&mut bob_events, |event| match event {
        Event::Backend(BackendEvent::ConectCrm(ConectCrmEvent::TicketAssigned(ticket))) => {
            ticket.atendente_id.clone()
        }
        _ => None,
    });
    assert_eq!(assigned.await, Id::from(BOB));
    server
        .set_ticket_status(&ticket, "AGUARDANDO_CLIENTE")
        .await;
    let status = next_matching(&mut bob_events, |event| match event {
        Event::Backend(BackendEvent::ConectCrm(ConectCrmEvent::TicketStatus(ticket))) => {
            ticket.status.clone()
        }
        _ => None,
    });
    assert_eq!(status.await, "AGUARDANDO_CLIENTE");
    // The string shape reaches Bob twice (the ticket's room and his own); the object shape
    // once (his own room). Each is one message to the app.
    server
        .post_message(&ticket, "primeira", "CLIENTE", "string")
        .await;
    server
        .post_message(&ticket, "segunda", "CLIENTE", "object")
        .await;
    server
        .post_message(&ticket, "terceira", "ATENDENTE", "string")
        .await;
    let mut received = Vec::new();
    while received.len() < 3 {
        let message = next_matching(&mut bob_events, |event| match event {
            Event::Message { message, .. } => Some(message.clone()),
            _ => None,
        })
        .await;
        received.push((
            message.content.text().unwrap().to_owned(),
            message.role.unwrap(),
        ));
    }
    let expected = [
        ("primeira", "cliente"),
        ("segunda", "cliente"),
        ("terceira", "atendente"),
    ];
    assert_eq!(
        received,
        expected.map(|(text, role)| (text.to_owned(), role.to_owned()))
    );
    // A last message proves nothing else was pending.
    server
        .post_message(&ticket, "fim", "CLIENTE", "object")
        .await;
    let last = next_matching(&mut bob_events, |event| match event {
        Event::Message { message, .. } => message.content.text().map(str::to_owned),
        _ => None,
    });
    assert_eq!(last.await, "fim", "no message twice");
}

#[tokio::test]
async fn typed_requests_resolve_with_the_gateways_answers() {
    let server = ConectCrmServer::start().await;
    let (alice, mut events) = support::connected(builder(&server, ALICE)).await;
    let agent = ConectCrmAgent(&alice);
    let unknown = agent
        .enter_ticket("99999999-9999-4999-8999-999999999999")
        .await;
    assert!(
        matches!(&unknown, Err(CommandError::Delivery(DeliveryError::Rejected(r))) if r.message == "Ticket não encontrado"),
        "{unknown:?}"
    );
    assert!(alice.capabilities().supports(CommandKind::Presence));
    assert_eq!(agent.set_status("ocupado").await, Ok("ocupado".to_owned()));
    // atendente:status:atualizado (after her own atendente:online at connect).
    next_matching(&mut events, |event| match event {
        Event::Presence(presence)
            if presence.user_id == Id::from(ALICE) && presence.status.as_str() == "ocupado" =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    let contact = agent.check_contact_status(42).await.expect("answered");
    assert_eq!(
        (contact.contato_id, contact.is_online),
        (Id::from(42), false)
    );
    let unsupported = |command| {
        Err(CommandError::Refused(Refused::Unsupported {
            command,
            backend: "conectcrm",
        }))
    };
    assert_eq!(
        alice.set_typing("t", false).await,
        unsupported(CommandKind::Typing)
    );
    assert_eq!(
        alice.send_message("t", "hi").await.map(drop),
        unsupported(CommandKind::Message)
    );
    let ticket = server.open_ticket("Ana").await;
    let new_ticket = next_matching(&mut events, |event| match event {
        Event::Backend(BackendEvent::ConectCrm(ConectCrmEvent::NewTicket(ticket))) => {
            Some(ticket.id.clone())
        }
        _ => None,
    });
    assert_eq!(new_ticket.await, Id::from(ticket.as_str()));
    server
        .notify(ALICE, "sla_alerta", json!({"ticketId": ticket}))
        .await;
    let notification = next_matching(&mut events, |event| match event {
        Event::Backend(BackendEvent::ConectCrm(ConectCrmEvent::Notification { tipo, .. })) => {
            Some(tipo.clone())
        }
        _ => None,
    });
    assert_eq!(notification.await, "sla_alerta");
    server
        .emit("ticket_encerrado", json!({"ticketId": ticket}), None)
        .await;
    next_matching(&mut events, |event| {
        matches!(
            event,
            Event::Backend(BackendEvent::ConectCrm(ConectCrmEvent::TicketClosed(_)))
        )
        .then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_refused_token_accepted_then_disconnected_ends_in_unauthorized_without_a_loop() {
    let server = ConectCrmServer::start().await;
    let client = builder(&server, ALICE)
        .token(server.expired_token(ALICE))
        .build()
        .unwrap();
    let mut events = client.events();
    client.connect();
    wait_status(&client, |status| *status == Status::Unauthorized).await;
    let refused = next_error(&mut events).await;
    assert_eq!(refused.kind(), &ConnectionErrorKind::AuthRefused);
    assert!(
        !support::drain(&mut events).contains(&Event::Status(Status::Connected)),
        "never connected: the session is ready only on `connected`"
    );
    assert_eq!(
        server.stats().await["authFailures"],
        2,
        "the first try and one refresh"
    );
}

#[tokio::test]
async fn entered_tickets_are_entered_again_after_a_disconnect_and_a_restart() {
    let server = ConectCrmServer::start().await;
    let ticket = server.open_ticket("Paula").await;
    let (alice, mut events) = agent_in(&server, ALICE, &ticket).await;
    server.disconnect_all().await;
    let closed = next_error(&mut events).await;
    assert!(
        matches!(closed.kind(), ConnectionErrorKind::Closed { .. }),
        "{closed:?}"
    );
    wait_status(&alice, |status| *status == Status::Connected).await;
    in_ticket_room(&server, ALICE, &ticket).await;

    // A restarted replica has lost its tickets (they live in memory): re-entering is refused,
    // and the app is told rather than left believing it is in the room.
    server.restart().await;
    let notice = next_matching(&mut events, |event| match event {
        Event::ServerNotice { message, .. } => Some(message.clone()),
        _ => None,
    });
    assert_eq!(notice.await, "Ticket não encontrado");
    assert_eq!(alice.status(), Status::Connected);
}

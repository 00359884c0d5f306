//! The engine on ConectCRM's Socket.IO gateway (namespace `/atendimento`) on a virtual clock:
//! a token refused after the namespace ack, typing without acks, tickets entered again after a
//! reconnect. The shared Socket.IO behaviour is in `engine_socket_io.rs`.

mod support;

use std::time::Duration;

use niochat_client::dialect::BackendEvent;
use niochat_client::dialect::conectcrm::ConectCrmEvent;
use niochat_client::engine::Reply;
use niochat_client::{Backend, Event, Status};
use support::{Harness, config};

const OPEN: &str =
    r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;
const ACK: &str = r#"40/atendimento,{"sid":"x"}"#;
const CONNECTED: &str = r#"42/atendimento,["connected",{"message":"Conectado","clientId":"x"}]"#;

fn harness() -> Harness {
    let mut config = config();
    config.endpoint = "ws://127.0.0.1:9".into();
    Harness::with_protocol(
        config,
        Backend::ConectCrm.protocol(),
        vec![OPEN.into(), ACK.into(), CONNECTED.into()],
    )
}

#[test]
fn accepted_then_disconnected_is_refused_credentials_refreshed_once_then_unauthorized() {
    let mut harness = harness();
    harness.engine.connect(harness.now);
    harness.pump();
    for _ in 0..2 {
        harness.open_socket();
        harness.receive_text(OPEN);
        harness.receive_text(ACK);
        assert_eq!(
            harness.engine.status(),
            &Status::Connecting,
            "not before `connected`"
        );
        harness.receive_text("41/atendimento,");
    }
    assert_eq!(harness.token_requests, [false, true]);
    assert_eq!(harness.engine.status(), &Status::Unauthorized);
    assert!(!harness.statuses().contains(&Status::Connected));
    harness.advance(Duration::from_secs(3600));
    assert_eq!(harness.token_requests.len(), 2, "no hot loop");
}

#[test]
fn typing_is_done_once_written_and_tickets_are_entered_again_after_a_reconnect() {
    let mut harness = harness();
    harness.connect_now();
    assert!(harness.events.is_empty());
    let typing = harness
        .engine
        .set_typing(harness.now, "t-1".into(), true)
        .unwrap();
    let enter = harness.engine.join(harness.now, "t-1".into()).unwrap();
    harness.pump();
    assert_eq!(
        harness.outcome(typing),
        Some(Ok(Reply::Done)),
        "never acknowledged by the gateway"
    );
    let ack_id: String = harness.sent_text()[1]["42/atendimento,".len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    harness.receive_text(format!(
        r#"43/atendimento,{ack_id}[{{"success":true,"ticketId":"t-1"}}]"#
    ));
    assert!(
        matches!(harness.outcome(enter), Some(Ok(Reply::Confirmed(payload))) if payload["ticketId"] == "t-1")
    );
    assert!(
        harness.sent_text()[0].starts_with(r#"42/atendimento,["mensagem:digitando""#),
        "the typing goes without an ack id"
    );
    harness.drop_connection();
    harness.clear();
    harness.until_open_requested();
    harness.accept();
    let sent = harness.sent_text();
    assert!(
        sent[1].ends_with(r#"["ticket:entrar",{"ticketId":"t-1"}]"#),
        "{sent:?}"
    );
    assert!(harness.events.iter().any(|event| matches!(
        event,
        Event::Backend(BackendEvent::ConectCrm(ConectCrmEvent::Connected { .. }))
    )));
}

//! The dialects of NioChat, PyTake Go and ConectCRM on the frames their real servers send
//! (`tests/servers/*/WIRE.md`, `tests/servers/pytake_go/SPEC.md`), through the public seam.

use niochat_client::AuthToken;
use niochat_client::dialect::conectcrm::{ConectCrm, ConectCrmEvent};
use niochat_client::dialect::niochat::{Endpoint, NioChat, NioChatEvent};
use niochat_client::dialect::pytake_go::{PyTakeGo, PyTakeGoEvent};
use niochat_client::dialect::{
    Answer, BackendEvent, ChatEvent, Command, DecodeError, Dialect, Inbound, Protocol, RequestId,
};
use niochat_client::model::Id;

fn read(dialect: &mut Box<dyn Dialect>, text: &str) -> Vec<Inbound> {
    let mut inbound = Vec::new();
    dialect.on_text(text, &mut inbound);
    inbound
}

fn opened(dialect: &mut Box<dyn Dialect>) -> Vec<Inbound> {
    let mut inbound = Vec::new();
    dialect.on_open(&mut inbound);
    inbound
}

#[test]
fn niochat_opens_the_endpoint_with_its_trailing_slash_and_the_key_and_is_ready_at_once() {
    let conversation = NioChat::new(Endpoint::Conversation(Id::from(42)));
    let mut dialect = conversation.dialect(Some(AuthToken::new("0123abcd")));
    let url = dialect.connect_request("ws://localhost:8010").url;
    assert_eq!(
        url.expose(),
        "ws://localhost:8010/ws/conversations/42/?token=0123abcd"
    );
    assert_eq!(
        url.to_string(),
        "ws://localhost:8010/ws/conversations/42/?token=***"
    );
    assert!(matches!(&opened(&mut dialect)[..], [Inbound::Ready(_)]));
    let painel = NioChat::new(Endpoint::Painel(Id::from(1))).dialect(None);
    assert_eq!(
        painel.connect_request("wss://h/").url.expose(),
        "wss://h/ws/painel/1/"
    );
    // A gateway's query stays, a `ws` prefix is not doubled, ids cannot add segments.
    assert_eq!(
        dialect
            .connect_request("wss://gw/niochat/ws/?apikey=k#x")
            .url
            .expose(),
        "wss://gw/niochat/ws/conversations/42/?apikey=k&token=0123abcd"
    );
    let odd = NioChat::new(Endpoint::User(Id::from("a/b?c"))).dialect(None);
    assert_eq!(
        odd.connect_request("ws://h").url.expose(),
        "ws://h/ws/user/a%2Fb%3Fc/"
    );
}

#[test]
fn niochat_messages_deletions_reactions_relays_and_frames_without_type() {
    let mut dialect = NioChat::new(Endpoint::Conversation(Id::from(1))).dialect(None);
    let stored = r#"{"type": "message", "message": {"id": 1, "conversation": 1, "message_type": "incoming", "content": "Oi", "is_from_customer": true, "created_at": "2026-11-23T17:44:42.324714-03:00", "additional_attributes": {}}, "sender": null, "timestamp": "2026-11-23T20:44:42+00:00"}"#;
    let message = read(&mut dialect, stored);
    let [Inbound::Event(ChatEvent::Message(message))] = &message[..] else {
        panic!("{message:?}")
    };
    assert_eq!(
        (message.id.clone(), message.role.as_deref()),
        (Id::from(1), Some("customer"))
    );
    let deleted = stored.replace(r#""additional_attributes": {}"#, r#""additional_attributes": {"status": "deleted", "deleted_at": "2026-11-23 20:44:42.9", "deleted_by": "client"}"#);
    let deletion = read(&mut dialect, &deleted);
    let [Inbound::Event(ChatEvent::MessageDeleted(deletion))] = &deletion[..] else {
        panic!("{deletion:?}")
    };
    assert_eq!(
        (deletion.message_id.clone(), deletion.deleted_by.clone()),
        (Id::from(1), Some(Id::from("client")))
    );
    let customer_reaction = read(
        &mut dialect,
        r#"{"type": "message_updated", "action": "reaction_updated", "message": null, "sender": null, "timestamp": "t"}"#,
    );
    assert!(matches!(
        &customer_reaction[..],
        [Inbound::Event(ChatEvent::Backend(BackendEvent::NioChat(
            NioChatEvent::Reaction(_)
        )))]
    ));
    for relay in [
        r#"{"type": "message", "message": "texto simples", "sender": null, "timestamp": null}"#,
        // A client's relay may carry an id of its own, or look stored but name a sender.
        r#"{"type": "message", "message": {"id": 5, "content": "x"}, "sender": null, "timestamp": null}"#,
        r#"{"type": "message", "message": {"id": 5, "conversation": 1, "content": "x"}, "sender": "agent", "timestamp": null}"#,
    ] {
        let relay = read(&mut dialect, relay);
        assert!(
            matches!(
                &relay[..],
                [Inbound::Event(ChatEvent::Backend(BackendEvent::NioChat(
                    NioChatEvent::Relayed { .. }
                )))]
            ),
            "{relay:?}"
        );
    }
    let reaction_on_deleted = deleted.replace(
        r#""type": "message""#,
        r#""type": "message_updated", "action": "reaction_updated""#,
    );
    assert!(matches!(
        &read(&mut dialect, &reaction_on_deleted)[..],
        [Inbound::Event(ChatEvent::MessageDeleted(_))]
    ));
    let reaction = stored.replace(
        r#""type": "message""#,
        r#""type": "message_updated", "action": "reaction_updated""#,
    );
    assert!(matches!(
        &read(&mut dialect, &reaction)[..],
        [Inbound::Event(ChatEvent::MessageUpdated(_))]
    ));
    let typing = read(
        &mut dialect,
        r#"{"type": "typing", "user": "agente2", "is_typing": true}"#,
    );
    assert!(
        matches!(&typing[..], [Inbound::Event(ChatEvent::Typing(t))] if t.conversation_id == Id::from(1))
    );
    assert!(
        matches!(
            &read(&mut dialect, r#"{"type": "pong", "timestamp": "t"}"#)[..],
            [Inbound::Answer {
                outcome: Ok(Answer::Pong),
                ..
            }]
        ),
        "a pong answers our ping"
    );
    assert!(dialect.expects_answer(&Command::Ping));
    assert!(!dialect.expects_answer(&Command::Typing {
        conversation_id: Id::from(1),
        is_typing: true
    }));
    let untyped = read(
        &mut dialect,
        r#"{"action": "update_conversation", "conversation": {"id": 3}}"#,
    );
    assert!(matches!(
        &untyped[..],
        [Inbound::Event(ChatEvent::Backend(BackendEvent::NioChat(
            NioChatEvent::DashboardConversation { .. }
        )))]
    ));
    assert!(matches!(
        &read(&mut dialect, "[1]")[..],
        [Inbound::Malformed(DecodeError::WrongShape { .. })]
    ));
    assert!(matches!(
        &read(&mut dialect, r#"{"type": "brand_new"}"#)[..],
        [Inbound::Unknown(_)]
    ));
}

#[test]
fn niochat_documented_dashboard_events() {
    let mut dialect = NioChat::new(Endpoint::Dashboard).dialect(None);
    let chat = read(
        &mut dialect,
        r#"{"type": "chat_message", "data": {"conversation_id": 1, "message": {"id": 1, "content": "Nova mensagem", "sender": "customer", "timestamp": "2024-01-01T10:00:00Z", "message_type": "text"}}}"#,
    );
    assert!(
        matches!(&chat[..], [Inbound::Event(ChatEvent::Message(m))] if m.conversation_id == Id::from(1))
    );
    let deleted = read(
        &mut dialect,
        r#"{"type": "message_deleted", "data": {"message_id": 1, "deleted_by": 2}}"#,
    );
    assert!(matches!(
        &deleted[..],
        [Inbound::Event(ChatEvent::MessageDeleted(_))]
    ));
    let status = read(
        &mut dialect,
        r#"{"type": "user_status", "data": {"user_id": 1, "status": "online", "last_seen": "2024-01-01T10:00:00Z"}}"#,
    );
    assert!(matches!(
        &status[..],
        [Inbound::Event(ChatEvent::Presence(_))]
    ));
    for kind in [
        "dashboard_metrics",
        "csat_update",
        "audit_log",
        "message_reaction",
    ] {
        let frame = format!(r#"{{"type": "{kind}", "data": {{"x": 1}}}}"#);
        assert!(
            matches!(
                &read(&mut dialect, &frame)[..],
                [Inbound::Event(ChatEvent::Backend(_))]
            ),
            "{kind}"
        );
    }
}

#[test]
fn pytake_go_sends_its_auth_frame_is_ready_at_once_and_reads_both_vocabularies() {
    let protocol = PyTakeGo {
        user_id: Some(Id::from("agent-1")),
    };
    let mut dialect = protocol.dialect(Some(AuthToken::new("jwt")));
    assert_eq!(
        dialect.connect_request("ws://h:8080").url.expose(),
        "ws://h:8080/api/v1/conversations/ws"
    );
    let open = opened(&mut dialect);
    let [Inbound::Write(frame), Inbound::Ready(session)] = &open[..] else {
        panic!("{open:?}")
    };
    let auth: serde_json::Value = serde_json::from_str(&frame.0).unwrap();
    assert_eq!(
        auth,
        serde_json::json!({"type": "auth", "token": "jwt", "user_id": "agent-1"})
    );
    assert!(
        !format!("{open:?}").contains("jwt\""),
        "the frame prints redacted"
    );
    assert_eq!(session.user_id, Some(Id::from("agent-1")));
    let real = read(
        &mut dialect,
        "{\"data\":{\"content\":\"Olá\",\"conversation_id\":\"c\",\"created_at\":\"2025-08-26T13:32:03Z\",\"id\":\"m\",\"is_from_me\":false,\"sender\":{\"agent\":false,\"customer\":true},\"status\":\"received\",\"type\":\"text\",\"wamid\":\"w\"},\"type\":\"new_message\"}\n",
    );
    assert!(
        matches!(&real[..], [Inbound::Event(ChatEvent::Message(m))] if m.role.as_deref() == Some("customer"))
    );
    let stats = read(
        &mut dialect,
        r#"{"data":{"active_conversations":1,"messages_today":2,"unread_count":3},"type":"stats_update"}"#,
    );
    assert!(matches!(
        &stats[..],
        [Inbound::Event(ChatEvent::Backend(BackendEvent::PyTakeGo(
            PyTakeGoEvent::Stats {
                unread_count: Some(3),
                ..
            }
        )))]
    ));
    let documented = read(
        &mut dialect,
        r#"{"type":"typing_stop","data":{"conversation_id":"c","contact_id":"k"}}"#,
    );
    assert!(matches!(&documented[..], [Inbound::Event(ChatEvent::Typing(t))] if !t.is_typing));
    let status = read(
        &mut dialect,
        r#"{"type":"message_status_updated","data":{"message_id":"m","status":"read","conversation_id":"c"}}"#,
    );
    assert!(matches!(
        &status[..],
        [Inbound::Event(ChatEvent::MessageStatus(_))]
    ));
    // The real status names WhatsApp's id; a frame with both ids is the documented one.
    let real_status = read(
        &mut dialect,
        r#"{"data":{"status":"delivered","wamid":"wamid.X"},"type":"status_update"}"#,
    );
    assert!(matches!(
        &real_status[..],
        [Inbound::Event(ChatEvent::Backend(BackendEvent::PyTakeGo(
            PyTakeGoEvent::WhatsAppStatus { wamid, .. }
        )))] if wamid == "wamid.X"
    ));
    let both = read(
        &mut dialect,
        r#"{"type":"status_update","data":{"message_id":"m","wamid":"w","status":"read"}}"#,
    );
    assert!(
        matches!(&both[..], [Inbound::Event(ChatEvent::MessageStatus(s))] if s.message_id == Id::from("m"))
    );
    let both = read(
        &mut dialect,
        r#"{"type":"typing_start","data":{"conversation_id":"c","contact_id":"k","user_id":"u"}}"#,
    );
    assert!(
        matches!(&both[..], [Inbound::Event(ChatEvent::Typing(t))] if t.user_id == Id::from("k"))
    );
    assert!(
        dialect.encode(RequestId::new(1), &Command::Ping).is_err(),
        "nothing to send"
    );
}

#[test]
fn conectcrm_is_ready_on_connected_and_a_disconnect_right_after_the_ack_is_a_refusal() {
    let mut dialect = ConectCrm.dialect(Some(AuthToken::new("jwt")));
    let open = read(
        &mut dialect,
        r#"0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#,
    );
    assert!(
        matches!(&open[1], Inbound::Write(frame) if frame.0 == r#"40/atendimento,{"token":"jwt"}"#)
    );
    assert!(
        read(&mut dialect, r#"40/atendimento,{"sid":"x"}"#).is_empty(),
        "not yet: the gateway checks after acking"
    );
    let refused = read(&mut dialect, "41/atendimento,");
    assert!(matches!(&refused[..], [Inbound::AuthRefused { .. }]));

    let mut accepted = ConectCrm.dialect(Some(AuthToken::new("jwt")));
    read(&mut accepted, r#"40/atendimento,{"sid":"x"}"#);
    assert!(read(&mut accepted, r#"42/atendimento,["atendente:online",{"userId":"u","timestamp":"2026-11-23T20:44:05.354Z"}]"#).is_empty());
    let ready = read(
        &mut accepted,
        r#"42/atendimento,["connected",{"message":"Conectado ao servidor de atendimento","clientId":"x"}]"#,
    );
    assert!(
        matches!(&ready[0], Inbound::Ready(session) if session.session_id.as_deref() == Some("x"))
    );
    assert!(
        matches!(&ready[1], Inbound::Event(ChatEvent::Presence(_))),
        "the early presence, after"
    );
    assert!(matches!(
        &ready[2],
        Inbound::Event(ChatEvent::Backend(BackendEvent::ConectCrm(
            ConectCrmEvent::Connected { .. }
        )))
    ));
    // The greeting may come before the CONNECT ack: ready on the ack, then.
    let mut greeted_first = ConectCrm.dialect(Some(AuthToken::new("jwt")));
    assert!(read(&mut greeted_first, r#"42/atendimento,["connected",{}]"#).is_empty());
    let ready = read(&mut greeted_first, r#"40/atendimento,{"sid":"y"}"#);
    assert!(
        matches!(
            &ready[..],
            [Inbound::Ready(_), Inbound::Event(ChatEvent::Backend(_))]
        ),
        "{ready:?}"
    );
    let later = read(&mut accepted, "41/atendimento,");
    assert!(
        matches!(&later[..], [Inbound::Closing { .. }]),
        "once ready, a disconnect is a disconnect"
    );
}

#[test]
fn conectcrm_commands_and_both_shapes_of_its_messages() {
    let mut dialect = ConectCrm.dialect(None);
    let enter = dialect
        .encode(RequestId::new(1), &Command::Join(Id::from("t-1")))
        .unwrap();
    assert!(
        enter.starts_with("42/atendimento,")
            && enter.ends_with(r#"["ticket:entrar",{"ticketId":"t-1"}]"#)
    );
    let typing = Command::Typing {
        conversation_id: Id::from("t-1"),
        is_typing: true,
    };
    assert!(
        !dialect.expects_answer(&typing),
        "mensagem:digitando is never acknowledged"
    );
    let typing_frame = dialect.encode(RequestId::new(2), &typing).unwrap();
    assert!(
        typing_frame.starts_with(r#"42/atendimento,["mensagem:digitando""#),
        "sent without an ack id, so no answer is waited for: {typing_frame}"
    );
    // An answer the engine stopped waiting for is let go, and one that comes late is no
    // answer to anything.
    dialect.forget(RequestId::new(1));
    assert!(read(&mut dialect, r#"43/atendimento,1[{"success":true}]"#).is_empty());
    let stop = Command::Typing {
        conversation_id: Id::from("t-1"),
        is_typing: false,
    };
    assert!(
        dialect.encode(RequestId::new(1), &stop).is_err(),
        "no frame to stop typing"
    );
    let mut ready = ConectCrm.dialect(None);
    read(&mut ready, r#"40/atendimento,{"sid":"x"}"#);
    read(&mut ready, r#"42/atendimento,["connected",{}]"#);
    let string = read(
        &mut ready,
        r#"42/atendimento,["nova_mensagem",{"empresaId":"e","ticketId":"t","tipo":"TEXTO","conteudo":"Olá","remetente":"CLIENTE","id":"m1","createdAt":"2026-11-23T20:44:12.488Z"}]"#,
    );
    assert!(
        matches!(&string[..], [Inbound::Event(ChatEvent::Message(m))] if m.role.as_deref() == Some("cliente") && m.created_at.is_some())
    );
    let object = read(
        &mut ready,
        r#"42/atendimento,["nova_mensagem",{"id":"m2","ticketId":"t","remetente":{"id":"m2","nome":"Atendente","foto":null,"tipo":"atendente"},"conteudo":"Oi","timestamp":"2026-11-23T20:44:13.096Z","status":"enviado","anexos":[],"criadoEm":"2026-11-23T20:44:13.096Z"}]"#,
    );
    assert!(
        matches!(&object[..], [Inbound::Event(ChatEvent::Message(m))] if m.role.as_deref() == Some("atendente") && m.user_id.is_none())
    );
    for numero in ["42", r#""42""#] {
        let ticket = read(
            &mut ready,
            &format!(
                r#"42/atendimento,["novo_ticket",{{"id":"t","numero":{numero},"status":"FILA"}}]"#
            ),
        );
        assert!(
            matches!(&ticket[..], [Inbound::Event(ChatEvent::Backend(BackendEvent::ConectCrm(ConectCrmEvent::NewTicket(t))))] if t.numero == Some(Id::from(42))),
            "{ticket:?}"
        );
    }
    let exception = read(
        &mut ready,
        r#"42/atendimento,["exception",{"status":"error","message":"Internal server error"}]"#,
    );
    assert!(matches!(
        &exception[..],
        [Inbound::Event(ChatEvent::ServerNotice { .. })]
    ));
}

#[test]
fn conectcrm_knows_the_agent_from_the_token_so_that_its_own_echoes_are_told_apart() {
    // The gateway's `connected` names only the socket; the JWT's `sub` is the agent. The
    // token is read, not verified (the server does that), and a token that is no JWT names
    // nobody.
    let claims = r#"{"sub":"agent-7","empresa_id":"e","role":"atendente"}"#;
    let payload = data_encoding::BASE64URL_NOPAD.encode(claims.as_bytes());
    let token = format!("eyJhbGciOiJIUzI1NiJ9.{payload}.signature");
    let ready_with = |token: &str| {
        let mut dialect = ConectCrm.dialect(Some(AuthToken::new(token)));
        read(&mut dialect, r#"40/atendimento,{"sid":"x"}"#);
        let ready = read(
            &mut dialect,
            r#"42/atendimento,["connected",{"clientId":"x"}]"#,
        );
        match &ready[0] {
            Inbound::Ready(session) => session.user_id.clone(),
            other => panic!("not ready: {other:?}"),
        }
    };
    assert_eq!(ready_with(&token), Some(Id::from("agent-7")));
    assert_eq!(ready_with("not-a-jwt"), None);
}

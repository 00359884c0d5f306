//! The Socket.IO dialect on the frames a real python-socketio 5.18 server sends
//! (`tests/servers/WIRE.md`), through the PyTake preset.

use serde_json::json;

use super::engine_io_url;
use crate::AuthToken;
use crate::dialect::pytake::{PyTake, PyTakeEvent};
use crate::dialect::{
    Answer, AnswerTo, BackendEvent, ChatEvent, Command, CommandKind, DecodeError, Dialect, Inbound,
    Protocol, RequestId,
};
use crate::model::{Content, Id};

fn dialect() -> Box<dyn Dialect> {
    PyTake.dialect(Some(AuthToken::new("jwt-secret")))
}

fn read(dialect: &mut Box<dyn Dialect>, text: &str) -> Vec<Inbound> {
    let mut inbound = Vec::new();
    dialect.on_text(text, &mut inbound);
    inbound
}

const OPEN: &str = r#"0{"sid":"3IaX21mOWfNWPwWSAAAA","upgrades":[],"pingTimeout":20000,"pingInterval":25000,"maxPayload":1000000}"#;

#[test]
fn the_url_gets_engine_io_path_and_query_and_no_token() {
    let dialect = dialect();
    let request = dialect.connect_request("ws://127.0.0.1:8000");
    assert_eq!(
        request.url.expose(),
        "ws://127.0.0.1:8000/socket.io/?EIO=4&transport=websocket"
    );
    assert_eq!(
        engine_io_url("wss://h/api/socket.io/?x=1"),
        "wss://h/api/socket.io/?x=1&EIO=4&transport=websocket"
    );
    assert_eq!(
        engine_io_url("ws://h:1/"),
        "ws://h:1/socket.io/?EIO=4&transport=websocket"
    );
}

#[test]
fn the_open_packet_gives_the_timing_and_the_token_goes_in_connect() {
    let mut dialect = dialect();
    let inbound = read(&mut dialect, OPEN);
    assert_eq!(
        inbound[0],
        Inbound::ServerPing {
            interval: std::time::Duration::from_secs(25),
            timeout: std::time::Duration::from_secs(20),
        }
    );
    assert_eq!(
        inbound[1],
        Inbound::Write(r#"40{"token":"jwt-secret"}"#.into())
    );
}

#[test]
fn events_before_the_connect_ack_are_delivered_after_it_with_the_user() {
    let mut dialect = dialect();
    read(&mut dialect, OPEN);
    let early = read(
        &mut dialect,
        r#"42["connected",{"message":"Connected to PyTake WebSocket","user_id":"user-1"}]"#,
    );
    assert!(early.is_empty(), "kept until the ack: {early:?}");
    let ready = read(&mut dialect, r#"40{"sid":"uxYed2fcLE0PfcJXAAAB"}"#);
    let Inbound::Ready(session) = &ready[0] else {
        panic!("{ready:?}")
    };
    assert_eq!(session.user_id, Some(Id::from("user-1")));
    assert_eq!(session.session_id.as_deref(), Some("uxYed2fcLE0PfcJXAAAB"));
    assert!(matches!(
        &ready[1],
        Inbound::Event(ChatEvent::Backend(BackendEvent::PyTake(
            PyTakeEvent::Connected { .. }
        )))
    ));
}

#[test]
fn server_pings_are_answered_and_refusals_are_auth_failures() {
    let mut dialect = dialect();
    assert_eq!(read(&mut dialect, "2"), [Inbound::Write("3".into())]);
    assert_eq!(
        read(
            &mut dialect,
            r#"44{"message":"Connection rejected by server"}"#
        ),
        [Inbound::AuthRefused {
            reason: "Connection rejected by server".into()
        }]
    );
    assert!(matches!(
        &read(&mut dialect, "41")[..],
        [Inbound::Closing { .. }]
    ));
}

#[test]
fn commands_carry_ack_ids_and_acks_answer_them() {
    let mut dialect = dialect();
    let join = dialect
        .encode(RequestId(7), &Command::Join("c1".into()))
        .unwrap();
    assert_eq!(join, r#"427["join_conversation",{"conversation_id":"c1"}]"#);
    let ping = dialect.encode(RequestId(8), &Command::Ping).unwrap();
    assert_eq!(
        ping, r#"428["ping"]"#,
        "no argument: the real handler crashes on one"
    );
    let typing = Command::Typing {
        conversation_id: "c1".into(),
        is_typing: false,
    };
    assert!(
        dialect
            .encode(RequestId(9), &typing)
            .unwrap()
            .contains("typing_stop")
    );
    read(&mut dialect, r#"40{"sid":"s"}"#);
    read(
        &mut dialect,
        r#"42["joined_conversation",{"conversation_id":"c1","message":"Joined conversation c1"}]"#,
    );
    assert_eq!(
        read(&mut dialect, "437[]"),
        [Inbound::Answer {
            to: AnswerTo::Request(RequestId(7)),
            outcome: Ok(Answer::Done(serde_json::Value::Null)),
        }]
    );
    assert_eq!(
        read(&mut dialect, "438[]"),
        [Inbound::Answer {
            to: AnswerTo::Request(RequestId(8)),
            outcome: Ok(Answer::Pong),
        }]
    );
    assert!(
        read(&mut dialect, "4399[]").is_empty(),
        "an ack for nothing of ours"
    );
    let message = Command::Message {
        conversation_id: "c1".into(),
        content: "hi".into(),
    };
    let unsupported = dialect.encode(RequestId(10), &message).unwrap_err();
    assert_eq!(unsupported.command, CommandKind::Message);
}

#[test]
fn pytake_events_map_to_the_chat_vocabulary() {
    let mut dialect = dialect();
    read(&mut dialect, r#"40{"sid":"s"}"#);
    let new = json!(["message:new", {
        "id": "m1", "conversation_id": "c1", "direction": "outbound", "sender_type": "agent",
        "sender_id": "user-1", "message_type": "text", "content": {"text": "Olá"},
        "status": "sent", "created_at": "2025-12-07T10:00:00+00:00", "whatsapp_message_id": null
    }]);
    let inbound = read(&mut dialect, &format!("42{new}"));
    let [Inbound::Event(ChatEvent::Message(message))] = &inbound[..] else {
        panic!("{inbound:?}")
    };
    assert_eq!(message.content.text(), Some("Olá"));
    assert!(matches!(message.content, Content::Structured(_)));
    assert_eq!(message.role.as_deref(), Some("agent"));
    assert_eq!(message.user_id, Some(Id::from("user-1")));
    assert!(message.created_at.as_ref().unwrap().to_utc().is_some());
    let typing = read(
        &mut dialect,
        r#"42["user_typing",{"conversation_id":"c1","user_id":"u2","typing":true}]"#,
    );
    assert!(matches!(&typing[..], [Inbound::Event(ChatEvent::Typing(t))] if t.is_typing));
    let status = read(
        &mut dialect,
        r#"42["message:status",{"message_id":"m1","status":"delivered","timestamp":"now"}]"#,
    );
    assert!(matches!(
        &status[..],
        [Inbound::Event(ChatEvent::MessageStatus(_))]
    ));
    let presence = read(
        &mut dialect,
        r#"42["user:status",{"user_id":"u2","status":"away"}]"#,
    );
    assert!(matches!(
        &presence[..],
        [Inbound::Event(ChatEvent::Presence(_))]
    ));
    let notice = read(
        &mut dialect,
        r#"42["error",{"message":"Invalid conversation_id format"}]"#,
    );
    assert!(matches!(
        &notice[..],
        [Inbound::Event(ChatEvent::ServerNotice { .. })]
    ));
    let pong = read(&mut dialect, r#"42["pong",{"timestamp":"now"}]"#);
    assert!(matches!(
        &pong[..],
        [Inbound::Event(ChatEvent::Backend(BackendEvent::PyTake(
            PyTakeEvent::Pong { .. }
        )))]
    ));
}

#[test]
fn bad_input_is_typed_and_keeps_the_text() {
    let mut dialect = dialect();
    read(&mut dialect, r#"40{"sid":"s"}"#);
    let unknown = read(&mut dialect, r#"42["reaction",{"emoji":"👍"}]"#);
    assert!(
        matches!(&unknown[..], [Inbound::Unknown(frame)] if frame.kind.as_deref() == Some("reaction"))
    );
    let invalid = read(&mut dialect, r#"42["user_typing",{"typing":"yes"}]"#);
    assert!(matches!(
        &invalid[..],
        [Inbound::Malformed(DecodeError::InvalidFrame { .. })]
    ));
    let binary = read(
        &mut dialect,
        r#"451-["upload",{"_placeholder":true,"num":0}]"#,
    );
    assert!(matches!(
        &binary[..],
        [Inbound::Malformed(DecodeError::Unsupported { .. })]
    ));
    let mut attachments = Vec::new();
    dialect.on_binary(&[1, 2, 3], &mut attachments);
    assert!(
        attachments.is_empty(),
        "the attachment of the packet reported above"
    );
    for garbage in ["", "x", "4", "42", "42{}", "42[1]", "43[]", "0{"] {
        let inbound = read(&mut dialect, garbage);
        assert!(
            inbound.iter().all(|item| matches!(
                item,
                Inbound::Malformed(_) | Inbound::Write(_) | Inbound::ServerPing { .. }
            )),
            "{garbage:?} → {inbound:?}"
        );
    }
}

/// Events whose name is read by hand and arguments left to the preset are still checked
/// whole: a broken array is the same typed error as before, for every kind of event, and is
/// not acknowledged.
#[test]
fn broken_event_arrays_are_wrong_shapes_whoever_reads_them() {
    let mut dialect = dialect();
    read(&mut dialect, r#"40{"sid":"s"}"#);
    for broken in [
        r#"42["message:new",{"id":}]"#,
        r#"42["reaction",{"emoji":]"#,
        r#"42["user_typing",{"typing":true},]"#,
        r#"4207["user:status",{"user_id":"u2"]"#,
        r#"42["message:new",{"id":"m1"} {"id":"m2"}]"#,
    ] {
        let inbound = read(&mut dialect, broken);
        assert!(
            matches!(&inbound[..], [Inbound::Malformed(DecodeError::WrongShape { reason, raw })]
                if reason.contains("JSON array") && raw == broken),
            "{broken} → {inbound:?}"
        );
    }
    // Two arguments are split in full, and the first is read as before.
    let two = read(
        &mut dialect,
        r#"42["user:status",{"user_id":"u2","status":"online"},"extra"]"#,
    );
    assert!(
        matches!(&two[..], [Inbound::Event(ChatEvent::Presence(presence))] if presence.user_id == Id::from("u2"))
    );
}

#[test]
fn an_event_the_server_wants_acknowledged_is_acknowledged() {
    let mut dialect = dialect();
    read(&mut dialect, r#"40{"sid":"s"}"#);
    let inbound = read(
        &mut dialect,
        r#"4212["user:status",{"user_id":"u2","status":"online"}]"#,
    );
    assert_eq!(inbound[0], Inbound::Write("4312[]".into()));
    assert!(matches!(inbound[1], Inbound::Event(ChatEvent::Presence(_))));
}

#[test]
fn binary_packets_settle_our_request_ack_the_servers_and_swallow_their_attachments() {
    let mut dialect = dialect();
    read(&mut dialect, r#"40{"sid":"s"}"#);
    dialect
        .encode(RequestId(5), &Command::Join("c1".into()))
        .unwrap();
    // Our join answered with an attachment: settled now, as an answer that cannot be read.
    let answer = read(&mut dialect, r#"461-5[{"_placeholder":true,"num":0}]"#);
    assert!(
        matches!(
            &answer[..],
            [
                Inbound::UnreadableAnswer {
                    to: AnswerTo::Request(RequestId(5)),
                },
                Inbound::Malformed(DecodeError::Unsupported { .. }),
            ]
        ),
        "{answer:?}"
    );
    let mut after = Vec::new();
    dialect.on_binary(&[1], &mut after);
    assert!(after.is_empty(), "its attachment belongs to it");

    // An event the server wants acknowledged, with two attachments: acknowledged.
    let event = read(
        &mut dialect,
        r#"452-12["upload",{"_placeholder":true,"num":0}]"#,
    );
    assert_eq!(event[0], Inbound::Write("4312[]".into()));
    dialect.on_binary(&[1], &mut after);
    dialect.on_binary(&[2], &mut after);
    assert!(after.is_empty(), "both attachments belong to it");

    // Another namespace's binary packet: its attachment is still its own.
    read(
        &mut dialect,
        r#"451-/admin,["x",{"_placeholder":true,"num":0}]"#,
    );
    dialect.on_binary(&[1], &mut after);
    assert!(after.is_empty(), "{after:?}");
    dialect.on_binary(&[1], &mut after);
    assert!(matches!(
        after[..],
        [Inbound::Malformed(DecodeError::Binary { len: 1 })]
    ));
}

#[test]
fn a_sub_second_interval_announced_as_zero_is_taken_as_a_second() {
    // python-engineio truncates its interval to whole seconds in the open packet.
    let mut dialect = dialect();
    let inbound = read(
        &mut dialect,
        r#"0{"sid":"x","upgrades":[],"pingTimeout":200,"pingInterval":0,"maxPayload":1000000}"#,
    );
    assert_eq!(
        inbound[0],
        Inbound::ServerPing {
            interval: std::time::Duration::from_secs(1),
            timeout: std::time::Duration::from_millis(200),
        }
    );
}

#[test]
fn a_join_pytake_refused_resolves_with_its_error_although_it_was_acknowledged() {
    let mut dialect = dialect();
    read(&mut dialect, r#"40{"sid":"s"}"#);
    dialect
        .encode(RequestId(3), &Command::Join("c1".into()))
        .unwrap();
    read(
        &mut dialect,
        r#"42["error",{"message":"Invalid conversation_id format"}]"#,
    );
    let answer = read(&mut dialect, "433[]");
    let [
        Inbound::Answer {
            outcome: Err(rejection),
            ..
        },
    ] = &answer[..]
    else {
        panic!("{answer:?}")
    };
    assert_eq!(rejection.message, "Invalid conversation_id format");
}

#[test]
fn frames_with_tokens_never_print() {
    let mut dialect = dialect();
    let inbound = read(&mut dialect, OPEN);
    let printed = format!("{inbound:?}");
    assert!(!printed.contains("jwt-secret"), "{printed}");
    assert!(printed.contains("Frame(24 bytes)"), "{printed}");
}

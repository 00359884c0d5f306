//! The protocol-001 dialect: what each server frame means to the engine, and how each
//! command is written (the frames themselves are round-tripped in `tests.rs`).

use serde_json::{Value, json};

use super::*;
use crate::dialect::{Answer, AnswerTo, ChatEvent, Command, Inbound, Protocol, RequestId};
use crate::model::{ErrorCode, Id, PresenceStatus};

fn read(text: &str) -> Vec<Inbound> {
    let mut inbound = Vec::new();
    Renum.dialect(None).on_text(text, &mut inbound);
    inbound
}

#[test]
fn the_session_is_ready_on_connected_not_when_the_socket_opens() {
    let mut dialect = Renum.dialect(Some(crate::AuthToken::new("t")));
    let mut opened = Vec::new();
    dialect.on_open(&mut opened);
    assert!(
        opened.is_empty(),
        "the session waits for the server's `connected`"
    );
    let ready = read(r#"{"type":"connected","user_id":"u1","timestamp":"2025-12-07T10:00:00"}"#);
    assert!(
        matches!(&ready[..], [Inbound::Ready(session)] if session.user_id == Some(Id::from("u1")))
    );
}

#[test]
fn every_reply_and_every_error_answers_the_oldest_request() {
    for reply in [
        json!({"type": "message_sent", "message_id": "s1"}),
        json!({"type": "error", "error": "Message content cannot be empty", "code": "VALIDATION_ERROR"}),
        json!({"type": "typing_sent", "success": true}),
        json!({"type": "joined", "conversation_id": "c", "success": true}),
        json!({"type": "pong"}),
        json!({"type": "sync_data", "conversation_id": "c", "messages": []}),
    ] {
        let inbound = read(&reply.to_string());
        assert!(
            matches!(
                &inbound[..],
                [Inbound::Answer {
                    to: AnswerTo::Oldest,
                    ..
                }]
            ),
            "{reply} → {inbound:?}"
        );
    }
    let error = read(r#"{"type":"error","error":"empty","code":"VALIDATION_ERROR"}"#);
    let [
        Inbound::Answer {
            outcome: Err(rejection),
            ..
        },
    ] = &error[..]
    else {
        panic!("{error:?}")
    };
    assert_eq!(rejection.code, Some(ErrorCode::ValidationError));
    let stored = read(r#"{"type":"message_sent","message_id":"s1"}"#);
    assert!(matches!(
        &stored[..],
        [Inbound::Answer {
            outcome: Ok(Answer::Stored { .. }),
            ..
        }]
    ));
}

#[test]
fn pushed_frames_are_chat_events_and_damaged_answers_still_count() {
    let message =
        read(r#"{"type":"message","message":{"id":"m","conversation_id":"c","content":"hi"}}"#);
    assert!(matches!(
        &message[..],
        [Inbound::Event(ChatEvent::Message(_))]
    ));
    let damaged = read(r#"{"type":"message_sent"}"#);
    assert!(matches!(
        &damaged[..],
        [
            Inbound::Malformed(_),
            Inbound::UnreadableAnswer {
                to: AnswerTo::Oldest
            }
        ]
    ));
    let damaged_push = read(r#"{"type":"typing","is_typing":"yes"}"#);
    assert!(matches!(&damaged_push[..], [Inbound::Malformed(_)]));
}

#[test]
fn commands_encode_to_the_documented_frames_with_the_token_in_the_query() {
    let mut dialect = Renum.dialect(Some(crate::AuthToken::new("a b")));
    let request = dialect.connect_request("ws://h/ws");
    assert_eq!(request.url.expose(), "ws://h/ws?token=a%20b");
    assert_eq!(request.url.to_string(), "ws://h/ws?token=***");
    let sync = Command::Sync {
        conversation_id: "c".into(),
        after: Some("m1".into()),
    };
    let text = dialect.encode(RequestId(1), &sync).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"type": "sync", "conversation_id": "c", "last_message_id": "m1"})
    );
    assert_eq!(
        dialect.encode(RequestId(2), &Command::Ping).unwrap(),
        r#"{"type":"ping"}"#
    );
}

#[test]
fn every_frame_fits_its_texts_escaped_plus_the_overhead() {
    let mut dialect = Renum.dialect(None);
    let overhead = Renum.frame_overhead().unwrap();
    for text in ["", "a", "\u{1}\u{1f}\"\\", "🙂"] {
        let ids = [Id::from(text), Id::Number(i64::MIN)];
        for id in ids {
            let commands = [
                Command::Message {
                    conversation_id: id.clone(),
                    content: text.repeat(10),
                },
                Command::Typing {
                    conversation_id: id.clone(),
                    is_typing: false,
                },
                Command::Read {
                    conversation_id: id.clone(),
                    message_id: id.clone(),
                },
                Command::Sync {
                    conversation_id: id.clone(),
                    after: Some(id.clone()),
                },
                Command::Ping,
                Command::Presence(PresenceStatus::Offline),
                Command::Presence(PresenceStatus::from(text)),
                Command::Join(id.clone()),
                Command::Leave(id.clone()),
            ];
            for command in commands {
                let written = dialect.encode(RequestId(u64::MAX), &command).unwrap();
                let bound = 6 * command.text_bytes().unwrap() + overhead;
                assert!(written.len() <= bound, "{written} over {bound}");
            }
        }
    }
}

#[test]
fn a_message_is_written_exactly_as_its_client_frame() {
    let mut dialect = Renum.dialect(None);
    let contents = [
        "hello",
        "",
        "quote \" back\\slash",
        "\u{1}\n\t ção 🙂",
        "</script>",
    ];
    for (n, content) in contents.into_iter().enumerate() {
        for conversation_id in [Id::from("c1"), Id::Number(7), Id::from("é\"")] {
            let command = Command::Message {
                conversation_id: conversation_id.clone(),
                content: content.to_owned(),
            };
            let frame = ClientFrame::Message(SendMessage {
                conversation_id,
                content: content.to_owned(),
            });
            let written = dialect.encode(RequestId(n as u64), &command).unwrap();
            assert_eq!(written, frame.to_text());
            assert_eq!(JsonCodec.decode_client(&written).unwrap(), frame);
        }
    }
}

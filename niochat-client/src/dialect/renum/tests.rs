//! Round trips for every frame, starting from the seed document's examples.
//!
//! The seed writes TypeScript object literals (`{ type: 'ping' }`, `status: 'online' | ...`,
//! `messages: [...]`); they are transcribed here to the JSON a server sends, keeping every value,
//! including the `2025-12-07T...` placeholders.

use serde_json::{Value, json};

use super::*;
use crate::dialect::DecodeError;
use crate::model::{ErrorCode, Id, PresenceStatus};

fn server_round_trip(wire: Value) -> ServerFrame {
    let frame = JsonCodec.decode_server(&wire.to_string()).expect("decodes");
    assert_eq!(
        ServerFrame::from_json(wire.clone()).expect("decodes as a value"),
        frame,
        "the one-pass reader and the value reader agree"
    );
    assert_eq!(frame.to_json(), wire, "re-encodes exactly");
    assert_eq!(
        serde_json::to_value(&frame).unwrap(),
        wire,
        "Serialize agrees"
    );
    frame
}

fn client_round_trip(frame: ClientFrame, wire: Value) {
    let text = JsonCodec.encode_client(&frame);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), wire);
    assert_eq!(JsonCodec.decode_client(&text).unwrap(), frame);
    assert_eq!(
        frame.to_json(),
        wire,
        "the one-pass writer and the value writer agree"
    );
    assert_eq!(ClientFrame::from_json(wire).unwrap(), frame);
}

#[test]
fn seed_client_frames() {
    client_round_trip(
        ClientFrame::Message(SendMessage {
            conversation_id: "uuid".into(),
            content: "Hello!".into(),
        }),
        json!({"type": "message", "conversation_id": "uuid", "content": "Hello!"}),
    );
    client_round_trip(
        ClientFrame::Typing(SetTyping {
            conversation_id: "uuid".into(),
            is_typing: true,
        }),
        json!({"type": "typing", "conversation_id": "uuid", "is_typing": true}),
    );
    client_round_trip(
        ClientFrame::Read(MarkRead {
            conversation_id: "uuid".into(),
            message_id: "uuid".into(),
        }),
        json!({"type": "read", "conversation_id": "uuid", "message_id": "uuid"}),
    );
    client_round_trip(
        ClientFrame::Sync(SyncRequest {
            conversation_id: "uuid".into(),
            last_message_id: Some("uuid".into()),
        }),
        json!({"type": "sync", "conversation_id": "uuid", "last_message_id": "uuid"}),
    );
    client_round_trip(ClientFrame::Ping(Ping {}), json!({"type": "ping"}));
    for (status, text) in [
        (PresenceStatus::Online, "online"),
        (PresenceStatus::Away, "away"),
        (PresenceStatus::Offline, "offline"),
    ] {
        client_round_trip(
            ClientFrame::Presence(SetPresence { status }),
            json!({"type": "presence", "status": text}),
        );
    }
    client_round_trip(
        ClientFrame::Join(Join {
            conversation_id: "uuid".into(),
        }),
        json!({"type": "join", "conversation_id": "uuid"}),
    );
    client_round_trip(
        ClientFrame::Leave(Leave {
            conversation_id: "uuid".into(),
        }),
        json!({"type": "leave", "conversation_id": "uuid"}),
    );
}

#[test]
fn sync_without_a_last_id_omits_it() {
    client_round_trip(
        ClientFrame::Sync(SyncRequest {
            conversation_id: 3.into(),
            last_message_id: None,
        }),
        json!({"type": "sync", "conversation_id": 3}),
    );
}

#[test]
fn seed_server_frames() {
    let connected = server_round_trip(
        json!({"type": "connected", "user_id": "uuid", "timestamp": "2025-12-07T..."}),
    );
    assert!(
        matches!(connected, ServerFrame::Connected(Connected { ref user_id, .. }) if *user_id == Id::from("uuid"))
    );

    let message = server_round_trip(json!({"type": "message", "message": {
        "id": "uuid", "conversation_id": "uuid", "user_id": "uuid",
        "content": "Hello!", "role": "user", "created_at": "2025-12-07T..."}}));
    let ServerFrame::Message(NewMessage { message }) = message else {
        panic!("a message")
    };
    assert_eq!(message.content.text(), Some("Hello!"));
    assert_eq!(message.role.as_deref(), Some("user"));

    server_round_trip(
        json!({"type": "message_sent", "message_id": "uuid", "timestamp": "2025-12-07T..."}),
    );
    server_round_trip(
        json!({"type": "typing", "user_id": "uuid", "conversation_id": "uuid", "is_typing": true}),
    );
    server_round_trip(
        json!({"type": "read", "user_id": "uuid", "conversation_id": "uuid",
        "message_id": "uuid", "read_at": "2025-12-07T..."}),
    );
    server_round_trip(
        json!({"type": "presence", "user_id": "uuid", "status": "online", "timestamp": "2025-12-07T..."}),
    );
    let sync = server_round_trip(
        json!({"type": "sync_data", "conversation_id": "uuid", "messages": [], "count": 5}),
    );
    assert!(matches!(
        sync,
        ServerFrame::SyncData(SyncData { count: Some(5), .. })
    ));
    server_round_trip(json!({"type": "pong", "timestamp": "2025-12-07T..."}));
    let error =
        server_round_trip(json!({"type": "error", "error": "Error message", "code": "ERROR_CODE"}));
    assert!(
        matches!(error, ServerFrame::Error(ServerError { code: ErrorCode::Other(ref code), .. }) if code == "ERROR_CODE")
    );
}

#[test]
fn real_server_frames() {
    let sync = server_round_trip(
        json!({"type": "sync_data", "conversation_id": "c1", "count": 2, "messages": [
            {"id": "m1", "conversation_id": "c1", "user_id": "u1", "content": "a", "role": "user",
             "created_at": "2025-12-07T10:00:00.123456"},
            {"id": 2, "conversation_id": "c1", "user_id": 7, "content": {"text": "b"}, "role": "agent",
             "created_at": "2025-12-07T07:00:01-03:00", "additional_attributes": {"status": "deleted"}},
        ]}),
    );
    let ServerFrame::SyncData(data) = sync else {
        panic!("sync_data")
    };
    assert_eq!(data.messages[1].id, Id::from(2));
    assert_eq!(data.messages[1].content.text(), Some("b"));
    assert!(data.messages[1].extra.contains_key("additional_attributes"));
    assert!(
        data.messages[0].created_at.as_ref().unwrap().to_utc()
            < data.messages[1].created_at.as_ref().unwrap().to_utc()
    );

    server_round_trip(json!({"type": "typing_sent", "success": true}));
    server_round_trip(json!({"type": "read_sent"}));
    server_round_trip(json!({"type": "presence_updated", "status": "away"}));
    let joined =
        server_round_trip(json!({"type": "joined", "conversation_id": "c1", "success": true}));
    assert!(matches!(
        joined,
        ServerFrame::Joined(Reply {
            success: Some(true),
            ..
        })
    ));
    server_round_trip(json!({"type": "left", "conversation_id": "c1"}));
    for code in [
        "VALIDATION_ERROR",
        "UNKNOWN_TYPE",
        "MESSAGE_ERROR",
        "READ_ERROR",
        "SYNC_ERROR",
        "TYPING_ERROR",
        "PRESENCE_ERROR",
        "JOIN_ERROR",
        "LEAVE_ERROR",
    ] {
        let frame = server_round_trip(json!({"type": "error", "error": "x", "code": code}));
        let ServerFrame::Error(error) = frame else {
            panic!("error")
        };
        assert!(
            !matches!(error.code, ErrorCode::Other(_)),
            "{code} is a known code"
        );
    }
}

#[test]
fn unknown_and_missing_types_keep_the_raw_json() {
    let unknown = server_round_trip(json!({"type": "reaction", "emoji": "👍"}));
    assert_eq!(unknown.frame_type(), Some("reaction"));
    assert!(matches!(unknown, ServerFrame::Unknown(_)));
    let untyped =
        server_round_trip(json!({"action": "update_conversation", "conversation": {"id": 1}}));
    assert_eq!(untyped.frame_type(), None);
    let client = JsonCodec.decode_client(r#"{"type":"dance"}"#).unwrap();
    assert!(matches!(client, ClientFrame::Unknown(_)));
}

#[test]
fn malformed_frames_are_typed_errors_that_keep_the_text() {
    let not_json = JsonCodec.decode_server("{oops").unwrap_err();
    assert!(matches!(not_json, DecodeError::NotJson { .. }));
    assert_eq!(not_json.raw(), "{oops");
    let array = JsonCodec.decode_server("[1,2]").unwrap_err();
    assert!(matches!(array, DecodeError::WrongShape { .. }));
    let missing = JsonCodec
        .decode_server(r#"{"type":"message_sent"}"#)
        .unwrap_err();
    let DecodeError::InvalidFrame {
        frame_type, reason, ..
    } = &missing
    else {
        panic!("{missing:?}")
    };
    assert_eq!(frame_type, "message_sent");
    assert!(reason.contains("message_id"), "{reason}");
    let wrong = JsonCodec.decode_server(
        r#"{"type":"typing","user_id":"u","conversation_id":"c","is_typing":"yes"}"#,
    );
    assert!(matches!(wrong, Err(DecodeError::InvalidFrame { .. })));
}

#[test]
fn the_type_is_found_wherever_it_is_and_broken_json_stays_not_json() {
    let text = |content: &str| {
        format!(
            r#"{{"type":"message","message":{{"id":"m1","conversation_id":"c1","content":{content}}}}}"#
        )
    };
    // `type` first (as servers write it), last, and escaped: the same frame.
    let first = JsonCodec.decode_server(&text(r#""hi""#)).unwrap();
    let last = JsonCodec
        .decode_server(
            r#"{"message":{"id":"m1","conversation_id":"c1","content":"hi"},"type":"message"}"#,
        )
        .unwrap();
    let escaped = JsonCodec
        .decode_server(r#"{"type":"mess\u0061ge","message":{"id":"m1","conversation_id":"c1","content":"hi"}}"#)
        .unwrap();
    assert!(matches!(first, ServerFrame::Message(_)), "{first:?}");
    assert_eq!(first, last);
    assert_eq!(first, escaped);
    // Broken after a known `type`: not JSON, as when the whole text was scanned first.
    for broken in [
        text(r#""hi""#) + " trailing",
        text(r#"5, oops"#),
        r#"{"type":"message","message":"#.to_owned(),
    ] {
        let error = JsonCodec.decode_server(&broken).unwrap_err();
        assert!(
            matches!(error, DecodeError::NotJson { .. }),
            "{broken}: {error:?}"
        );
    }
    // Valid JSON whose fields do not fit its `type`: an invalid frame of that type.
    let error = JsonCodec
        .decode_server(r#"{"type":"message","message":5}"#)
        .unwrap_err();
    assert!(
        matches!(error, DecodeError::InvalidFrame { .. }),
        "{error:?}"
    );
    // A `type` that is not a string, or none: kept raw.
    for raw in [r#"{"type":5,"message":{}}"#, r#"{"message":{}}"#] {
        let frame = JsonCodec.decode_server(raw).unwrap();
        assert!(matches!(frame, ServerFrame::Unknown(_)), "{raw}: {frame:?}");
    }
}

#[test]
fn a_leading_type_is_read_the_same_with_whitespace_escapes_or_none() {
    let expected = JsonCodec
        .decode_server(r#"{"type":"pong","timestamp":"2025-12-07T10:00:00"}"#)
        .unwrap();
    assert!(matches!(expected, ServerFrame::Pong(_)), "{expected:?}");
    for spaced in [
        " \n{ \"type\" :\t\"pong\" , \"timestamp\":\"2025-12-07T10:00:00\"}",
        "\r\n{\"type\":\"pong\",\"timestamp\":\"2025-12-07T10:00:00\"}\n",
        // Escaped: the fast read declines, the careful one reads it.
        r#"{"type":"p\u006fng","timestamp":"2025-12-07T10:00:00"}"#,
    ] {
        assert_eq!(
            JsonCodec.decode_server(spaced).unwrap(),
            expected,
            "{spaced}"
        );
    }
    // A type with a raw control character is not JSON, whichever read sees it first.
    let error = JsonCodec
        .decode_server("{\"type\":\"po\u{1}ng\"}")
        .unwrap_err();
    assert!(matches!(error, DecodeError::NotJson { .. }), "{error:?}");
    // An unterminated type, and a frame that is only a prefix: not JSON either.
    for broken in [r#"{"type":"pong"#, r#"{"type":"#, "{"] {
        let error = JsonCodec.decode_server(broken).unwrap_err();
        assert!(
            matches!(error, DecodeError::NotJson { .. }),
            "{broken}: {error:?}"
        );
    }
}

//! Engine.IO 4 and Socket.IO 5 packets as text, the way they travel over a WebSocket.
//!
//! Engine.IO prefixes every frame with one digit (`0` open, `1` close, `2` ping, `3` pong,
//! `4` message, `5` upgrade, `6` noop). An Engine.IO message carries one Socket.IO packet:
//! `<type>[<attachments>-][<namespace>,][<ack id>][<json>]`, where the namespace appears only
//! when it is not `/`.

use serde_json::Value;

/// An Engine.IO frame, borrowed from the text it was read from.
#[derive(Debug, PartialEq)]
pub(crate) enum EngineFrame<'a> {
    /// `0{...}`: the handshake's open packet.
    Open(&'a str),
    /// `1`: the server closes the session.
    Close,
    /// `2...`: a ping, to be answered with `3` and the same payload.
    Ping(&'a str),
    /// `3...`: a pong.
    Pong,
    /// `4...`: a Socket.IO packet.
    Message(&'a str),
    /// `5`, `6`: upgrade and noop, meaningless on a WebSocket.
    Noop,
}

/// Socket.IO packet types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PacketType {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

/// A Socket.IO packet, borrowed from the text it was read from.
#[derive(Debug, PartialEq)]
pub(crate) struct Packet<'a> {
    pub(crate) kind: PacketType,
    pub(crate) namespace: &'a str,
    pub(crate) ack_id: Option<u64>,
    /// How many binary frames follow (binary packets only).
    pub(crate) attachments: usize,
    /// The JSON payload's text (empty when there is none).
    pub(crate) data: &'a str,
}

/// Reads an Engine.IO frame. `Err` says what is wrong with it.
pub(crate) fn engine_frame(text: &str) -> Result<EngineFrame<'_>, &'static str> {
    let first = *text.as_bytes().first().ok_or("empty frame")?;
    // An ASCII digit is one byte: the rest starts on a character boundary.
    let rest = || &text[1..];
    Ok(match first {
        b'0' => EngineFrame::Open(rest()),
        b'1' => EngineFrame::Close,
        b'2' => EngineFrame::Ping(rest()),
        b'3' => EngineFrame::Pong,
        b'4' => EngineFrame::Message(rest()),
        b'5' | b'6' => EngineFrame::Noop,
        _ => return Err("unknown Engine.IO packet type"),
    })
}

/// Reads a Socket.IO packet (the text after Engine.IO's `4`).
pub(crate) fn packet(text: &str) -> Result<Packet<'_>, &'static str> {
    let kind = match text.as_bytes().first() {
        Some(b'0') => PacketType::Connect,
        Some(b'1') => PacketType::Disconnect,
        Some(b'2') => PacketType::Event,
        Some(b'3') => PacketType::Ack,
        Some(b'4') => PacketType::ConnectError,
        Some(b'5') => PacketType::BinaryEvent,
        Some(b'6') => PacketType::BinaryAck,
        Some(_) => return Err("unknown Socket.IO packet type"),
        None => return Err("empty Socket.IO packet"),
    };
    let mut rest = &text[1..];
    let mut attachments = 0;
    if matches!(kind, PacketType::BinaryEvent | PacketType::BinaryAck) {
        let dash = rest
            .find('-')
            .ok_or("binary packet without attachment count")?;
        attachments = rest[..dash]
            .parse()
            .map_err(|_| "binary packet with an unreadable attachment count")?;
        rest = &rest[dash + 1..];
    }
    let mut namespace = "/";
    if rest.starts_with('/') {
        let comma = rest.find(',').unwrap_or(rest.len());
        namespace = &rest[..comma];
        rest = rest.get(comma + 1..).unwrap_or("");
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let ack_id = match digits {
        0 => None,
        _ => Some(rest[..digits].parse().map_err(|_| "ack id out of range")?),
    };
    Ok(Packet {
        kind,
        namespace,
        ack_id,
        attachments,
        data: &rest[digits..],
    })
}

/// An Engine.IO message carrying a Socket.IO packet of `kind` (as its digit).
pub(crate) fn encode(
    kind: PacketType,
    namespace: &str,
    ack_id: Option<u64>,
    data: Option<&Value>,
) -> String {
    let digit = match kind {
        PacketType::Connect => '0',
        PacketType::Disconnect => '1',
        PacketType::Event => '2',
        PacketType::Ack => '3',
        PacketType::ConnectError => '4',
        PacketType::BinaryEvent => '5',
        PacketType::BinaryAck => '6',
    };
    let mut text = String::with_capacity(64);
    text.push('4');
    text.push(digit);
    if namespace != "/" {
        text.push_str(namespace);
        text.push(',');
    }
    if let Some(id) = ack_id {
        text.push_str(&id.to_string());
    }
    if let Some(data) = data {
        text.push_str(&data.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn engine_frames() {
        assert_eq!(
            engine_frame(r#"0{"sid":"x"}"#),
            Ok(EngineFrame::Open(r#"{"sid":"x"}"#))
        );
        assert_eq!(engine_frame("2"), Ok(EngineFrame::Ping("")));
        assert_eq!(engine_frame("2probe"), Ok(EngineFrame::Ping("probe")));
        assert_eq!(engine_frame("6"), Ok(EngineFrame::Noop));
        assert_eq!(engine_frame("1"), Ok(EngineFrame::Close));
        assert!(engine_frame("").is_err());
        assert!(engine_frame("x").is_err());
        assert!(engine_frame("é").is_err());
    }

    #[test]
    fn socket_io_packets_with_and_without_namespace_and_ack_id() {
        let event = packet(r#"2["message:new",{"id":1}]"#).unwrap();
        assert_eq!(
            (event.kind, event.namespace, event.ack_id, event.data),
            (PacketType::Event, "/", None, r#"["message:new",{"id":1}]"#)
        );
        let ack = packet("312[]").unwrap();
        assert_eq!(
            (ack.kind, ack.ack_id, ack.data),
            (PacketType::Ack, Some(12), "[]")
        );
        let namespaced = packet(r#"3/atendimento,7[{"success":true}]"#).unwrap();
        assert_eq!(
            (namespaced.namespace, namespaced.ack_id, namespaced.data),
            ("/atendimento", Some(7), r#"[{"success":true}]"#)
        );
        let disconnect = packet("1/atendimento,").unwrap();
        assert_eq!(
            (disconnect.kind, disconnect.namespace, disconnect.data),
            (PacketType::Disconnect, "/atendimento", "")
        );
        let binary = packet(r#"51-["upload",{"_placeholder":true,"num":0}]"#).unwrap();
        assert_eq!(binary.kind, PacketType::BinaryEvent);
        assert!(packet("9").is_err());
        assert!(packet("5[]").is_err());
        assert!(packet("399999999999999999999999[]").is_err());
    }

    #[test]
    fn encoding_puts_namespace_and_ack_id_where_they_belong() {
        let args = json!(["join_conversation", {"conversation_id": "c1"}]);
        assert_eq!(
            encode(PacketType::Event, "/", Some(3), Some(&args)),
            r#"423["join_conversation",{"conversation_id":"c1"}]"#
        );
        assert_eq!(
            encode(
                PacketType::Connect,
                "/atendimento",
                None,
                Some(&json!({"token": "t"}))
            ),
            r#"40/atendimento,{"token":"t"}"#
        );
        assert_eq!(
            encode(PacketType::Ack, "/", Some(5), Some(&json!([]))),
            "435[]"
        );
    }
}

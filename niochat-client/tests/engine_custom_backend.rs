//! The seam from the outside: a backend defined in the application (`Backend::Custom`), with
//! capabilities unlike 001's and Socket.IO's — no rooms, no answers, WebSocket pings — and the
//! engine obeying each of them, on a virtual clock.

mod support;

use std::sync::Arc;

use niochat_client::dialect::{
    AnswerMode, Capabilities, ChatEvent, Command, CommandKind, ConnectRequest, Dialect, Inbound,
    KeepAliveMode, Protocol, RequestId, RoomMode, UnknownFrame, Unsupported,
};
use niochat_client::engine::{Reply, TransportEvent};
use niochat_client::model::{Session, TypingUpdate};
use niochat_client::{AuthToken, Backend, ConnectionErrorKind, Event, Refused, SecretUrl, Status};
use support::{Harness, SECOND, config};

/// A line protocol: the server says `ready`, then `typing <user>`; the client writes `typing`.
#[derive(Debug)]
struct Lines;

const COMMANDS: &[CommandKind] = &[CommandKind::Typing];

impl Protocol for Lines {
    fn name(&self) -> &'static str {
        "lines"
    }

    fn capabilities(&self) -> &Capabilities {
        const CAPABILITIES: Capabilities = Capabilities::new(
            RoomMode::None,
            false,
            AnswerMode::None,
            KeepAliveMode::WebSocketPing,
            COMMANDS,
        );
        &CAPABILITIES
    }

    fn dialect(&self, token: Option<AuthToken>) -> Box<dyn Dialect> {
        Box::new(LinesDialect { token })
    }
}

struct LinesDialect {
    token: Option<AuthToken>,
}

impl Dialect for LinesDialect {
    fn connect_request(&self, endpoint: &str) -> ConnectRequest {
        ConnectRequest::new(SecretUrl::new(endpoint))
    }

    fn on_open(&mut self, inbound: &mut Vec<Inbound>) {
        let token = self.token.as_ref().map(AuthToken::expose).unwrap_or("");
        inbound.push(Inbound::Write(format!("auth {token}").into()));
    }

    fn on_text(&mut self, text: &str, inbound: &mut Vec<Inbound>) {
        inbound.push(match text.split_once(' ') {
            None if text == "ready" => Inbound::Ready(Session::default()),
            Some(("typing", user)) => Inbound::Event(ChatEvent::Typing(TypingUpdate {
                user_id: user.into(),
                conversation_id: "all".into(),
                is_typing: true,
            })),
            _ => Inbound::Unknown(UnknownFrame::new(
                None,
                serde_json::Value::String(text.to_owned()),
            )),
        });
    }

    fn encode(&mut self, _request: RequestId, command: &Command) -> Result<String, Unsupported> {
        match command {
            Command::Typing { .. } => Ok("typing".into()),
            other => Err(Unsupported {
                command: other.kind(),
                backend: "lines",
            }),
        }
    }
}

fn connected() -> Harness {
    connected_with(config())
}

fn connected_with(config: niochat_client::engine::EngineConfig) -> Harness {
    let protocol = Backend::Custom(Arc::new(Lines)).protocol();
    let mut harness = Harness::with_protocol(config, protocol, vec!["ready".into()]);
    harness.engine.connect(harness.now);
    harness.pump();
    harness.open_socket();
    assert_eq!(
        harness.sent_text(),
        ["auth jwt-secret"],
        "the handshake frame on open"
    );
    assert_eq!(harness.engine.status(), &Status::Connecting);
    harness.receive_text("ready");
    assert_eq!(harness.engine.status(), &Status::Connected);
    harness.clear();
    harness
}

#[test]
fn a_backend_without_answers_completes_commands_once_written_and_refuses_what_it_lacks() {
    let mut harness = connected();
    let typing = harness
        .engine
        .set_typing(harness.now, "all".into(), true)
        .unwrap();
    harness.pump();
    assert_eq!(harness.sent_text(), ["typing"]);
    assert_eq!(harness.outcome(typing), Some(Ok(Reply::Done)));
    let refused = |command| Refused::Unsupported {
        command,
        backend: "lines",
    };
    assert_eq!(
        harness.engine.join(harness.now, "c".into()),
        Err(refused(CommandKind::Join))
    );
    assert_eq!(
        harness.engine.send_message(harness.now, "c".into(), "hi"),
        Err(refused(CommandKind::Message))
    );
    harness.receive_text("typing bob");
    assert!(
        matches!(&harness.events[..], [Event::Typing(typing)] if typing.user_id == "bob".into())
    );
}

#[test]
fn websocket_pings_keep_watch_where_the_backend_has_no_ping_frame() {
    let mut harness = connected();
    let live = harness.live.unwrap();
    harness.advance(30 * SECOND);
    assert_eq!(harness.socket_pings, [live]);
    assert!(
        harness.sent.is_empty(),
        "no ping frame of the protocol's own"
    );
    harness.transport(live, TransportEvent::Pong);
    harness.advance(30 * SECOND);
    assert_eq!(harness.socket_pings.len(), 2);
    harness.advance(10 * SECOND);
    assert_eq!(harness.closes, [(live, 4000)], "no pong: dead");
    assert_eq!(
        harness.error_kinds(),
        [ConnectionErrorKind::KeepAliveTimeout(10 * SECOND)]
    );
}

#[test]
fn a_driver_that_cannot_ping_a_socket_does_not_take_idle_connections_for_dead() {
    // Browsers cannot send WebSocket pings.
    let mut config = config();
    config.websocket_pings = false;
    let mut harness = connected_with(config);
    harness.advance(3600 * SECOND);
    assert!(harness.socket_pings.is_empty());
    assert!(harness.closes.is_empty());
    assert_eq!(harness.engine.status(), &Status::Connected);
}

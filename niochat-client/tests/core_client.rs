//! The runtime-free client core, driven by hand on a virtual clock the way every driver
//! drives it: client handles' commands in, I/O out, completions and event fan-out done by the
//! core. No socket and no sleep: this is what the tokio and browser drivers and the FFI layer
//! all rely on.
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use niochat_client::core::{ClientCore, CommandInbox, DriverAction};
use niochat_client::engine::{ConnectionId, TransportEvent};
use niochat_client::{Client, ClientBuilder, Event, Refused, Status};
use web_time::{Duration, Instant};

/// Nothing listens there: the test driver plays the socket and the server.
const URL: &str = "ws://127.0.0.1:9/ws";

/// What the test driver saw.
#[derive(Default)]
struct Io {
    sent: Vec<String>,
    closes: Vec<u16>,
    live: Option<ConnectionId>,
    notified: usize,
}

/// A client and its core, driven by hand at one instant the way every driver drives them.
struct Driven {
    client: Client,
    core: ClientCore,
    inbox: CommandInbox,
    io: Io,
    now: Instant,
}

impl Driven {
    fn new(builder: ClientBuilder) -> Self {
        let (client, core, inbox) = builder.build_parts(7).expect("valid settings");
        Self {
            client,
            core,
            inbox,
            io: Io::default(),
            now: Instant::now(),
        }
    }

    /// Connected (through one turn).
    async fn connected(builder: ClientBuilder) -> Self {
        let mut driven = Self::new(builder);
        driven.client.connect();
        driven.turn().await;
        driven
    }

    /// One turn: the handles' commands in, every action carried out (tokens are awaited,
    /// sockets open at once and the server greets), then the flush.
    async fn turn(&mut self) {
        let (core, io, now) = (&mut self.core, &mut self.io, self.now);
        for command in self.inbox.drain_ready() {
            core.command(now, command);
        }
        while let Some(action) = core.poll_action() {
            match action {
                DriverAction::FetchToken { connection, token } => {
                    let token = token.await;
                    core.token(now, None, connection, token);
                }
                DriverAction::Open {
                    connection,
                    request,
                } => {
                    assert!(!format!("{request:?}").contains("secret-token"));
                    io.live = Some(connection);
                    core.transport(now, connection, TransportEvent::Opened);
                    core.text(now, connection, r#"{"type":"connected","user_id":"me"}"#);
                }
                DriverAction::Send { text, .. } => io.sent.push(text),
                DriverAction::Close { code, .. } => {
                    io.closes.push(code);
                    io.live = None;
                }
                DriverAction::NotifyWhenClosed(done) => {
                    io.notified += 1;
                    let _ = done.send(());
                }
                _ => {}
            }
        }
        core.flush();
    }

    /// A frame from the server on the live connection, not yet followed by a turn.
    fn receive(&mut self, text: &str) {
        let connection = self.io.live.expect("connected");
        self.core.text(self.now, connection, text);
    }
}

/// Polls a future once, without waiting.
fn poll_once<F: Future + Unpin>(future: &mut F) -> Poll<F::Output> {
    Pin::new(future).poll(&mut Context::from_waker(Waker::noop()))
}

const ACK_M1: &str = r#"{"type":"message_sent","message_id":"m1"}"#;

/// Lets spawned client futures run up to their next wait.
async fn settle() {
    for _ in 0..5 {
        tokio::task::yield_now().await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_send_resolves_with_the_servers_ack_and_every_subscriber_gets_every_event() {
    let mut driven = Driven::new(ClientBuilder::new(URL).token("secret-token"));
    let (mut first, mut second) = (driven.client.events(), driven.client.events());
    driven.client.connect();
    driven.turn().await;
    assert_eq!(driven.client.status(), Status::Connected);

    let sender = driven.client.clone();
    let sent = tokio::spawn(async move { sender.send_message("c1", "hello").await });
    settle().await;
    driven.turn().await;
    let frames = &driven.io.sent;
    assert!(
        frames.iter().any(|frame| frame.contains("hello")),
        "{frames:?}"
    );
    driven
        .receive(r#"{"type":"message_sent","message_id":"m1","timestamp":"2025-12-07T10:00:00"}"#);
    driven.turn().await;
    let ack = sent.await.expect("joined").expect("acknowledged");
    assert_eq!(ack.message_id.to_string(), "m1");

    let (a, b) = (first.drain_ready(), second.drain_ready());
    assert_eq!(a, b, "every subscriber gets every event");
    assert!(
        a.iter()
            .any(|event| matches!(event, Event::Outgoing { .. }))
    );
}

#[tokio::test(flavor = "current_thread")]
async fn without_an_event_stream_sends_resolve_statuses_change_and_a_later_stream_gets_what_follows()
 {
    let mut driven = Driven::new(ClientBuilder::new(URL));
    let mut statuses = driven.client.status_changes();
    // A stream opened and dropped before anything happens counts as none.
    drop(driven.client.events());
    driven.client.connect();
    driven.turn().await;
    assert_eq!(driven.client.status(), Status::Connected);
    let first = driven.client.send_message("c1", "one");
    driven.turn().await;
    driven.receive(ACK_M1);
    driven.turn().await;
    let acked = first.await.expect("acknowledged");
    assert_eq!(acked.message_id.to_string(), "m1");

    let mut events = driven.client.events();
    let second = driven.client.send_message("c1", "two");
    driven.turn().await;
    driven.receive(&ACK_M1.replace("m1", "m2"));
    driven.turn().await;
    let acked = second.await.expect("acknowledged");
    assert_eq!(acked.message_id.to_string(), "m2");
    let states: Vec<String> = events
        .drain_ready()
        .into_iter()
        .filter_map(|event| match event {
            Event::Outgoing { state, .. } => Some(format!("{state:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(states.len(), 3, "{states:?}");
    assert!(states[2].contains("m2"), "{states:?}");

    let seen = statuses.drain_ready();
    assert_eq!(
        seen,
        [Status::Disconnected, Status::Connecting, Status::Connected]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_future_resolves_at_the_end_of_the_turn_with_its_events_already_in_the_streams() {
    let mut driven = Driven::new(ClientBuilder::new(URL));
    let mut events = driven.client.events();
    driven.client.connect();
    driven.turn().await;
    let mut sent = driven.client.send_message("c1", "one");
    driven.turn().await;
    events.drain_ready();
    driven.receive(ACK_M1);
    while driven.core.poll_action().is_some() {}
    assert!(poll_once(&mut sent).is_pending(), "answered mid-turn");
    driven.core.flush();
    // Any thread that sees the answer finds the acknowledgement's event in its stream.
    assert!(matches!(poll_once(&mut sent), Poll::Ready(Ok(_))));
    assert!(events.drain_ready().iter().any(|event| matches!(
        event,
        Event::Outgoing { state, .. } if format!("{state:?}").contains("m1")
    )));
}

#[tokio::test(flavor = "current_thread")]
async fn what_a_disconnect_answers_is_resolved_before_the_driver_reports_it_closed() {
    let mut driven = Driven::connected(ClientBuilder::new(URL)).await;
    let mut ping = driven.client.ping();
    driven.turn().await;
    let closer = driven.client.clone();
    let closed = tokio::spawn(async move { closer.disconnect().await });
    settle().await;
    for command in driven.inbox.drain_ready() {
        driven.core.command(driven.now, command);
    }
    let mut notified = false;
    while let Some(action) = driven.core.poll_action() {
        if let DriverAction::NotifyWhenClosed(done) = action {
            // A driver may wait for the close handshake here, before its `flush`.
            assert!(
                poll_once(&mut ping).is_ready(),
                "the ping waits behind the close"
            );
            notified = done.send(()).is_ok();
        }
    }
    assert!(notified);
    closed.await.expect("disconnect resolves");
}

#[tokio::test(flavor = "current_thread")]
async fn disconnect_resolves_once_the_close_is_carried_out() {
    let mut driven = Driven::connected(ClientBuilder::new(URL).token("t")).await;
    let closer = driven.client.clone();
    let closed = tokio::spawn(async move { closer.disconnect().await });
    settle().await;
    driven.turn().await;
    closed.await.expect("disconnect resolves");
    assert_eq!(driven.io.closes, [1000]);
    assert_eq!(driven.io.notified, 1);
    assert_eq!(driven.client.status(), Status::Disconnected);
}
#[tokio::test(flavor = "current_thread")]
async fn when_the_core_is_gone_streams_end_and_waiting_commands_resolve_closed() {
    let (client, core, _inbox) = ClientBuilder::new(URL)
        .build_parts(7)
        .expect("valid settings");
    let mut events = client.events();
    let joiner = client.clone();
    let join = tokio::spawn(async move { joiner.join("c1").await });
    settle().await;
    drop(core);
    drop(_inbox);
    assert_eq!(events.next().await, None, "the stream ends");
    let joined = join.await.expect("the task ends");
    assert_eq!(joined, Err(Refused::Closed.into()));
    assert_eq!(
        client.send_message("c1", "x").await,
        Err(Refused::Closed.into())
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_token_for_an_abandoned_attempt_is_ignored() {
    let (client, mut core, mut inbox) = ClientBuilder::new(URL)
        .token("t")
        .connect_timeout(Duration::from_secs(1))
        .token_timeout(Duration::from_secs(1))
        .build_parts(7)
        .expect("valid settings");
    let start = Instant::now();
    client.connect();
    while let Some(command) = inbox.try_next() {
        core.command(start, command);
    }
    let Some(DriverAction::FetchToken { connection, token }) = core.poll_action() else {
        panic!("a token is asked for first");
    };
    // The provider is slow: the attempt times out and the core moves on.
    let late = start + Duration::from_secs(2);
    core.timeout(late);
    let answer = token.await;
    core.token(late, None, connection, answer);
    let mut opened = false;
    while let Some(action) = core.poll_action() {
        opened |= matches!(action, DriverAction::Open { .. });
    }
    assert!(!opened, "no socket for the abandoned attempt");
    core.flush();
    assert!(matches!(
        client.status(),
        Status::Reconnecting { .. } | Status::Error(_)
    ));
}

/// How long a client built with `build_parts(fresh)` (and `jitter_seed`, if set) waits
/// before its first retry after a refused connection.
fn first_retry(jitter_seed: Option<u64>, fresh: u64) -> Duration {
    use niochat_client::engine::{Jitter, ReconnectPolicy};

    let mut policy = ReconnectPolicy::default();
    policy.jitter = Jitter::Full;
    policy.initial_delay = Duration::from_secs(10);
    let (client, mut core, mut inbox) = ClientBuilder::new(URL)
        .reconnect(policy)
        .configure(|config| config.jitter_seed = jitter_seed)
        .build_parts(fresh)
        .expect("valid settings");
    let start = Instant::now();
    client.connect();
    while let Some(command) = inbox.try_next() {
        core.command(start, command);
    }
    let connection = loop {
        match core.poll_action() {
            Some(DriverAction::Open { connection, .. }) => break connection,
            Some(_) => {}
            None => panic!("no socket asked for"),
        }
    };
    core.transport(
        start,
        connection,
        TransportEvent::HandshakeRefused { status: 503 },
    );
    core.poll_timeout().expect("a retry is scheduled") - start
}

#[test]
fn a_jitter_seed_set_by_the_app_is_kept_and_otherwise_each_client_gets_fresh_randomness() {
    // Set: the same delay whatever randomness the driver brings.
    assert_eq!(first_retry(Some(42), 1), first_retry(Some(42), 2));
    // Not set: the driver's randomness decides, so clients differ.
    let delays: std::collections::BTreeSet<Duration> =
        (1..=5).map(|fresh| first_retry(None, fresh)).collect();
    assert!(delays.len() > 1, "{delays:?}");
}

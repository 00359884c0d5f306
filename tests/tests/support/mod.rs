//! Helpers for suites that drive real clients against the reference server. They wait for
//! events and statuses, never for time: every wait has a generous ceiling that only a broken
//! client reaches.

#![allow(dead_code)]

use std::time::Duration;

use niochat_client::{Client, ClientBuilder, ConnectionError, Event, EventStream, Status};
use niochat_testkit::TestServer;
use serde_json::Value;

/// The ceiling of any wait: a failing test fails after this, a passing one never waits it.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A client of `server` as `user`, reconnecting quickly so that suites run in real time.
pub fn builder(server: &TestServer, user: &str) -> ClientBuilder {
    reconnecting_quickly(ClientBuilder::new(server.url()).token(server.token_for(user)))
}

/// `builder` with reconnection delays of milliseconds, so that suites run in real time, and
/// no limit on attempts: ten attempts this quick last about 1.5 s, less than a real server's
/// process takes to start again on a loaded machine (a PyTake restart test gave up so, once,
/// while the other suites ran). Giving up is tested on the engine's virtual clock.
pub fn reconnecting_quickly(builder: ClientBuilder) -> ClientBuilder {
    builder.configure(|config| {
        config.reconnect.initial_delay = Duration::from_millis(20);
        config.reconnect.max_delay = Duration::from_millis(200);
        config.reconnect.max_attempts = None;
    })
}

/// A connected client with an event stream opened before connecting.
pub async fn connected(builder: ClientBuilder) -> (Client, EventStream) {
    let client = builder.build().expect("builds");
    let events = client.events();
    client.connect();
    wait_status(&client, |status| *status == Status::Connected).await;
    (client, events)
}

/// Waits until the client's status satisfies `accept`.
pub async fn wait_status(client: &Client, accept: impl Fn(&Status) -> bool) -> Status {
    let mut changes = client.status_changes();
    let waited = tokio::time::timeout(PATIENCE, async {
        loop {
            let status = changes.next().await.expect("the client is alive");
            if accept(&status) {
                return status;
            }
        }
    });
    waited
        .await
        .unwrap_or_else(|_| panic!("status never came; last: {:?}", client.status()))
}

/// Reads events until `pick` returns something, and returns it.
pub async fn next_matching<T>(
    events: &mut EventStream,
    mut pick: impl FnMut(&Event) -> Option<T>,
) -> T {
    let waited = tokio::time::timeout(PATIENCE, async {
        loop {
            let event = events.next().await.expect("the event stream is open");
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    });
    waited.await.expect("the expected event never came")
}

/// Collects chat messages (content, live or synced) until `count` have arrived.
pub async fn messages(events: &mut EventStream, count: usize) -> Vec<String> {
    let mut contents = Vec::new();
    while contents.len() < count {
        let content = next_matching(events, |event| match event {
            Event::Message { message, .. } => message.content.text().map(str::to_owned),
            _ => None,
        })
        .await;
        contents.push(content);
    }
    contents
}

/// Polls a condition on the server until it holds (server state has no event stream).
pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let waited = tokio::time::timeout(PATIENCE, async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    waited.await.unwrap_or_else(|_| panic!("never: {what}"));
}

/// Waits until a server's test statistics (`stats`, as `{"rooms": {room: [users]}}`) list
/// `user` in `room`: the servers that keep rooms have no event stream to say so. False if they
/// never do.
pub async fn listed_in_room<F>(stats: impl Fn() -> F, room: &str, user: &str) -> bool
where
    F: Future<Output = Value>,
{
    let listed = tokio::time::timeout(PATIENCE, async {
        loop {
            let stats = stats().await;
            if stats["rooms"][room]
                .as_array()
                .is_some_and(|users| users.iter().any(|u| u == user))
            {
                return;
            }
            tokio::task::yield_now().await;
        }
    });
    listed.await.is_ok()
}

/// Prints the client's logs (debug and up) in the test's output.
pub fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_test_writer()
        .try_init();
}

/// Joins `conversation`; resolves with the server's answer.
pub async fn join(client: &Client, conversation: &str) {
    let joined = tokio::time::timeout(PATIENCE, client.join(conversation));
    joined
        .await
        .expect("the server answers a join")
        .expect("the server accepts the join");
}

/// Waits for an `Error` status event (statuses pass through `Error` on their way to
/// `Reconnecting`, too briefly for a watch to see) and returns the error.
pub async fn next_error(events: &mut EventStream) -> ConnectionError {
    next_matching(events, |event| match event {
        Event::Status(Status::Error(error)) => Some(error.clone()),
        _ => None,
    })
    .await
}

/// The events already waiting on the stream, without waiting for more.
pub fn drain(events: &mut EventStream) -> Vec<Event> {
    events.drain_ready()
}

/// Alice and Bob, connected and both joined to `conversation`, with their event streams.
pub async fn pair_in_room(server: &TestServer, conversation: &str) -> [(Client, EventStream); 2] {
    let (alice, alice_events) = connected(builder(server, "alice")).await;
    let (bob, bob_events) = connected(builder(server, "bob")).await;
    join(&alice, conversation).await;
    join(&bob, conversation).await;
    [(alice, alice_events), (bob, bob_events)]
}

//! The same work through the SDK's public API, as an application would do it.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use niochat_client::engine::{Jitter, ReconnectPolicy};
use niochat_client::{Client, ClientBuilder, Event, EventStream, Id, Status};

pub fn builder(url: &str, queue: usize) -> ClientBuilder {
    ClientBuilder::new(url).queue_capacity(queue)
}

/// A connected client and an event stream. Figures that take their answers from the send
/// futures drop the stream (`let (client, _) = ...`), as an application that does not read
/// events would not hold one: an unread stream keeps every event.
pub async fn connected(builder: ClientBuilder) -> (Client, EventStream) {
    let client = builder.build().expect("builds");
    let events = connect(&client).await;
    (client, events)
}

/// Connects `client` and waits until it is; its event stream is opened before connecting.
async fn connect(client: &Client) -> EventStream {
    let events = client.events();
    let mut statuses = client.status_changes();
    client.connect();
    while statuses.next().await != Some(Status::Connected) {}
    events
}

/// Where the SDK's driver runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Driving {
    /// In a task of its own, as `ClientBuilder::build` spawns it (the default).
    Spawned,
    /// In the application's task, beside its code (`ClientBuilder::build_with_driver`).
    InAppTask,
}

impl Driving {
    /// The rows' suffix.
    pub fn label(self) -> &'static str {
        match self {
            Driving::Spawned => "",
            Driving::InAppTask => ", driver in the app's task",
        }
    }
}

/// Runs `work` with a connected client (driven as `driving` says), then disconnects.
pub async fn with_client<T>(
    builder: ClientBuilder,
    driving: Driving,
    work: impl AsyncFnOnce(&Client, EventStream) -> T,
) -> T {
    match driving {
        Driving::Spawned => connected_work(builder.build().expect("builds"), work).await,
        Driving::InAppTask => {
            let (client, driver) = builder.build_with_driver().expect("builds");
            // The client's last handle goes with `connected_work`, which ends the driver.
            tokio::join!(connected_work(client, work), driver).0
        }
    }
}

async fn connected_work<T>(client: Client, work: impl AsyncFnOnce(&Client, EventStream) -> T) -> T {
    let events = connect(&client).await;
    let done = work(&client, events).await;
    client.disconnect().await;
    done
}

/// Receives `count` messages.
pub async fn receive(events: &mut EventStream, count: u64) {
    let mut received = 0;
    while received < count {
        // A whole burst at once, as an app's event loop would take it.
        for event in events.drain_ready() {
            if let Event::Message { .. } = event {
                received += 1;
            }
        }
        if received < count
            && let Some(Event::Message { .. }) = events.next().await
        {
            received += 1;
        }
    }
}

/// One message at a time, each waiting for its acknowledgement; the latencies.
pub async fn sequential(client: &Client, count: usize) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(count);
    // Kept as an app keeps its conversation's id: a clone shares it, where a `&str` is
    // copied into a new id for each message.
    let conversation = Id::from("c1");
    for n in 0..count {
        let started = Instant::now();
        client
            .send_message(conversation.clone(), format!("message {n}"))
            .await
            .expect("acknowledged");
        latencies.push(started.elapsed());
    }
    latencies
}

/// `count` messages with at most `window` waiting for their acknowledgement.
pub async fn pipelined(client: &Client, count: usize, window: usize) {
    let conversation = Id::from("c1");
    futures_util::stream::iter(0..count)
        .map(|n| client.send_message(conversation.clone(), format!("message {n}")))
        .buffered(window)
        .for_each(|ack| {
            ack.expect("acknowledged");
            std::future::ready(())
        })
        .await;
}

/// Reconnects as quickly as the raw client retries, for the reconnect-and-flush figure.
pub fn prompt_reconnects(builder: ClientBuilder, retry: Duration) -> ClientBuilder {
    let mut policy = ReconnectPolicy::default();
    policy.initial_delay = retry;
    policy.max_delay = retry;
    policy.max_attempts = None;
    policy.jitter = Jitter::None;
    builder.reconnect(policy)
}

//! The demo: the whole story, unattended, checked. Exits 1 if anything was lost or
//! duplicated.

use std::time::Duration;

use niochat_client::{Client, ClientBuilder, Event, EventStream, Status};
use niochat_testkit::TestServer;

use crate::session::print_events;
use crate::{CONVERSATION, brisk};

/// The story, unattended: chat, a server drop with messages written offline, an app that
/// goes away and syncs what it missed. Exits 1 if anything was lost or duplicated.
pub async fn run() -> i32 {
    let server = TestServer::start().await;
    println!("== embedded server at {}", server.url());
    let alice = brisk(ClientBuilder::new(server.url()).token(server.token_for("alice")))
        .build()
        .expect("builds");
    let bob = brisk(ClientBuilder::new(server.url()).token(server.token_for("bob")))
        .build()
        .expect("builds");
    tokio::spawn(print_events("[alice] ", alice.events()));
    tokio::spawn(print_events("[bob]   ", bob.events()));
    let mut bob_inbox = bob.events();
    for client in [&alice, &bob] {
        client.connect();
        // Resolves once the server answered: nothing is sent to a room before it has members.
        client.join(CONVERSATION).await.expect("joined");
    }
    let mut expected = Vec::new();

    println!("== 1. alice and bob chat");
    for text in [
        "Hi, my order #1234 hasn't arrived.",
        "It was due on Monday.",
    ] {
        alice
            .send_message(CONVERSATION, text)
            .await
            .expect("acknowledged");
        expected.push(text);
    }

    println!("== 2. the server drops everyone; alice keeps typing while offline");
    server.drop_all_connections();
    for text in ["Hello? Are you still there?", "I'll wait."] {
        let id = alice
            .queue_message(CONVERSATION, text)
            .await
            .expect("queued");
        println!("[alice] wrote {id} while {}", alice.status().name());
        expected.push(text);
    }
    until(&alice, Status::Connected).await;

    println!("== 3. bob's app goes away; alice writes; bob comes back and syncs");
    until(&bob, Status::Connected).await;
    bob.disconnect().await;
    alice
        .send_message(CONVERSATION, "Found the tracking number: BR123.")
        .await
        .expect("acknowledged");
    expected.push("Found the tracking number: BR123.");
    bob.connect();
    until(&bob, Status::Connected).await;
    alice
        .send_message(CONVERSATION, "Thanks!")
        .await
        .expect("acknowledged");
    expected.push("Thanks!");

    let received = collect(&mut bob_inbox, expected.len()).await;
    let rtt = alice
        .ping()
        .await
        .map(|rtt| format!("{} µs", rtt.as_micros()));
    let metrics = alice.metrics().await.expect("metrics");
    println!(
        "== alice's connection: {} reconnect(s), round trip {}, {} queued",
        metrics.reconnects,
        rtt.unwrap_or_else(|error| error.to_string()),
        metrics.queue_depth
    );
    if received == expected {
        println!(
            "demo: all {} messages reached bob exactly once, in order",
            expected.len()
        );
        0
    } else {
        eprintln!("demo FAILED\n expected {expected:?}\n received {received:?}");
        1
    }
}

async fn until(client: &Client, wanted: Status) {
    let mut changes = client.status_changes();
    let wait = async {
        while let Some(status) = changes.next().await {
            if status == wanted {
                return;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(20), wait).await;
}

/// Bob's messages until `count` arrived (or 20 s passed), then one more second to catch duplicates.
async fn collect(inbox: &mut EventStream, count: usize) -> Vec<String> {
    let mut received = Vec::new();
    let mut deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, inbox.next()).await {
        if let Event::Message { message, .. } = event {
            received.push(message.content.text().unwrap_or_default().to_owned());
            if received.len() == count {
                deadline = tokio::time::Instant::now() + Duration::from_secs(1);
            }
        }
    }
    received
}

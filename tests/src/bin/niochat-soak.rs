//! The soak run: two clients chat through the chaos proxy in front of the protocol-001
//! reference server while the proxy cuts every connection after 200–1500 ms and freezes one
//! in five (half-open). Prints what happened and exits 1 on any loss, message delivered twice
//! to the app, order inversion, failed or unresolved send.
//!
//! `niochat-soak [--messages N] [--rate PER_SECOND] [--seed S]` (`cargo xtask soak` runs it).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use niochat_client::engine::ReconnectPolicy;
use niochat_client::{Client, ClientBuilder, Event};
use niochat_testkit::{ChaosProxy, RandomFaults, TestServer};

struct Settings {
    messages: usize,
    rate: f64,
    seed: u64,
}

fn settings() -> Settings {
    let mut settings = Settings {
        messages: 10_000,
        rate: 50.0,
        seed: 1,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        match pair[0].as_str() {
            "--messages" => settings.messages = value.parse().unwrap_or(settings.messages),
            "--rate" => settings.rate = value.parse().unwrap_or(settings.rate),
            "--seed" => settings.seed = value.parse().unwrap_or(settings.seed),
            other => {
                eprintln!("unknown option {other}");
                std::process::exit(2);
            }
        }
    }
    settings
}

fn client(url: &str, token: String) -> Client {
    let mut policy = ReconnectPolicy::default();
    policy.initial_delay = Duration::from_millis(50);
    policy.max_delay = Duration::from_secs(1);
    policy.max_attempts = None;
    ClientBuilder::new(url)
        .token(token)
        .reconnect(policy)
        .keep_alive(Duration::from_millis(500), Duration::from_millis(500))
        .ack_timeout(Duration::from_secs(2))
        .queue_capacity(100_000)
        .build()
        .expect("a valid client")
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let settings = settings();
    let server = TestServer::start().await;
    let proxy = ChaosProxy::start(server.address()).await;
    proxy.random(Some(RandomFaults {
        seed: settings.seed,
        lifetime_ms: (200, 1500),
        half_open_ratio: 0.2,
    }));
    let url = format!("{}/ws", proxy.ws_url());
    let room = format!("soak-{}", settings.seed);
    let sender = client(&url, server.token_for("soak-sender"));
    let receiver = client(&url, server.token_for("soak-receiver"));
    let mut events = receiver.events();
    sender.connect();
    receiver.connect();
    let _ = receiver.join(room.as_str()).await;
    let _ = sender.join(room.as_str()).await;

    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / settings.rate);
    let mut sends = Vec::with_capacity(settings.messages);
    for index in 0..settings.messages {
        let next = started + interval.mul_f64(index as f64);
        tokio::time::sleep_until(next.into()).await;
        let sender = sender.clone();
        let room = room.clone();
        sends.push(tokio::spawn(async move {
            sender.send_message(room, format!("soak-{index:06}")).await
        }));
    }
    // Every send gets 60 s after the last one to settle.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (mut acknowledged, mut failed, mut unresolved) = (0usize, 0usize, 0usize);
    for send in sends {
        match tokio::time::timeout_at(deadline, send).await {
            Ok(Ok(Ok(_))) => acknowledged += 1,
            Ok(Ok(Err(error))) => {
                failed += 1;
                eprintln!("failed: {error}");
            }
            _ => unresolved += 1,
        }
    }
    // The receiver catches up (syncs after its last reconnect).
    proxy.random(None);
    let mut delivered: Vec<(String, String)> = Vec::new();
    let quiet = Duration::from_secs(3);
    let catch_up = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let wanted = acknowledged <= delivered.len();
        let wait = if wanted {
            Duration::from_millis(300)
        } else {
            quiet
        };
        match tokio::time::timeout(wait, events.next()).await {
            Ok(Some(Event::Message { message, .. })) => {
                let text = message.content.text().unwrap_or_default().to_owned();
                delivered.push((message.id.to_string(), text));
            }
            Ok(Some(_)) => {}
            _ if tokio::time::Instant::now() > catch_up || wanted => break,
            _ => {}
        }
    }

    let stored = server.messages(&room);
    let stored_texts: Vec<String> = stored
        .iter()
        .map(|message| message.content.text().unwrap_or_default().to_owned())
        .collect();
    let mut stored_count: HashMap<&str, usize> = HashMap::new();
    for text in &stored_texts {
        *stored_count.entry(text.as_str()).or_default() += 1;
    }
    let stored_twice = stored_count.values().filter(|count| **count > 1).count();
    let mut seen_ids = HashSet::new();
    let mut seen_texts = HashSet::new();
    let mut app_duplicates = 0;
    let mut order = Vec::new();
    for (id, text) in &delivered {
        if !seen_ids.insert(id.clone()) {
            app_duplicates += 1;
        }
        if seen_texts.insert(text.clone()) {
            order.push(text.clone());
        }
    }
    let lost = stored_count
        .keys()
        .filter(|text| !seen_texts.contains(**text))
        .count()
        + (settings.messages - stored_count.len()).saturating_sub(failed + unresolved);
    let inversions = order.windows(2).filter(|pair| pair[0] > pair[1]).count();
    let reconnects = |client: &Client| {
        let client = client.clone();
        async move { client.metrics().await.map(|m| m.reconnects).unwrap_or(0) }
    };
    let (sender_reconnects, receiver_reconnects) =
        (reconnects(&sender).await, reconnects(&receiver).await);
    let faults = proxy.counts();
    let elapsed = started.elapsed();

    println!(
        "| soak: {} messages at {}/s, seed {} | |",
        settings.messages, settings.rate, settings.seed
    );
    println!("|---|---|");
    println!("| duration | {:.0} s |", elapsed.as_secs_f64());
    println!(
        "| acknowledged / failed / unresolved sends | {acknowledged} / {failed} / {unresolved} |"
    );
    println!("| lost (never stored, or stored and never delivered) | {lost} |");
    println!("| delivered twice to the app | {app_duplicates} |");
    println!("| stored twice by the server (001 has no client ids) | {stored_twice} |");
    println!("| order inversions at the receiver | {inversions} |");
    println!("| reconnects (sender / receiver) | {sender_reconnects} / {receiver_reconnects} |");
    println!(
        "| faults injected: connections / cuts / half-opens | {} / {} / {} |",
        faults.connections, faults.cuts, faults.half_opens
    );
    let ok = lost == 0 && app_duplicates == 0 && inversions == 0 && failed == 0 && unresolved == 0;
    println!("soak result: {}", if ok { "ok" } else { "FAILED" });
    std::process::exit(if ok { 0 } else { 1 });
}

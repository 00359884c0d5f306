//! The reconnect storm: N clients (1,000 by default) connected to the protocol-001 reference
//! server, which drops them all at once. Prints the reconnection attempts per 100 ms window
//! (maximum and histogram), the time until every client is back, and the memory per
//! connected client. Exits 1 if the busiest window holds a quarter of the clients or more, or
//! if not every client is back within 60 s.
//!
//! `niochat-storm [--clients N]` (`cargo xtask soak` runs it; it needs about 3 file
//! descriptors per client: xtask raises the limit).
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use niochat_client::{ClientBuilder, Status};
use niochat_testkit::TestServer;

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let clients: usize = args
        .iter()
        .position(|arg| arg == "--clients")
        .and_then(|at| args.get(at + 1)?.parse().ok())
        .unwrap_or(1000);
    let server = TestServer::start().await;
    let url = format!("{}/ws", server.url());
    let before = resident_kib();
    let mut handles = Vec::with_capacity(clients);
    for index in 0..clients {
        let client = ClientBuilder::new(url.as_str())
            .token(server.token_for(&format!("storm-{index}")))
            .build()
            .expect("a valid client");
        client.connect();
        handles.push(client);
    }
    let all_connected = |server: &TestServer| server.connections() >= clients;
    let deadline = Instant::now() + Duration::from_secs(60);
    while !all_connected(&server) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let connected_kib = resident_kib().saturating_sub(before);
    // Let every client settle into its session before the drop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let statuses_ok = handles
        .iter()
        .filter(|client| client.status() == Status::Connected)
        .count();

    let handshakes_before = server.handshakes();
    let dropped = Instant::now();
    server.drop_all_connections();
    let mut windows: Vec<u64> = Vec::new();
    let mut last = handshakes_before;
    let mut back_after = None;
    while Instant::now() < dropped + Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = server.handshakes();
        windows.push(now - last);
        last = now;
        if server.connections() >= clients {
            back_after = Some(dropped.elapsed());
            break;
        }
    }
    let busiest = windows.iter().copied().max().unwrap_or(0);
    println!("| reconnect storm: {clients} clients dropped at once | |");
    println!("|---|---|");
    println!("| connected before the drop | {statuses_ok} |");
    println!(
        "| memory per connected client (client and server side, one process) | {:.1} KiB |",
        connected_kib as f64 / clients as f64
    );
    println!(
        "| attempts in the busiest 100 ms window | {busiest} ({:.1} % of the clients) |",
        100.0 * busiest as f64 / clients as f64
    );
    match back_after {
        Some(after) => println!("| every client back after | {:.2} s |", after.as_secs_f64()),
        None => println!("| every client back after | not within 60 s |"),
    }
    println!("attempts per 100 ms window:");
    for (index, count) in windows.iter().enumerate() {
        let bar = "#".repeat((*count as usize * 60).div_ceil(clients.max(1)));
        println!("  {:>5} ms {count:>5} {bar}", index * 100);
    }
    let ok = back_after.is_some() && (busiest as usize) * 4 < clients;
    println!("storm result: {}", if ok { "ok" } else { "FAILED" });
    std::process::exit(if ok { 0 } else { 1 });
}

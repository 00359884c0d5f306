//! The Socket.IO rows: receiving events from one socket.io 4.8 server (Node), through the
//! SDK's Socket.IO dialect (the PyTake preset), through socket.io-client on Node, and — with
//! the `peers` feature, as `cargo xtask bench` builds it — through rust_socketio.
//!
//! The server frames its events once at start and writes them in corked chunks, so the
//! clients set the pace; each reference also gets a second row, the client's own CPU time
//! per event, which is what the client costs whatever the pace. The SDK runs with its
//! driver spawned (the default) and in the app's task.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use niochat_client::{Backend, ClientBuilder};

use crate::report::{Better, Row};
use crate::sdk::Driving;
use crate::{Sizes, sdk};

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node")
}

/// The Node socket.io server, sending `count` events to each client that connects.
struct NodeServer {
    _child: tokio::process::Child,
    url: String,
}

impl NodeServer {
    async fn start(count: u64) -> Option<Self> {
        if !folder().join("node_modules/socket.io").exists() {
            eprintln!(
                "Socket.IO rows skipped: run `npm ci` in bench/node (cargo xtask bench does)"
            );
            return None;
        }
        let mut command = tokio::process::Command::new("node");
        command
            .arg(folder().join("blast_server.js"))
            .args(["--count", &count.to_string()]);
        let (child, _, port) = crate::spawn_listening(command).await;
        Some(Self {
            _child: child,
            url: format!("ws://127.0.0.1:{port}"),
        })
    }
}

/// One client's run: events per second, and the client's own CPU time per event (the
/// server runs in its own process, so this is the client's cost even when the server's
/// send rate bounds the first figure).
#[derive(Clone, Copy)]
struct Run {
    rate: f64,
    cpu_micros: f64,
}

/// Two rows per reference: the receive rate and the client CPU per event.
pub async fn rows(sizes: Sizes) -> Vec<Row> {
    let count = sizes.socket_io;
    let Some(server) = NodeServer::start(count).await else {
        return Vec::new();
    };
    let url = server.url.as_str();
    #[cfg_attr(not(feature = "peers"), allow(unused_mut))]
    let mut rows = compare(sizes, url, "socket.io-client", || node_client(url, count)).await;
    #[cfg(feature = "peers")]
    rows.extend(
        compare(sizes, url, "rust_socketio", || {
            peers::rust_socketio(url, count)
        })
        .await,
    );
    rows
}

/// Per reference: the receive rate and the client CPU per event, with the SDK's driver
/// spawned and in the app's task; both pairs against the same runs of the reference.
async fn compare<F: Future<Output = Run>>(
    sizes: Sizes,
    url: &str,
    reference: &'static str,
    peer: impl Fn() -> F,
) -> Vec<Row> {
    let count = sizes.socket_io;
    let drivings = [Driving::Spawned, Driving::InAppTask];
    let mut rows: Vec<[Row; 2]> = drivings
        .iter()
        .map(|driving| {
            let name = format!("Socket.IO: receive {count} events{}", driving.label());
            let mut rate = Row::new(name, "events/s", Better::Higher);
            let name = format!("Socket.IO: client CPU per event{}", driving.label());
            let mut cpu = Row::new(name, "µs", Better::Lower);
            rate.reference = reference;
            cpu.reference = reference;
            [rate, cpu]
        })
        .collect();
    for _ in 0..sizes.rounds {
        let theirs = peer().await;
        for (driving, [rate, cpu]) in drivings.iter().zip(&mut rows) {
            let ours = niochat(url, count, *driving).await;
            rate.raw.push(theirs.rate);
            rate.sdk.push(ours.rate);
            cpu.raw.push(theirs.cpu_micros);
            cpu.sdk.push(ours.cpu_micros);
        }
    }
    rows.into_iter().flatten().collect()
}

/// The SDK's side alone, for a profiler.
pub async fn profile(sizes: Sizes) {
    if let Some(server) = NodeServer::start(sizes.socket_io).await {
        for _ in 0..3 {
            niochat(&server.url, sizes.socket_io, Driving::Spawned).await;
        }
    }
}

async fn niochat(url: &str, count: u64, driving: Driving) -> Run {
    let builder = ClientBuilder::new(url).backend(Backend::PyTake);
    let (started, cpu) = (Instant::now(), process_cpu());
    sdk::with_client(builder, driving, async |_, mut events| {
        sdk::receive(&mut events, count).await;
        Run::measured(count, started, cpu)
    })
    .await
}

impl Run {
    fn measured(count: u64, started: Instant, cpu_before: Duration) -> Self {
        Self {
            rate: count as f64 / started.elapsed().as_secs_f64(),
            cpu_micros: (process_cpu() - cpu_before).as_secs_f64() * 1e6 / count as f64,
        }
    }
}

/// This process's CPU time (user and system) so far, from `/proc/self/stat`.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) — utime and stime are the 12th
    // and 13th of those, in clock ticks of 1/100 s.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|field| field.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// socket.io-client on Node: its rate and its CPU per event, as it prints them.
async fn node_client(url: &str, count: u64) -> Run {
    let http = url.replacen("ws://", "http://", 1);
    let output = tokio::process::Command::new("node")
        .arg(folder().join("blast_client.js"))
        .args([&http, &count.to_string()])
        .output()
        .await
        .expect("node runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut figures = text
        .split_whitespace()
        .map(|figure| figure.parse().unwrap_or(f64::NAN));
    Run {
        rate: figures.next().unwrap_or(f64::NAN),
        cpu_micros: figures.next().unwrap_or(f64::NAN),
    }
}

#[cfg(feature = "peers")]
mod peers {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Instant;

    use futures_util::FutureExt;
    use rust_socketio::asynchronous::{Client, ClientBuilder};
    use rust_socketio::{Payload, TransportType};

    pub async fn rust_socketio(url: &str, count: u64) -> super::Run {
        let received = Arc::new(AtomicU64::new(0));
        let done = Arc::new(tokio::sync::Notify::new());
        let (started, cpu) = (Instant::now(), super::process_cpu());
        let (counter, finished) = (received.clone(), done.clone());
        let client = ClientBuilder::new(url.replacen("ws://", "http://", 1))
            .transport_type(TransportType::Websocket)
            .on("message:new", move |_: Payload, _: Client| {
                let (counter, finished) = (counter.clone(), finished.clone());
                async move {
                    if counter.fetch_add(1, Ordering::Relaxed) + 1 == count {
                        finished.notify_one();
                    }
                }
                .boxed()
            })
            .connect()
            .await
            .expect("rust_socketio connects");
        done.notified().await;
        let run = super::Run::measured(count, started, cpu);
        let _ = client.disconnect().await;
        run
    }
}

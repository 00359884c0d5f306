//! Memory per idle connection: each measurement in a fresh process, which opens N idle
//! connections and reports its resident memory growth divided by N.

use std::time::Duration;

use crate::report::{Better, Row};
use crate::{BenchServer, Sizes};

/// The figure, measured in child processes, alternating raw and SDK.
pub async fn idle(server: &BenchServer, sizes: Sizes) -> Row {
    let mut row = Row::new(
        format!("memory per idle connection, {}", sizes.idle),
        "KiB",
        Better::Lower,
    );
    let url = server.url("idle");
    for _ in 0..sizes.rounds {
        row.raw.push(measure("raw", sizes.idle, &url).await);
        row.sdk.push(measure("sdk", sizes.idle, &url).await);
    }
    row
}

async fn measure(side: &str, count: usize, url: &str) -> f64 {
    let output = tokio::process::Command::new(std::env::current_exe().expect("this program"))
        .args(["--memory", side, &count.to_string(), url])
        .output()
        .await
        .expect("the measuring process runs");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap_or(f64::NAN)
}

/// In the child: open the connections, then print KiB per connection.
pub async fn child(args: &[String]) {
    let (side, count, url) = (
        args[0].as_str(),
        args[1].parse().unwrap_or(1),
        args[2].as_str(),
    );
    // Warm the allocator and the runtime with one connection that is not counted.
    let warm = open(side, 1, url).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = resident();
    let held = open(side, count, url).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = resident();
    println!("{:.1}", (after - before) as f64 / 1024.0 / count as f64);
    drop((warm, held));
}

/// What a child holds open while it measures.
#[allow(dead_code)]
enum Held {
    Raw(Vec<crate::raw::Raw>),
    Sdk(Vec<(niochat_client::Client, niochat_client::EventStream)>),
}

async fn open(side: &str, count: usize, url: &str) -> Held {
    match side {
        "raw" => {
            let mut held = Vec::with_capacity(count);
            for _ in 0..count {
                held.push(crate::raw::Raw::connect(url).await);
            }
            Held::Raw(held)
        }
        _ => {
            let mut held = Vec::with_capacity(count);
            for _ in 0..count {
                held.push(crate::sdk::connected(crate::sdk::builder(url, 100)).await);
            }
            Held::Sdk(held)
        }
    }
}

/// The process's resident memory, in bytes.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|pages| pages.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

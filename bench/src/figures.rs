//! The figures, each measured in alternating rounds (which side goes first alternates too).

use std::time::{Duration, Instant};

use crate::raw::{self, Raw};
use crate::report::{Better, Row};
use crate::sdk::Driving;
use crate::{BenchServer, Sizes, sdk};

/// Every figure, or those named in `only` (`receive`, `sequential`, `pipelined`, `memory`,
/// `flush`, `socket_io`).
pub async fn run(server: &mut BenchServer, sizes: Sizes, only: &[String]) -> Vec<Row> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|one| one == name);
    let mut rows = Vec::new();
    for driving in [Driving::Spawned, Driving::InAppTask] {
        if wanted("receive") {
            rows.push(receive(server, sizes, driving).await);
        }
        if wanted("sequential") {
            rows.extend(sequential(server, sizes, driving).await);
        }
        // With the driver in the app's task, pipelined sends measured the same as spawned
        // (0.62 and 0.38 of raw, against 0.65 and 0.42): no rows of their own.
        if wanted("pipelined") && driving == Driving::Spawned {
            rows.push(pipelined(server, sizes, 100, false).await);
            rows.push(pipelined(server, sizes, 10_000, false).await);
            rows.push(pipelined(server, sizes, 100, true).await);
        }
    }
    if wanted("memory") {
        rows.push(crate::memory::idle(server, sizes).await);
    }
    if wanted("flush") {
        rows.push(reconnect_and_flush(server, sizes).await);
    }
    if wanted("socket_io") {
        rows.extend(crate::socket_io::rows(sizes).await);
    }
    rows
}

/// Runs `raw` and `sdk` once per round, alternating which goes first.
async fn rounds<R, S>(sizes: Sizes, row: &mut Row, mut raw: R, mut sdk: S)
where
    R: AsyncFnMut() -> f64,
    S: AsyncFnMut() -> f64,
{
    for round in 0..sizes.rounds {
        if round % 2 == 0 {
            row.raw.push(raw().await);
            row.sdk.push(sdk().await);
        } else {
            row.sdk.push(sdk().await);
            row.raw.push(raw().await);
        }
    }
}

async fn receive(server: &BenchServer, sizes: Sizes, driving: Driving) -> Row {
    let count = sizes.receive;
    let url = server.url(&format!("blast&n={count}"));
    let name = format!("receive {count} messages{}", driving.label());
    let mut row = Row::new(name, "msg/s", Better::Higher);
    rounds(
        sizes,
        &mut row,
        async || {
            let started = Instant::now();
            let mut client = Raw::connect(&url).await;
            client.receive(count).await;
            let rate = count as f64 / started.elapsed().as_secs_f64();
            client.close().await;
            rate
        },
        async || {
            let started = Instant::now();
            sdk::with_client(sdk::builder(&url, 100), driving, async |_, mut events| {
                sdk::receive(&mut events, count).await;
                count as f64 / started.elapsed().as_secs_f64()
            })
            .await
        },
    )
    .await;
    row
}

/// p50 and p99 of the send → acknowledgement latency, with the application's code where
/// `#[tokio::main]` puts it (the runtime's `block_on`, off the worker threads, so each round
/// trip crosses threads to a spawned driver's task and back) and, with the driver spawned,
/// also in a task of the runtime (where a server's handlers run: the driver's wake-up lands
/// on the same worker). Both sides run the same way in each pair of rows.
async fn sequential(server: &BenchServer, sizes: Sizes, driving: Driving) -> Vec<Row> {
    let count = sizes.sequential;
    let url = server.url("echo");
    let percentile = |latencies: &mut Vec<Duration>, p: f64| {
        latencies.sort();
        let at = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        latencies[at].as_secs_f64() * 1e6
    };
    let mut rows = Vec::new();
    // With the driver in the app's task, there is no thread to cross: one pair of rows.
    let layouts: &[bool] = match driving {
        Driving::Spawned => &[false, true],
        Driving::InAppTask => &[false],
    };
    for &in_task in layouts {
        let layout = match in_task {
            true => ", app in a task".to_string(),
            false => driving.label().to_string(),
        };
        let mut p50 = Row::new(
            format!("sequential send → ack, p50{layout}"),
            "µs",
            Better::Lower,
        );
        let mut p99 = Row::new(
            format!("sequential send → ack, p99{layout}"),
            "µs",
            Better::Lower,
        );
        for _ in 0..sizes.rounds {
            let raw = {
                let url = url.clone();
                async move {
                    let mut client = Raw::connect(&url).await;
                    let latencies = client.sequential(count).await;
                    client.close().await;
                    latencies
                }
            };
            let sdk = {
                let url = url.clone();
                async move {
                    let builder = sdk::builder(&url, 100);
                    sdk::with_client(builder, driving, async |client, events| {
                        drop(events); // unread, it would keep every event
                        sdk::sequential(client, count).await
                    })
                    .await
                }
            };
            let mut raw_latencies = placed(in_task, raw).await;
            let mut sdk_latencies = placed(in_task, sdk).await;
            p50.raw.push(percentile(&mut raw_latencies, 0.5));
            p50.sdk.push(percentile(&mut sdk_latencies, 0.5));
            p99.raw.push(percentile(&mut raw_latencies, 0.99));
            p99.sdk.push(percentile(&mut sdk_latencies, 0.99));
        }
        rows.extend([p50, p99]);
    }
    rows
}

/// Runs `work` as a task of the runtime when `in_task` (and waits for it), else here.
async fn placed<T: Send + 'static>(
    in_task: bool,
    work: impl Future<Output = T> + Send + 'static,
) -> T {
    match in_task {
        true => tokio::spawn(work)
            .await
            .expect("the benchmark's task finishes"),
        false => work.await,
    }
}

/// `count` sends with at most `window` awaiting acknowledgement, with the application's code
/// in `main`'s `block_on` (the goal's figure) or, with `in_task`, in a task of the runtime, as
/// a server's handlers run: both sides run the same way in each row.
async fn pipelined(server: &BenchServer, sizes: Sizes, window: usize, in_task: bool) -> Row {
    let count = sizes.pipelined;
    let url = server.url("echo");
    let layout = if in_task { ", app in a task" } else { "" };
    let name = format!("{count} sends pipelined with acks, queue cap {window}{layout}");
    let mut row = Row::new(name, "msg/s", Better::Higher);
    rounds(
        sizes,
        &mut row,
        async || placed(in_task, raw_pipelined(url.clone(), count, window)).await,
        async || placed(in_task, sdk_pipelined(url.clone(), count, window)).await,
    )
    .await;
    row
}

/// One round of the reference's pipelined sends: the rate.
async fn raw_pipelined(url: String, count: usize, window: usize) -> f64 {
    let mut client = Raw::connect(&url).await;
    let started = Instant::now();
    client.pipelined(count, window).await;
    let rate = count as f64 / started.elapsed().as_secs_f64();
    client.close().await;
    rate
}

/// One round of the SDK's pipelined sends: the rate.
async fn sdk_pipelined(url: String, count: usize, window: usize) -> f64 {
    let builder = sdk::builder(&url, window);
    sdk::with_client(builder, Driving::Spawned, async |client, events| {
        drop(events); // unread, it would keep every event
        let started = Instant::now();
        sdk::pipelined(client, count, window).await;
        count as f64 / started.elapsed().as_secs_f64()
    })
    .await
}

/// The server comes back: how long until `flush` messages queued meanwhile are acknowledged.
async fn reconnect_and_flush(server: &mut BenchServer, sizes: Sizes) -> Row {
    let count = sizes.flush;
    let url = server.url("echo");
    let retry = Duration::from_millis(10);
    let mut row = Row::new(
        format!("server back → {count} queued messages acknowledged"),
        "ms",
        Better::Lower,
    );
    for _ in 0..sizes.rounds {
        // Raw: its reconnect loop starts with the outage, its messages wait in the app.
        server.control("stop").await;
        let raw = tokio::spawn({
            let url = url.clone();
            async move { raw::reconnect_and_flush(&url, count, retry).await }
        });
        tokio::time::sleep(retry * 3).await;
        server.control("start").await;
        let back = Instant::now();
        let done = raw.await.expect("the raw client finishes");
        row.raw.push(done.duration_since(back).as_secs_f64() * 1e3);

        // SDK: connected, then the outage; the messages wait in its queue.
        let (client, _) =
            sdk::connected(sdk::prompt_reconnects(sdk::builder(&url, 1000), retry)).await;
        server.control("stop").await;
        let sends: Vec<_> = (0..count)
            .map(|n| {
                let client = client.clone();
                tokio::spawn(async move { client.send_message("c1", format!("queued {n}")).await })
            })
            .collect();
        tokio::time::sleep(retry * 3).await;
        server.control("start").await;
        let back = Instant::now();
        for send in sends {
            send.await.expect("joins").expect("acknowledged");
        }
        row.sdk.push(back.elapsed().as_secs_f64() * 1e3);
        client.disconnect().await;
    }
    row
}

/// The window a profiled pipelined figure runs with.
fn window_of(figure: &str) -> usize {
    match figure.ends_with("-10000") {
        true => 10_000,
        false => 100,
    }
}

/// Where the driver runs in a profiled figure: `-in-task` names the app's task.
fn driving_of(figure: &str) -> Driving {
    match figure.ends_with("-in-task") {
        true => Driving::InAppTask,
        false => Driving::Spawned,
    }
}

/// The SDK side of one figure, three times, for a profiler.
pub async fn profile(server: &BenchServer, figure: &str, sizes: Sizes) {
    for _ in 0..3 {
        match figure {
            // `pipelined-10000`: with the queue cap (and window) of the second pipelined row.
            // `-in-task`: with the driver in the app's task.
            _ if figure.starts_with("pipelined") => {
                let window = window_of(figure.trim_end_matches("-in-task"));
                let builder = sdk::builder(&server.url("echo"), window);
                sdk::with_client(builder, driving_of(figure), async |client, events| {
                    drop(events);
                    sdk::pipelined(client, sizes.pipelined, window).await
                })
                .await;
            }
            // The reference's side, to compare system calls and samples with the SDK's.
            "raw-pipelined" | "raw-pipelined-10000" => {
                let mut client = Raw::connect(&server.url("echo")).await;
                client.pipelined(sizes.pipelined, window_of(figure)).await;
                client.close().await;
            }
            "raw-receive" => {
                let mut client =
                    Raw::connect(&server.url(&format!("blast&n={}", sizes.receive))).await;
                client.receive(sizes.receive).await;
                client.close().await;
            }
            "socket_io" => crate::socket_io::profile(sizes).await,
            "sequential" => {
                let (client, _) = sdk::connected(sdk::builder(&server.url("echo"), 100)).await;
                sdk::sequential(&client, sizes.sequential).await;
                client.disconnect().await;
            }
            // `receive`, or `receive-in-task` with the driver in the app's task.
            _ => {
                let url = server.url(&format!("blast&n={}", sizes.receive));
                sdk::with_client(
                    sdk::builder(&url, 100),
                    driving_of(figure),
                    async |_, mut events| sdk::receive(&mut events, sizes.receive).await,
                )
                .await;
            }
        }
    }
}

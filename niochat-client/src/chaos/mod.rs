//! [`ChaosProxy`]: a TCP proxy on 127.0.0.1 that breaks connections the way real networks do,
//! on command or at random from a seed, so that tests — ours, and your app's against your own
//! backend (feature `chaos`) — can prove that nothing is lost, duplicated or stuck.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use niochat_client::chaos::{ChaosProxy, RandomFaults};
//! let upstream = "127.0.0.1:8000".parse()?;
//! let proxy = ChaosProxy::start(upstream).await?;
//! // Point the client at `proxy.ws_url()` + your path, then:
//! proxy.cut_all();
//! proxy.random(Some(RandomFaults { seed: 7, lifetime_ms: (200, 1500), half_open_ratio: 0.2 }));
//! println!("{:?}", proxy.counts());
//! # Ok(())
//! # }
//! ```
//!
//! Faults, per connection or for all of them:
//! - **cut**: a TCP reset now (the peer sees "connection reset", no close frame);
//! - **half-open**: forwarding stops both ways while both TCP connections stay up, as when a
//!   NAT forgets the mapping or a laptop sleeps: only keep-alive can notice;
//! - **delay** and **throttle**: every chunk waits, or bytes flow at a set rate;
//! - **refuse**: new connections are reset as soon as they are accepted;
//! - **cut after N bytes / N frames** (server → client WebSocket frames, counted from the
//!   stream: the cut lands in the middle of whatever comes next).
//!
//! [`ChaosProxy::random`] applies a seeded plan to every new connection: cut after a random
//! lifetime, or freeze it (half-open) with some probability, and counts what it did.

mod frames;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use frames::FrameCounter;

/// A seeded plan of random faults for every new connection.
#[derive(Clone, Debug)]
pub struct RandomFaults {
    /// The seed: the same seed, the same plan.
    pub seed: u64,
    /// Each connection is cut (or frozen) after a lifetime uniform in this range (ms).
    pub lifetime_ms: (u64, u64),
    /// The share of connections frozen (half-open) instead of cut.
    pub half_open_ratio: f64,
}

/// What the proxy did so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Connections accepted.
    pub connections: u64,
    /// Connections reset.
    pub cuts: u64,
    /// Connections frozen (half-open).
    pub half_opens: u64,
    /// Connections refused.
    pub refused: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Verdict {
    #[default]
    Flowing,
    Frozen,
    Cut,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    cuts: AtomicU64,
    half_opens: AtomicU64,
    refused: AtomicU64,
}

struct Shared {
    upstream: SocketAddr,
    refuse: AtomicBool,
    delay: Mutex<Duration>,
    /// Bytes per second, 0 for no limit.
    throttle: AtomicU64,
    cut_after_bytes: Mutex<Option<u64>>,
    cut_after_frames: Mutex<Option<u64>>,
    random: Mutex<Option<(RandomFaults, fastrand::Rng)>>,
    /// Every live connection's verdict channel.
    connections: Mutex<Vec<watch::Sender<Verdict>>>,
    counters: Counters,
}

/// A fault-injecting TCP proxy in front of `upstream`. Stops when dropped.
pub struct ChaosProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut_all();
    }
}

impl ChaosProxy {
    /// Starts forwarding `127.0.0.1:<port>` → `upstream`.
    ///
    /// # Errors
    /// When no port on 127.0.0.1 can be bound (none free, or no loopback interface).
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            refuse: AtomicBool::new(false),
            delay: Mutex::new(Duration::ZERO),
            throttle: AtomicU64::new(0),
            cut_after_bytes: Mutex::new(None),
            cut_after_frames: Mutex::new(None),
            random: Mutex::new(None),
            connections: Mutex::new(Vec::new()),
            counters: Counters::default(),
        });
        let accepting = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let shared = accepting.clone();
                tokio::spawn(async move { shared.serve(client).await });
            }
        });
        Ok(Self {
            address,
            shared,
            task,
        })
    }

    /// The proxy's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `ws://<proxy>` (append the upstream's path).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.address)
    }

    fn set_all(&self, verdict: Verdict) {
        let mut connections = lock(&self.shared.connections);
        connections.retain(|connection| !connection.is_closed());
        for connection in connections.iter() {
            let changed = connection.send_if_modified(|current| {
                let change = *current != Verdict::Cut && *current != verdict;
                if change {
                    *current = verdict;
                }
                change
            });
            if changed {
                let counter = match verdict {
                    Verdict::Cut => &self.shared.counters.cuts,
                    Verdict::Frozen => &self.shared.counters.half_opens,
                    Verdict::Flowing => continue,
                };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Resets every open connection now.
    pub fn cut_all(&self) {
        self.set_all(Verdict::Cut);
    }

    /// Stops forwarding on every open connection, keeping TCP up (half-open).
    pub fn half_open_all(&self) {
        self.set_all(Verdict::Frozen);
    }

    /// Every chunk forwarded waits `delay` first.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.delay) = delay;
    }

    /// Limits each direction of each connection to `bytes_per_second` (`None`: no limit).
    pub fn set_throttle(&self, bytes_per_second: Option<u64>) {
        self.shared
            .throttle
            .store(bytes_per_second.unwrap_or(0), Ordering::Relaxed);
    }

    /// Resets new connections as soon as they are accepted (or accepts them again).
    pub fn refuse_new(&self, refuse: bool) {
        self.shared.refuse.store(refuse, Ordering::Relaxed);
    }

    /// New connections are cut once the server has sent `bytes` bytes (`None`: never).
    pub fn cut_after_bytes(&self, bytes: Option<u64>) {
        *lock(&self.shared.cut_after_bytes) = bytes;
    }

    /// New connections are cut once the server has sent `frames` WebSocket frames.
    pub fn cut_after_frames(&self, frames: Option<u64>) {
        *lock(&self.shared.cut_after_frames) = frames;
    }

    /// Applies `plan` to every new connection (`None`: no random faults).
    pub fn random(&self, plan: Option<RandomFaults>) {
        *lock(&self.shared.random) = plan.map(|plan| {
            let rng = fastrand::Rng::with_seed(plan.seed);
            (plan, rng)
        });
    }

    /// What the proxy did so far.
    pub fn counts(&self) -> FaultCounts {
        let counters = &self.shared.counters;
        FaultCounts {
            connections: counters.connections.load(Ordering::Relaxed),
            cuts: counters.cuts.load(Ordering::Relaxed),
            half_opens: counters.half_opens.load(Ordering::Relaxed),
            refused: counters.refused.load(Ordering::Relaxed),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Shared {
    async fn serve(self: Arc<Self>, client: TcpStream) {
        self.counters.connections.fetch_add(1, Ordering::Relaxed);
        if self.refuse.load(Ordering::Relaxed) {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
            let _ = client.set_zero_linger();
            return;
        }
        let Ok(server) = TcpStream::connect(self.upstream).await else {
            let _ = client.set_zero_linger();
            return;
        };
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        // Linger zero: when the pumps drop the sockets on a cut, both peers get a reset.
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
        let (verdict, watching) = watch::channel(Verdict::Flowing);
        lock(&self.connections).push(verdict.clone());
        if let Some((plan, rng)) = lock(&self.random).as_mut() {
            let (low, high) = plan.lifetime_ms;
            let lifetime = Duration::from_millis(rng.u64(low..=high.max(low)));
            let freeze = rng.f64() < plan.half_open_ratio;
            let planned = verdict.clone();
            let shared = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(lifetime).await;
                let fault = if freeze {
                    Verdict::Frozen
                } else {
                    Verdict::Cut
                };
                if planned.send_if_modified(|current| {
                    let change = *current == Verdict::Flowing;
                    if change {
                        *current = fault;
                    }
                    change
                }) {
                    let counter = match fault {
                        Verdict::Frozen => &shared.counters.half_opens,
                        _ => &shared.counters.cuts,
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        let limits = Limits {
            bytes: *lock(&self.cut_after_bytes),
            frames: *lock(&self.cut_after_frames),
        };
        let (client_read, client_write) = client.into_split();
        let (server_read, server_write) = server.into_split();
        let upstream = tokio::spawn(pump(
            self.clone(),
            client_read,
            server_write,
            watching.clone(),
            verdict.clone(),
            Limits::default(),
        ));
        let downstream = tokio::spawn(pump(
            self.clone(),
            server_read,
            client_write,
            watching,
            verdict.clone(),
            limits,
        ));
        let _ = tokio::join!(upstream, downstream);
    }
}

#[derive(Clone, Copy, Default)]
struct Limits {
    bytes: Option<u64>,
    frames: Option<u64>,
}

/// Forwards `from` → `to` until either closes or the verdict is a cut (then both are
/// dropped: a reset); stalls while frozen.
async fn pump<R, W>(
    shared: Arc<Shared>,
    mut from: R,
    mut to: W,
    mut verdict: watch::Receiver<Verdict>,
    cutter: watch::Sender<Verdict>,
    limits: Limits,
) where
    R: tokio::io::AsyncRead + Unpin,
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut buffer = vec![0u8; 16 * 1024];
    let mut sent: u64 = 0;
    let mut frames = FrameCounter::default();
    loop {
        // Wait while frozen; leave on a cut.
        loop {
            match *verdict.borrow_and_update() {
                Verdict::Flowing => break,
                Verdict::Cut => return,
                Verdict::Frozen => {}
            }
            if verdict.changed().await.is_err() {
                return;
            }
        }
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            _ = verdict.changed() => continue,
        };
        let count = match read {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return;
            }
            Ok(count) => count,
        };
        let delay = *lock(&shared.delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let mut chunk = &buffer[..count];
        if let Some(limit) = limits.bytes {
            let room = limit.saturating_sub(sent) as usize;
            chunk = &chunk[..chunk.len().min(room)];
        }
        if let Some(limit) = limits.frames {
            chunk = &chunk[..frames.cut_point(chunk, limit)];
        }
        let throttle = shared.throttle.load(Ordering::Relaxed);
        for piece in chunk.chunks(if throttle == 0 {
            chunk.len().max(1)
        } else {
            1024
        }) {
            if *verdict.borrow() != Verdict::Flowing {
                break;
            }
            if to.write_all(piece).await.is_err() {
                return;
            }
            if throttle > 0 {
                let pause = Duration::from_secs_f64(piece.len() as f64 / throttle as f64);
                tokio::time::sleep(pause).await;
            }
        }
        sent += chunk.len() as u64;
        if chunk.len() < count {
            // A limit was reached: cut the connection mid-stream.
            if cutter.send_if_modified(|current| {
                let change = *current != Verdict::Cut;
                *current = Verdict::Cut;
                change
            }) {
                shared.counters.cuts.fetch_add(1, Ordering::Relaxed);
            }
            return;
        }
    }
}

//! The benchmark server: protocol 001 on 127.0.0.1, as lean as it can be so that clients are
//! what is measured. It runs in a process of its own (`niochat-bench --serve`), so the
//! clients' memory is measured apart from it.
//!
//! What each connection gets is chosen in its URL's query: `mode=blast&n=N` sends `connected`
//! then N `message` frames; `mode=echo` answers every `message` with `message_sent`, `ping`
//! with `pong`, `join` with `joined`; `mode=idle` sends `connected` and waits. Lines on
//! standard input control the listener: `stop` drops every connection and stops listening,
//! `start` listens again on the same port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

const CONNECTED: &str =
    r#"{"type":"connected","user_id":"bench","timestamp":"2025-12-07T10:00:00.000000"}"#;

/// Runs the server until standard input closes.
pub async fn serve() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let address = listener.local_addr().expect("an address");
    println!("LISTENING {}", address.port());
    let ids = Arc::new(AtomicU64::new(0));
    let mut connections = JoinSet::new();
    let mut listening = Some(listener);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            accepted = accept(&listening) => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(connection(stream, ids.clone()));
                }
            }
            line = lines.next_line() => match line.ok().flatten().as_deref() {
                Some("stop") => {
                    listening = None;
                    connections.abort_all();
                    println!("STOPPED");
                }
                Some("start") => {
                    listening = Some(rebind(address).await);
                    println!("STARTED");
                }
                Some(_) => {}
                None => return,
            },
            Some(_) = connections.join_next() => {}
        }
    }
}

async fn accept(listener: &Option<TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => std::future::pending().await,
    }
}

async fn rebind(address: SocketAddr) -> TcpListener {
    loop {
        if let Ok(listener) = TcpListener::bind(address).await {
            return listener;
        }
        tokio::task::yield_now().await;
    }
}

async fn connection(stream: TcpStream, ids: Arc<AtomicU64>) {
    let _ = stream.set_nodelay(true);
    let mut query = String::new();
    // The callback's signature is tungstenite's; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        query = request.uri().query().unwrap_or_default().to_owned();
        Ok(response)
    };
    let Ok(socket) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let parameter = |name: &str| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    };
    let mode = parameter("mode").unwrap_or_default();
    let count: u64 = parameter("n").and_then(|n| n.parse().ok()).unwrap_or(0);
    let (mut sink, mut reader) = socket.split();
    if sink.feed(Message::text(CONNECTED)).await.is_err() || sink.flush().await.is_err() {
        return;
    }
    if mode == "blast" {
        for n in 0..count {
            let frame = format!(
                r#"{{"type":"message","message":{{"id":"m{n}","conversation_id":"c1","user_id":"agent","content":"message number {n} of the benchmark","role":"user","created_at":"2025-12-07T10:00:00.{:06}"}}}}"#,
                n % 1_000_000
            );
            if sink.feed(Message::text(frame)).await.is_err() {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
    // Answer requests; several waiting frames are answered with one flush.
    while let Some(Ok(message)) = reader.next().await {
        let Message::Text(text) = message else {
            continue;
        };
        let reply = answer(text.as_str(), &ids);
        if sink.feed(Message::text(reply)).await.is_err() {
            return;
        }
        while let Some(Some(Ok(Message::Text(text)))) =
            futures_util::FutureExt::now_or_never(reader.next())
        {
            if sink
                .feed(Message::text(answer(text.as_str(), &ids)))
                .await
                .is_err()
            {
                return;
            }
        }
        if sink.flush().await.is_err() {
            return;
        }
    }
}

/// Protocol 001's answer to one client frame, by its `type` alone.
fn answer(text: &str, ids: &AtomicU64) -> String {
    let kind = text
        .split("\"type\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or("");
    match kind {
        "message" => format!(
            r#"{{"type":"message_sent","message_id":"s{}","timestamp":"2025-12-07T10:00:00.000001"}}"#,
            ids.fetch_add(1, Ordering::Relaxed)
        ),
        "ping" => r#"{"type":"pong","timestamp":"2025-12-07T10:00:00.000001"}"#.to_owned(),
        "join" => r#"{"type":"joined","success":true}"#.to_owned(),
        _ => r#"{"type":"error","error":"unknown","code":"UNKNOWN_TYPE"}"#.to_owned(),
    }
}

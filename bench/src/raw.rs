//! The reference: a hand-written client on tokio-tungstenite that decodes the same frames with
//! serde into typed structs — what an application would write without an SDK, doing the same
//! work as the SDK in each figure and nothing more.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{FutureExt, SinkExt, StreamExt};
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Every server frame the figures see, typed.
#[allow(dead_code)]
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Frame {
    Connected {
        user_id: String,
    },
    Message {
        message: ChatMessage,
    },
    MessageSent {
        message_id: String,
        timestamp: Option<String>,
    },
    Pong {},
    Joined {},
    Error {
        error: String,
    },
}

#[allow(dead_code)]
#[derive(Deserialize)]
struct ChatMessage {
    id: String,
    conversation_id: String,
    user_id: Option<String>,
    content: String,
    role: Option<String>,
    created_at: Option<String>,
}

pub struct Raw {
    sink: SplitSink<Socket, Message>,
    reader: SplitStream<Socket>,
}

impl Raw {
    pub async fn connect(url: &str) -> Raw {
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("connects");
        let (sink, mut reader) = socket.split();
        // The session's greeting.
        let _ = next_frame(&mut reader).await;
        Raw { sink, reader }
    }

    /// Receives `count` messages.
    pub async fn receive(&mut self, count: u64) {
        let mut received = 0;
        while received < count {
            if let Some(Frame::Message { .. }) = next_frame(&mut self.reader).await {
                received += 1;
            }
        }
    }

    /// One message at a time, each waiting for its acknowledgement; the latencies.
    pub async fn sequential(&mut self, count: usize) -> Vec<Duration> {
        let mut latencies = Vec::with_capacity(count);
        for n in 0..count {
            let started = Instant::now();
            self.send(n).await;
            self.sink.flush().await.expect("flushes");
            while !matches!(
                next_frame(&mut self.reader).await,
                Some(Frame::MessageSent { .. })
            ) {}
            latencies.push(started.elapsed());
        }
        latencies
    }

    /// `count` messages with at most `window` waiting for their acknowledgement.
    pub async fn pipelined(&mut self, count: usize, window: usize) {
        let mut in_flight = VecDeque::new();
        let mut sent = 0;
        let mut acknowledged = 0;
        while acknowledged < count {
            while sent < count && in_flight.len() < window {
                self.send(sent).await;
                in_flight.push_back(sent);
                sent += 1;
            }
            self.sink.flush().await.expect("flushes");
            // Every acknowledgement already here, then wait for one more if none was.
            let mut progressed = false;
            loop {
                let frame = match progressed {
                    false => next_frame(&mut self.reader).await,
                    true => match self.reader.next().now_or_never() {
                        Some(read) => decode(read),
                        None => break,
                    },
                };
                if let Some(Frame::MessageSent { .. }) = frame {
                    in_flight.pop_front();
                    acknowledged += 1;
                    progressed = true;
                }
                if acknowledged == count {
                    break;
                }
            }
        }
    }

    async fn send(&mut self, n: usize) {
        let frame =
            format!(r#"{{"type":"message","conversation_id":"c1","content":"message {n}"}}"#);
        self.sink.feed(Message::text(frame)).await.expect("writes");
    }

    pub async fn close(mut self) {
        let _ = self.sink.close().await;
    }
}

/// A reconnecting raw client's work after a server restart: reconnect (trying every
/// `retry`), then send `count` messages queued meanwhile and wait for their acknowledgements.
pub async fn reconnect_and_flush(url: &str, count: usize, retry: Duration) -> Instant {
    let mut raw = loop {
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => {
                let (sink, mut reader) = socket.split();
                let _ = next_frame(&mut reader).await;
                break Raw { sink, reader };
            }
            Err(_) => tokio::time::sleep(retry).await,
        }
    };
    raw.pipelined(count, count).await;
    let done = Instant::now();
    raw.close().await;
    done
}

async fn next_frame(reader: &mut SplitStream<Socket>) -> Option<Frame> {
    decode(reader.next().await)
}

fn decode(read: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>) -> Option<Frame> {
    match read {
        Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str()).ok(),
        Some(Ok(_)) => None,
        _ => panic!("the connection ended"),
    }
}

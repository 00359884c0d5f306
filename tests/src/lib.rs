//! # niochat-testkit
//!
//! A protocol-001 reference server for tests, examples and benchmarks: a real WebSocket server
//! on 127.0.0.1 that behaves like the real FastAPI server (HS256 JWT in `?token=`, 403 at the
//! handshake when bad, rooms forgotten on disconnect, server-assigned ids, naive timestamps,
//! the real error codes and extra replies, close 1011 on non-JSON) and lets tests inject
//! faults: drop every connection, go silent while keeping TCP open, refuse handshakes, send
//! malformed frames, restart on the same port.
//!
//! It is a development tool, not part of the SDK.
//!
//! ```no_run
//! # async fn example() {
//! let server = niochat_testkit::TestServer::start().await;
//! let token = server.token_for("alice");
//! println!("connect to {} with {}", server.url(), token);
//! server.drop_all_connections();
//! # }
//! ```

mod jwt;
mod server;
mod session;
mod tls;

pub use jwt::{expired_token, token_for};
pub use server::{StoredMessage, TestServer};

//! # niochat-testkit
//!
//! Real servers for tests, examples and benchmarks: [`TestServer`], protocol 001's reference
//! server in Rust, and [`PyTakeServer`], a real python-socketio server with PyTake's handlers.
//!
//! The protocol-001 reference server is a real WebSocket server
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
#![forbid(unsafe_code)]

mod child;
mod conectcrm;
mod control;
mod freeze;
mod ids;
mod jwt;
mod niochat;
mod pytake;
mod pytake_go;
mod server;
mod session;
mod tls;

#[cfg(doctest)]
mod guides;

pub use conectcrm::{COMPANY, ConectCrmServer};
pub use control::ControlledServers;
pub use jwt::{expired_token, token_for};
pub use niochat::NioChatServer;
pub use niochat_client::chaos::{ChaosProxy, FaultCounts, RandomFaults};
pub use pytake::{PyTakeServer, python};
pub use pytake_go::PyTakeGoServer;
pub use server::{StoredMessage, TestServer};

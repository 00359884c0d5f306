//! The socket under the native driver: opening `ws://` and `wss://` connections with
//! tokio-tungstenite, and turning what happens on them into the engine's transport events.
//!
//! Writing happens in a task of its own per connection, fed by a channel, so that the driver
//! loop never waits on a socket: a peer that stops reading cannot stall the keep-alive timer
//! that is meant to detect it. A write that takes longer than the write timeout fails the
//! connection.

use std::sync::Arc;
use std::time::Duration;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use crate::SecretUrl;
use crate::engine::{ConnectionError, ConnectionId, TransportEvent};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
pub(crate) type Reader = SplitStream<Socket>;

/// How sockets are opened: frame limits and TLS.
#[derive(Clone)]
pub(crate) struct Transport {
    max_message_bytes: usize,
    write_timeout: Duration,
    tls: Arc<rustls::ClientConfig>,
}

impl Transport {
    /// A transport trusting the webpki roots plus `extra_roots` (DER certificates).
    pub(crate) fn new(
        max_message_bytes: usize,
        write_timeout: Duration,
        extra_roots: &[Vec<u8>],
    ) -> Result<Self, super::BuildError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for der in extra_roots {
            roots
                .add(rustls::pki_types::CertificateDer::from(der.clone()))
                .map_err(|error| super::BuildError::InvalidCertificate(error.to_string()))?;
        }
        // The ring provider, chosen explicitly: no process-wide default to install, and no
        // aws-lc build (C, cmake) for users.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|error| super::BuildError::InvalidCertificate(error.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            max_message_bytes,
            write_timeout,
            tls: Arc::new(tls),
        })
    }

    /// Opens `url`. A refusal is an event for the engine, with nothing secret in it.
    pub(crate) async fn open(self, url: SecretUrl) -> Result<Socket, TransportEvent> {
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_bytes))
            .max_frame_size(Some(self.max_message_bytes));
        let connector = Connector::Rustls(self.tls.clone());
        let opened = tokio_tungstenite::connect_async_tls_with_config(
            url.expose(),
            Some(config),
            true,
            Some(connector),
        )
        .await;
        match opened {
            Ok((socket, _response)) => Ok(socket),
            Err(WsError::Http(response)) => Err(TransportEvent::HandshakeRefused {
                status: response.status().as_u16(),
            }),
            Err(error) => Err(TransportEvent::Failed(ConnectionError::ConnectFailed(
                scrub(&url, &error),
            ))),
        }
    }

    /// Splits an open socket: the reader for the driver loop, a writer task fed by the
    /// returned channel. Write failures are reported on `failures`.
    pub(crate) fn split(
        &self,
        connection: ConnectionId,
        socket: Socket,
        failures: mpsc::UnboundedSender<(ConnectionId, ConnectionError)>,
    ) -> (Reader, Writer) {
        let (sink, reader) = socket.split();
        let (frames, queue) = mpsc::unbounded_channel();
        let task = tokio::spawn(write_loop(sink, queue, self.write_timeout, move |error| {
            let _ = failures.send((connection, error));
        }));
        (reader, Writer { frames, task })
    }

    /// What a frame read from the socket means for the engine. `None`: nothing (control frames).
    pub(crate) fn read_event(
        &self,
        read: Option<Result<Message, WsError>>,
    ) -> Option<TransportEvent> {
        Some(match read {
            Some(Ok(Message::Text(text))) => TransportEvent::Frame(text.as_str().to_owned()),
            Some(Ok(Message::Binary(bytes))) => TransportEvent::Binary(bytes.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => return None,
            Some(Ok(Message::Close(frame))) => TransportEvent::Closed {
                code: frame.as_ref().map(|frame| u16::from(frame.code)),
                reason: frame
                    .map(|frame| frame.reason.as_str().to_owned())
                    .unwrap_or_default(),
            },
            None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => {
                TransportEvent::Closed {
                    code: None,
                    reason: String::new(),
                }
            }
            Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                TransportEvent::Closed {
                    code: None,
                    reason: "connection reset without a close frame".into(),
                }
            }
            Some(Err(WsError::Capacity(_))) => {
                TransportEvent::Failed(ConnectionError::FrameTooLarge {
                    max: self.max_message_bytes,
                })
            }
            Some(Err(error)) => {
                TransportEvent::Failed(ConnectionError::Transport(error.to_string()))
            }
        })
    }
}

/// The sending half of one connection.
pub(crate) struct Writer {
    frames: mpsc::UnboundedSender<Message>,
    task: JoinHandle<()>,
}

impl Writer {
    pub(crate) fn send(&self, text: String) {
        let _ = self.frames.send(Message::text(text));
    }

    /// Sends a close frame and lets the task finish; the handle resolves when it has.
    pub(crate) fn close(self, code: u16, reason: String) -> JoinHandle<()> {
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: reason.into(),
        };
        let _ = self.frames.send(Message::Close(Some(frame)));
        self.task
    }
}

async fn write_loop(
    mut sink: SplitSink<Socket, Message>,
    mut queue: mpsc::UnboundedReceiver<Message>,
    write_timeout: Duration,
    fail: impl Fn(ConnectionError),
) {
    while let Some(message) = queue.recv().await {
        let closing = matches!(message, Message::Close(_));
        match tokio::time::timeout(write_timeout, sink.send(message)).await {
            Ok(Ok(())) if closing => return,
            Ok(Ok(())) => {}
            Ok(Err(error)) => return fail(ConnectionError::Transport(error.to_string())),
            Err(_) => {
                return fail(ConnectionError::Transport(format!(
                    "a write took longer than {write_timeout:?}"
                )));
            }
        }
    }
}

/// An error's text with the secret URL replaced by its redacted form.
fn scrub(url: &SecretUrl, error: &WsError) -> String {
    error.to_string().replace(url.expose(), url.redacted())
}

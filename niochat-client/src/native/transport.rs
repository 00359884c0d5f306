//! The socket under the native driver: opening `ws://` and `wss://` connections with
//! tokio-tungstenite, and turning what happens on them into the engine's transport events.
//!
//! Opening is done in steps (resolve, connect, TLS and WebSocket handshake) so that each
//! failure gets its own kind: DNS, refused, TLS, HTTP status. Writing is the
//! [`Writer`](super::writer::Writer)'s.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::read_ahead::{AnswersAwaited, BytesWritten, ReadAhead};
use super::writer::Writer;
use crate::core::BuildError;
use crate::dialect::ConnectRequest;
use crate::engine::{ConnectionError, ConnectionErrorKind, Detail, TransportEvent};

pub(crate) type Socket = WebSocketStream<MaybeTlsStream<ReadAhead<TcpStream>>>;
pub(crate) type Reader = SplitStream<Socket>;

/// How sockets are opened: frame limits and TLS.
#[derive(Clone)]
pub(crate) struct Transport {
    max_incoming_bytes: usize,
    read_buffer_bytes: usize,
    write_timeout: Duration,
    /// Private roots, when the application added some; otherwise the process-wide default.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Transport {
    /// A transport trusting the webpki roots plus `extra_roots` (DER certificates).
    pub(crate) fn new(
        max_incoming_bytes: usize,
        read_buffer_bytes: usize,
        write_timeout: Duration,
        extra_roots: &[Vec<u8>],
    ) -> Result<Self, BuildError> {
        let tls = match extra_roots.is_empty() {
            true => None,
            false => Some(Arc::new(tls_config(extra_roots)?)),
        };
        Ok(Self {
            max_incoming_bytes,
            read_buffer_bytes,
            write_timeout,
            tls,
        })
    }

    /// Opens `request`. A failure is an event for the engine, with nothing secret in it.
    /// `awaited` tells the socket's read-ahead when answers are coming.
    pub(crate) async fn open(
        self,
        request: ConnectRequest,
        awaited: AnswersAwaited,
    ) -> Result<Socket, TransportEvent> {
        let url = request.url;
        let failed = |kind: ConnectionErrorKind, detail: String| {
            let detail = detail.replace(url.expose(), url.redacted());
            TransportEvent::Failed(ConnectionError::with_source(kind, Detail(detail)))
        };
        let mut http = url
            .expose()
            .into_client_request()
            .map_err(|error| failed(ConnectionErrorKind::Transport, error.to_string()))?;
        for (name, value) in request.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                http.headers_mut().insert(name, value);
            }
        }
        let uri = http.uri().clone();
        let host = uri.host().unwrap_or_default().trim_matches(['[', ']']);
        let secure = uri.scheme_str() == Some("wss");
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let addresses: Vec<_> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|error| failed(ConnectionErrorKind::Dns, error.to_string()))?
            .collect();
        let stream = TcpStream::connect(&addresses[..])
            .await
            .map_err(|error| failed(ConnectionErrorKind::Refused, error.to_string()))?;
        let _ = stream.set_nodelay(true);
        // tungstenite zero-fills its whole read buffer before each read: its size is what an
        // idle connection keeps resident. Bursts are read ahead in larger reads below it.
        let stream = ReadAhead::new(stream, awaited);
        let config = WebSocketConfig::default()
            .read_buffer_size(self.read_buffer_bytes)
            .max_message_size(Some(self.max_incoming_bytes))
            .max_frame_size(Some(self.max_incoming_bytes));
        let connector = match (secure, self.tls) {
            (false, _) => None,
            (true, Some(tls)) => Some(Connector::Rustls(tls)),
            (true, None) => match default_tls() {
                Some(tls) => Some(Connector::Rustls(tls)),
                None => {
                    let detail = "no TLS configuration for the web roots".to_owned();
                    return Err(failed(ConnectionErrorKind::Tls, detail));
                }
            },
        };
        let opened =
            tokio_tungstenite::client_async_tls_with_config(http, stream, Some(config), connector)
                .await;
        match opened {
            Ok((socket, _response)) => Ok(socket),
            Err(WsError::Http(response)) => Err(TransportEvent::HandshakeRefused {
                status: response.status().as_u16(),
            }),
            Err(WsError::Tls(error)) => Err(failed(ConnectionErrorKind::Tls, error.to_string())),
            Err(WsError::Io(error))
                if secure
                    && matches!(
                        error.kind(),
                        std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
                    ) =>
            {
                // rustls reports certificate and protocol failures as invalid data; a server
                // that does not speak TLS hangs up during the handshake.
                Err(failed(ConnectionErrorKind::Tls, error.to_string()))
            }
            Err(error) => Err(failed(ConnectionErrorKind::Transport, error.to_string())),
        }
    }

    /// Splits an open socket: the reader and the writer, both for the driver loop.
    pub(crate) fn split(&self, socket: Socket) -> (Reader, Writer) {
        let written = match socket.get_ref() {
            MaybeTlsStream::Plain(stream) => stream.bytes_written(),
            MaybeTlsStream::Rustls(stream) => stream.get_ref().0.bytes_written(),
            // Not made by `open`: no progress is seen, and a wait is bounded as a whole.
            _ => BytesWritten::default(),
        };
        let (sink, reader) = socket.split();
        (reader, Writer::new(sink, self.write_timeout, written))
    }

    /// What a frame read from the socket means for the engine. `None`: nothing (control frames).
    pub(crate) fn read_event(
        &self,
        read: Option<Result<Message, WsError>>,
    ) -> Option<TransportEvent> {
        let closed = |reason: &str| TransportEvent::Closed {
            code: None,
            reason: reason.to_owned(),
        };
        Some(match read {
            Some(Ok(Message::Text(text))) => TransportEvent::Frame(text.as_str().to_owned()),
            Some(Ok(Message::Binary(bytes))) => TransportEvent::Binary(bytes.to_vec()),
            Some(Ok(Message::Pong(_))) => TransportEvent::Pong,
            // tungstenite answers pings by itself; raw frames do not reach a reader.
            Some(Ok(Message::Ping(_) | Message::Frame(_))) => return None,
            Some(Ok(Message::Close(frame))) => TransportEvent::Closed {
                code: frame.as_ref().map(|frame| u16::from(frame.code)),
                reason: frame
                    .map(|frame| frame.reason.as_str().to_owned())
                    .unwrap_or_default(),
            },
            None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => closed(""),
            Some(Err(WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake))) => {
                closed("connection reset without a close frame")
            }
            // A cut: the peer's TCP went away under us.
            Some(Err(WsError::Io(error)))
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::BrokenPipe
                        | std::io::ErrorKind::UnexpectedEof
                ) =>
            {
                closed("connection reset without a close frame")
            }
            Some(Err(WsError::Capacity(_))) => {
                TransportEvent::Failed(ConnectionError::new(ConnectionErrorKind::FrameTooLarge {
                    max: self.max_incoming_bytes,
                }))
            }
            Some(Err(error)) => TransportEvent::Failed(ConnectionError::with_source(
                ConnectionErrorKind::Transport,
                Detail(error.to_string()),
            )),
        })
    }
}

/// The process-wide TLS configuration for the public web roots: built once, shared by every
/// client (the roots and the session cache are not copied per connection).
fn default_tls() -> Option<Arc<rustls::ClientConfig>> {
    static DEFAULT: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| tls_config(&[]).ok().map(Arc::new))
        .clone()
}

fn tls_config(extra_roots: &[Vec<u8>]) -> Result<rustls::ClientConfig, BuildError> {
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for der in extra_roots {
        roots
            .add(rustls::pki_types::CertificateDer::from(der.clone()))
            .map_err(|error| BuildError::InvalidCertificate(error.to_string()))?;
    }
    // The ring provider, chosen explicitly: no process-wide default to install, and no
    // aws-lc build (C, cmake) for users.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| BuildError::InvalidCertificate(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

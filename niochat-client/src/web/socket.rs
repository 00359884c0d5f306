//! One browser WebSocket, its callbacks turned into [`Input`]s for the driver loop.
//!
//! Browsers give a WebSocket no backpressure of its own: `send()` buffers without limit and
//! reports only `bufferedAmount`. Frames wait here instead while the browser holds more than
//! [`HIGH_WATER`] bytes unsent, and go out as it drains; none is dropped.
//!
//! A socket that closes before it opened gives no reason in a browser (an unreachable host,
//! a TLS failure and an HTTP 401/403 refusal all look the same), so it is reported as a
//! transport failure saying so.

use std::collections::VecDeque;

use futures_channel::mpsc::UnboundedSender;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

use super::driver::Input;
use crate::dialect::ConnectRequest;
use crate::engine::{ConnectionError, ConnectionErrorKind, ConnectionId, Detail, TransportEvent};

/// How many bytes the browser may hold unsent before frames wait here.
pub(super) const HIGH_WATER: u32 = 256 * 1024;

/// The close code browsers report when a connection ended without a close frame.
const ABNORMAL_CLOSURE: u16 = 1006;

pub(super) struct BrowserSocket {
    socket: WebSocket,
    backlog: VecDeque<String>,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl BrowserSocket {
    /// Opens `request.url`; what happens to it arrives on `inputs` tagged with `connection`.
    pub(super) fn open(
        connection: ConnectionId,
        request: &ConnectRequest,
        inputs: &UnboundedSender<Input>,
    ) -> Result<Self, TransportEvent> {
        // The URL may carry the token: the browser's exception text is never passed on.
        let socket = WebSocket::new(request.url.expose()).map_err(|_| {
            TransportEvent::Failed(failed(
                ConnectionErrorKind::Transport,
                "the browser refused to open this WebSocket URL",
            ))
        })?;
        socket.set_binary_type(BinaryType::Arraybuffer);

        let sender = inputs.clone();
        let on_open = Closure::<dyn FnMut(Event)>::new(move |_: Event| {
            let _ = sender.unbounded_send(Input::Socket(connection, TransportEvent::Opened));
        });
        let sender = inputs.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let input = match data.as_string() {
                Some(text) => Input::Text(connection, text),
                None => match data.dyn_into::<js_sys::ArrayBuffer>() {
                    Ok(buffer) => Input::Socket(
                        connection,
                        TransportEvent::Binary(js_sys::Uint8Array::new(&buffer).to_vec()),
                    ),
                    Err(_) => return,
                },
            };
            let _ = sender.unbounded_send(input);
        });
        let sender = inputs.clone();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |event: CloseEvent| {
            let _ = sender.unbounded_send(Input::SocketClosed {
                connection,
                code: event.code(),
                reason: event.reason(),
            });
        });
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        Ok(Self {
            socket,
            backlog: VecDeque::new(),
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
        })
    }

    /// Writes `text` now, or keeps it until the browser's buffer drains. `Err`: the socket is
    /// broken. `Ok(true)`: frames wait here; call [`drain`](Self::drain) later.
    pub(super) fn send(&mut self, text: String) -> Result<bool, ConnectionError> {
        self.backlog.push_back(text);
        self.drain()
    }

    /// Writes waiting frames while the browser's buffer is below the high-water mark.
    /// `Ok(true)`: some still wait.
    pub(super) fn drain(&mut self) -> Result<bool, ConnectionError> {
        while self.socket.buffered_amount() <= HIGH_WATER {
            let Some(text) = self.backlog.pop_front() else {
                return Ok(false);
            };
            if self.socket.send_with_str(&text).is_err() {
                return Err(ConnectionError::new(ConnectionErrorKind::Transport));
            }
        }
        Ok(!self.backlog.is_empty())
    }

    /// Closes with a close frame; the socket's events are no longer reported.
    pub(super) fn close(self, code: u16, reason: &str) {
        // Browsers accept 1000 and 3000-4999 from scripts; anything else becomes 1000.
        let code = match code {
            1000 | 3000..=4999 => code,
            _ => 1000,
        };
        let _ = self.socket.close_with_code_and_reason(code, reason);
    }
}

impl Drop for BrowserSocket {
    fn drop(&mut self) {
        // Detach first: the browser may fire these after the closures are gone.
        self.socket.set_onopen(None);
        self.socket.set_onmessage(None);
        self.socket.set_onclose(None);
        if self.socket.ready_state() <= WebSocket::OPEN {
            let _ = self.socket.close();
        }
    }
}

/// What a close event means to the engine.
pub(super) fn closed(opened: bool, code: u16, reason: String) -> TransportEvent {
    match (opened, code) {
        (false, _) => TransportEvent::Failed(failed(
            ConnectionErrorKind::Transport,
            "the WebSocket handshake failed; browsers do not say why (server unreachable, \
             TLS, or an HTTP refusal such as 401 or 403)",
        )),
        (true, ABNORMAL_CLOSURE) => TransportEvent::Closed { code: None, reason },
        (true, code) => TransportEvent::Closed {
            code: Some(code),
            reason,
        },
    }
}

fn failed(kind: ConnectionErrorKind, why: &str) -> ConnectionError {
    ConnectionError::with_source(kind, Detail(why.to_owned()))
}

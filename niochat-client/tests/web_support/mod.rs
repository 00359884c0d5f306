//! What the browser suite needs around the client: the test servers' control socket (its
//! URL comes from `cargo xtask`, at compile time: a page has no environment), and waiting
//! with a deadline.

use std::future::Future;
use std::time::Duration;

use futures_channel::mpsc;
use futures_util::StreamExt;
use futures_util::future::{Either, select};
use gloo_timers::future::TimeoutFuture;
use serde_json::{Value, json};
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{MessageEvent, WebSocket};

use niochat_client::{Event, EventStream, Status, StatusStream};

/// The control socket of `niochat-test-servers` (see the testkit's `control` module).
pub struct Control {
    socket: WebSocket,
    answers: mpsc::UnboundedReceiver<String>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut(web_sys::Event)>,
    opened: mpsc::UnboundedReceiver<()>,
}

impl Control {
    pub async fn connect() -> Self {
        let Some(url) = option_env!("NIOCHAT_TEST_CONTROL") else {
            panic!("run through `cargo xtask test`: NIOCHAT_TEST_CONTROL names the test servers");
        };
        let socket = WebSocket::new(url).expect("a valid control URL");
        let (answer, answers) = mpsc::unbounded();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let _ = answer.unbounded_send(event.data().as_string().unwrap_or_default());
        });
        let (open, opened) = mpsc::unbounded();
        let on_open = Closure::<dyn FnMut(web_sys::Event)>::new(move |_| {
            let _ = open.unbounded_send(());
        });
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        let mut control = Self {
            socket,
            answers,
            _on_message: on_message,
            _on_open: on_open,
            opened,
        };
        within(5_000, control.opened.next()).await;
        control
    }

    /// Runs a command and returns its answer.
    pub async fn run(&mut self, command: Value) -> Value {
        self.socket
            .send_with_str(&command.to_string())
            .expect("the control socket is open");
        let answer = within(10_000, self.answers.next())
            .await
            .expect("an answer");
        let answer: Value = serde_json::from_str(&answer).expect("JSON");
        assert_eq!(answer["ok"], true, "{command} failed: {answer}");
        answer
    }

    /// The URL and a token for `user` on `backend`.
    pub async fn endpoint(&mut self, backend: &str, user: &str, expired: bool) -> (String, String) {
        let answer = self
            .run(json!({"cmd": "endpoint", "backend": backend, "user": user, "expired": expired}))
            .await;
        let text = |name: &str| answer[name].as_str().unwrap_or_default().to_owned();
        (text("url"), text("token"))
    }

    pub async fn stored(&mut self, conversation: &str) -> Vec<String> {
        let answer = self
            .run(json!({"cmd": "messages", "conversation": conversation}))
            .await;
        serde_json::from_value(answer["contents"].clone()).unwrap_or_default()
    }
}

/// `future`'s output, or a failed test after `millis`.
pub async fn within<T>(millis: u32, future: impl Future<Output = T>) -> T {
    let future = std::pin::pin!(future);
    match select(future, TimeoutFuture::new(millis)).await {
        Either::Left((output, _)) => output,
        Either::Right(_) => panic!("nothing after {millis} ms"),
    }
}

/// Real time passing in the page (only where the browser itself must act meanwhile).
pub async fn pause(duration: Duration) {
    TimeoutFuture::new(duration.as_millis() as u32).await;
}

/// Reads statuses until one matches, within `millis`.
pub async fn status_until(
    statuses: &mut StatusStream,
    millis: u32,
    wanted: impl Fn(&Status) -> bool,
) -> Status {
    within(millis, async {
        loop {
            let status = statuses.next().await.expect("the client is alive");
            if wanted(&status) {
                return status;
            }
        }
    })
    .await
}

/// Reads events until one matches, within `millis`.
pub async fn event_until(
    events: &mut EventStream,
    millis: u32,
    wanted: impl Fn(&Event) -> bool,
) -> Event {
    within(millis, async {
        loop {
            let event = events.next().await.expect("the client is alive");
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
}

/// A name no earlier run used: the servers outlive a single run of the suite.
pub fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", random_hex(12))
}

/// A random UUID (PyTake checks conversation ids for the format).
pub fn uuid() -> String {
    format!(
        "{}-{}-4{}-8{}-{}",
        random_hex(8),
        random_hex(4),
        random_hex(3),
        random_hex(3),
        random_hex(12)
    )
}

fn random_hex(digits: usize) -> String {
    (0..digits)
        .map(|_| {
            let digit = (js_sys::Math::random() * 16.0) as u32;
            char::from_digit(digit.min(15), 16).unwrap_or('0')
        })
        .collect()
}

//! The browser driver in real headless Chromium against real servers on 127.0.0.1 (started
//! by `cargo xtask test`, reached through their control socket): connect and chat, a server
//! drop with a message queued meanwhile (delivered once), a half-open connection detected
//! by keep-alive, an expired token refused where the browser cannot say so, a refused token
//! on Socket.IO, a Socket.IO backend end to end, the page's `offline` and `online` events,
//! the back/forward cache (also entered and left while offline) and a burst beyond the
//! browser's buffer. The outbox in `localStorage` is tested in `web_outbox`.
#![cfg(all(target_arch = "wasm32", feature = "web"))]

mod web_outbox;
mod web_support;

use std::time::Duration;

use niochat_client::{Backend, ClientBuilder, Event, Status, engine::ReconnectPolicy};
use serde_json::{Value, json};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_support::{Control, event_until, pause, status_until, unique, uuid};

wasm_bindgen_test_configure!(run_in_browser);

fn quick_reconnects() -> ReconnectPolicy {
    let mut policy = ReconnectPolicy::default();
    policy.initial_delay = Duration::from_millis(100);
    policy.max_delay = Duration::from_millis(400);
    policy
}

async fn renum_client(control: &mut Control, backend: &str, user: &str) -> niochat_client::Client {
    let (url, token) = control.endpoint(backend, user, false).await;
    ClientBuilder::new(url)
        .token(token)
        .reconnect(quick_reconnects())
        .build()
        .expect("a valid client")
}

fn is_connected(status: &Status) -> bool {
    matches!(status, Status::Connected)
}

fn text_of(event: &Event) -> Option<String> {
    match event {
        Event::Message { message, .. } => message.content.text().map(str::to_owned),
        _ => None,
    }
}

#[wasm_bindgen_test]
async fn two_clients_chat_through_the_reference_server() {
    let mut control = Control::connect().await;
    let alice = renum_client(&mut control, "renum", "alice").await;
    let bob = renum_client(&mut control, "renum", "bob").await;
    let mut bob_events = bob.events();
    alice.connect();
    bob.connect();
    let room = unique("web-chat");
    alice.join(room.as_str()).await.expect("alice joins");
    bob.join(room.as_str()).await.expect("bob joins");
    let ack = alice
        .send_message(room.as_str(), "hello from Chromium")
        .await;
    assert!(ack.is_ok(), "{ack:?}");
    let got = event_until(&mut bob_events, 5_000, |event| text_of(event).is_some()).await;
    assert_eq!(text_of(&got).as_deref(), Some("hello from Chromium"));
}

#[wasm_bindgen_test]
async fn a_message_queued_while_the_server_dropped_us_arrives_once() {
    let mut control = Control::connect().await;
    let client = renum_client(&mut control, "renum", "carol").await;
    let mut statuses = client.status_changes();
    client.connect();
    let room = unique("web-drop");
    client.join(room.as_str()).await.expect("joined");
    control
        .run(json!({"cmd": "drop", "backend": "renum", "user": "carol"}))
        .await;
    status_until(&mut statuses, 5_000, |status| !is_connected(status)).await;
    let ack = client.send_message(room.as_str(), "typed while away").await;
    assert!(ack.is_ok(), "{ack:?}");
    assert_eq!(control.stored(&room).await, ["typed while away"]);
}

#[wasm_bindgen_test]
fn browsers_do_not_expect_websocket_pings() {
    // The browser's WebSocket cannot send pings: a backend watched by them (PyTake Go) must
    // not have its idle connections taken for dead here.
    let builder = ClientBuilder::new("ws://127.0.0.1:9/ws");
    assert!(!builder.config().websocket_pings);
}

#[wasm_bindgen_test]
async fn a_half_open_connection_is_detected_by_keep_alive_and_replaced() {
    let mut control = Control::connect().await;
    let (url, token) = control.endpoint("renum-faults", "dave", false).await;
    let client = ClientBuilder::new(url)
        .token(token)
        .reconnect(quick_reconnects())
        .keep_alive(Duration::from_millis(300), Duration::from_millis(300))
        .build()
        .expect("a valid client");
    let mut statuses = client.status_changes();
    client.connect();
    status_until(&mut statuses, 5_000, is_connected).await;
    control.run(json!({"cmd": "freeze"})).await;
    let lost = status_until(&mut statuses, 5_000, |status| {
        matches!(status, Status::Error(error) if error.kind() == &niochat_client::ConnectionErrorKind::KeepAliveTimeout(Duration::from_millis(300)))
    })
    .await;
    control.run(json!({"cmd": "thaw"})).await;
    status_until(&mut statuses, 5_000, is_connected).await;
    drop(lost);
}

#[wasm_bindgen_test]
async fn an_expired_jwt_refused_with_a_403_the_browser_hides_ends_unauthorized() {
    // Protocol 001 refuses it at the HTTP handshake; the page sees only a failed WebSocket.
    let mut control = Control::connect().await;
    let (url, token) = control.endpoint("renum", "erin-001", true).await;
    let client = ClientBuilder::new(url)
        .token(token)
        .reconnect(quick_reconnects())
        .build()
        .expect("a valid client");
    let mut statuses = client.status_changes();
    client.connect();
    status_until(&mut statuses, 10_000, |status| {
        matches!(status, Status::Error(error) if error.kind() == &niochat_client::ConnectionErrorKind::TokenExpired)
    })
    .await;
    status_until(&mut statuses, 5_000, |status| {
        matches!(status, Status::Unauthorized)
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_refused_token_ends_unauthorized_on_socket_io() {
    let mut control = Control::connect().await;
    let (url, token) = control.endpoint("pytake", "erin", true).await;
    let client = ClientBuilder::new(url)
        .backend(Backend::PyTake)
        .token(token)
        .reconnect(quick_reconnects())
        .build()
        .expect("a valid client");
    let mut statuses = client.status_changes();
    client.connect();
    status_until(&mut statuses, 10_000, |status| {
        matches!(status, Status::Unauthorized)
    })
    .await;
}

#[wasm_bindgen_test]
async fn a_socket_io_backend_works_end_to_end() {
    let mut control = Control::connect().await;
    let (url, token) = control.endpoint("pytake", "frank", false).await;
    let client = ClientBuilder::new(url)
        .backend(Backend::PyTake)
        .token(token)
        .build()
        .expect("a valid client");
    let mut events = client.events();
    client.connect();
    let room = uuid();
    client.join(room.as_str()).await.expect("joined");
    control
        .run(
            json!({"cmd": "post", "backend": "pytake", "conversation": room,
                    "user": "grace", "content": "over Socket.IO"}),
        )
        .await;
    let got = event_until(&mut events, 5_000, |event| text_of(event).is_some()).await;
    assert_eq!(text_of(&got).as_deref(), Some("over Socket.IO"));
}

#[wasm_bindgen_test]
async fn offline_makes_no_attempt_and_online_reconnects_at_once() {
    let mut control = Control::connect().await;
    let client = renum_client(&mut control, "renum", "heidi").await;
    let mut statuses = client.status_changes();
    client.connect();
    status_until(&mut statuses, 5_000, is_connected).await;
    let window = web_sys::window().expect("a page");
    let offline = web_sys::Event::new("offline").expect("an event");
    window.dispatch_event(&offline).expect("dispatched");
    control
        .run(json!({"cmd": "drop", "backend": "renum", "user": "heidi"}))
        .await;
    status_until(&mut statuses, 5_000, |status| !is_connected(status)).await;
    // Real time: the first attempt (100 ms at most) would have come and succeeded by now.
    pause(Duration::from_millis(1_000)).await;
    let meanwhile = statuses.drain_ready();
    assert!(
        !meanwhile.iter().any(is_connected),
        "no attempt while offline: {meanwhile:?}"
    );
    let online = web_sys::Event::new("online").expect("an event");
    window.dispatch_event(&online).expect("dispatched");
    status_until(&mut statuses, 2_000, is_connected).await;
}

#[wasm_bindgen_test]
async fn a_burst_beyond_the_browsers_buffer_is_sent_whole_and_in_order() {
    let mut control = Control::connect().await;
    let client = renum_client(&mut control, "renum", "judy").await;
    client.connect();
    let room = unique("web-burst");
    client.join(room.as_str()).await.expect("joined");
    // 90 messages of 40 KB: 3.6 MB written at once, far over the 256 KiB the driver lets
    // the browser hold; the rest waits in the driver and drains as the socket does.
    let body = "x".repeat(40_000);
    let sends: Vec<_> = (0..90)
        .map(|n| client.send_message(room.as_str(), format!("{n:03} {body}")))
        .collect();
    for (n, ack) in futures_util::future::join_all(sends)
        .await
        .into_iter()
        .enumerate()
    {
        assert!(ack.is_ok(), "message {n}: {ack:?}");
    }
    let stored = control.stored(&room).await;
    let order: Vec<String> = stored.iter().map(|text| text[..3].to_owned()).collect();
    let expected: Vec<String> = (0..90).map(|n| format!("{n:03}")).collect();
    assert_eq!(order, expected, "each once, in order");
}

#[wasm_bindgen_test]
async fn entering_the_back_forward_cache_closes_and_leaving_it_reconnects() {
    let mut control = Control::connect().await;
    let client = renum_client(&mut control, "renum", "kate").await;
    let mut statuses = client.status_changes();
    client.connect();
    status_until(&mut statuses, 5_000, is_connected).await;
    let window = web_sys::window().expect("a page");
    let transition = |kind: &str| {
        let init = web_sys::PageTransitionEventInit::new();
        init.set_persisted(true);
        web_sys::PageTransitionEvent::new_with_event_init_dict(kind, &init).expect("an event")
    };
    window
        .dispatch_event(&transition("pagehide"))
        .expect("dispatched");
    status_until(&mut statuses, 2_000, |status| !is_connected(status)).await;
    // The close frame is on its way: the server sees it within moments.
    let mut open = Value::Null;
    for _ in 0..40 {
        let answer = control
            .run(json!({"cmd": "connections", "backend": "renum", "user": "kate"}))
            .await;
        open = answer["count"].clone();
        if open == 0 {
            break;
        }
        pause(Duration::from_millis(50)).await;
    }
    assert_eq!(open, 0, "closed while in the cache");
    window
        .dispatch_event(&transition("pageshow"))
        .expect("dispatched");
    status_until(&mut statuses, 2_000, is_connected).await;
}

/// Gives the browser's own `navigator.onLine` back when dropped, also when a test fails
/// (the tests share one page).
struct BrowsersOwnOnLine;

impl Drop for BrowsersOwnOnLine {
    fn drop(&mut self) {
        pretend_online(None);
    }
}

/// Makes the page's `navigator.onLine` say `online` (an own property over the prototype's
/// getter), or the browser's own answer again (`None`).
fn pretend_online(online: Option<bool>) {
    let navigator = web_sys::window().expect("a page").navigator();
    let _ = js_sys::Reflect::delete_property(&navigator, &"onLine".into());
    if let Some(online) = online {
        let descriptor = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&descriptor, &"value".into(), &online.into());
        let _ = js_sys::Reflect::set(&descriptor, &"configurable".into(), &true.into());
        js_sys::Object::define_property(&navigator, &"onLine".into(), &descriptor);
    }
}

#[wasm_bindgen_test]
async fn a_page_restored_from_the_cache_follows_the_network_it_finds() {
    let mut control = Control::connect().await;
    let client = renum_client(&mut control, "renum", "liam").await;
    let mut statuses = client.status_changes();
    client.connect();
    status_until(&mut statuses, 5_000, is_connected).await;
    let window = web_sys::window().expect("a page");
    let event = |kind: &str| web_sys::Event::new(kind).expect("an event");
    let transition = |kind: &str| {
        let init = web_sys::PageTransitionEventInit::new();
        init.set_persisted(true);
        web_sys::PageTransitionEvent::new_with_event_init_dict(kind, &init).expect("an event")
    };
    // Offline, then into the cache; restored still offline: no attempt until `online`.
    let _restore = BrowsersOwnOnLine;
    pretend_online(Some(false));
    window
        .dispatch_event(&event("offline"))
        .expect("dispatched");
    window
        .dispatch_event(&transition("pagehide"))
        .expect("dispatched");
    status_until(&mut statuses, 2_000, |status| !is_connected(status)).await;
    window
        .dispatch_event(&transition("pageshow"))
        .expect("dispatched");
    // Real time: an attempt (100 ms at most) would have come and succeeded by now.
    pause(Duration::from_millis(1_000)).await;
    let meanwhile = statuses.drain_ready();
    assert!(
        !meanwhile.iter().any(is_connected),
        "no attempt while still offline: {meanwhile:?}"
    );
    // Into the cache again; the network comes back while the page is cached, so no
    // `online` reaches it: restored, it reconnects all the same.
    window
        .dispatch_event(&transition("pagehide"))
        .expect("dispatched");
    pretend_online(None);
    window
        .dispatch_event(&transition("pageshow"))
        .expect("dispatched");
    status_until(&mut statuses, 2_000, is_connected).await;
}

#[wasm_bindgen_test]
async fn a_token_provider_that_never_answers_leaves_no_future_behind() {
    use std::cell::Cell;
    use std::rc::Rc;
    struct Counted(Rc<Cell<u32>>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }
    let (asked, dropped) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
    let provider = {
        let (asked, dropped) = (asked.clone(), dropped.clone());
        move |_refresh: bool| {
            asked.set(asked.get() + 1);
            let guard = Counted(dropped.clone());
            async move {
                let _guard = guard;
                std::future::pending::<Result<niochat_client::AuthToken, niochat_client::TokenError>>()
                    .await
            }
        }
    };
    let client = ClientBuilder::new("ws://127.0.0.1:9/ws")
        .token_provider(provider)
        .token_timeout(Duration::from_millis(100))
        .reconnect(quick_reconnects())
        .build()
        .expect("a valid client");
    client.connect();
    pause(Duration::from_millis(1_000)).await;
    assert!(
        asked.get() >= 2,
        "asked again after each timeout: {}",
        asked.get()
    );
    // A fetch is dropped once its task runs again after being cancelled: moments later.
    let settled = |missing: u32| {
        let (asked, dropped) = (asked.clone(), dropped.clone());
        async move {
            for _ in 0..50 {
                if dropped.get() + missing >= asked.get() {
                    break;
                }
                pause(Duration::from_millis(20)).await;
            }
            (asked.get(), dropped.get())
        }
    };
    let (now_asked, now_dropped) = settled(1).await;
    assert!(
        now_dropped + 1 >= now_asked,
        "every fetch but the one under way dropped: {now_dropped} of {now_asked}"
    );
    drop(client);
    let (now_asked, now_dropped) = settled(0).await;
    assert_eq!(now_dropped, now_asked, "and that one with the client");
}

//! The browser driver in real headless Chromium against real servers on 127.0.0.1 (started
//! by `cargo xtask test`, reached through their control socket): connect and chat, a server
//! drop with a message queued meanwhile (delivered once), a half-open connection detected
//! by keep-alive, a refused token, a Socket.IO backend end to end, the page's `offline` and
//! `online` events, and the outbox surviving the client in `localStorage` (two tabs on one
//! outbox name included).
#![cfg(all(target_arch = "wasm32", feature = "web"))]

mod web_support;

use std::time::Duration;

use niochat_client::{
    Backend, ClientBuilder, Event, LocalStorageOutbox, Status, engine::ReconnectPolicy,
};
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
async fn messages_queued_before_the_tab_closed_are_sent_once_by_the_next_client() {
    let mut control = Control::connect().await;
    let key = "niochat-web-test-outbox";
    let room = unique("web-outbox");
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item(key);
    }
    let (url, token) = control.endpoint("renum", "ivan", false).await;
    let first = ClientBuilder::new(url.clone())
        .token(token.clone())
        .outbox_store(LocalStorageOutbox::open(key).expect("localStorage"))
        .build()
        .expect("a valid client");
    // Never connected: the tab closes with the message queued.
    first
        .queue_message(room.as_str(), "written before closing")
        .await
        .expect("queued");
    drop(first);
    pause(Duration::from_millis(50)).await;

    let next = ClientBuilder::new(url)
        .token(token)
        .outbox_store(LocalStorageOutbox::open(key).expect("localStorage"))
        .build()
        .expect("a valid client");
    let mut events = next.events();
    next.connect();
    acknowledged(&mut events).await;
    assert_eq!(control.stored(&room).await, ["written before closing"]);
    assert_eq!(
        keys_on(key),
        Vec::<String>::new(),
        "nothing left in localStorage"
    );
}

/// Waits (5 s at most) for the next message the server acknowledged.
async fn acknowledged(events: &mut niochat_client::EventStream) {
    event_until(events, 5_000, |event| {
        matches!(
            event,
            Event::Outgoing {
                state: niochat_client::MessageState::Acknowledged(_),
                ..
            }
        )
    })
    .await;
}

fn local_storage() -> web_sys::Storage {
    web_sys::window()
        .and_then(|window| window.local_storage().ok().flatten())
        .expect("localStorage")
}

/// Every `localStorage` key that is `name` or starts with `name#`.
fn keys_on(name: &str) -> Vec<String> {
    let storage = local_storage();
    let count = storage.length().expect("a length");
    let mut keys: Vec<String> = (0..count)
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key == name || key.starts_with(&format!("{name}#")))
        .collect();
    keys.sort();
    keys
}

fn clear_keys_on(name: &str) {
    for key in keys_on(name) {
        let _ = local_storage().remove_item(&key);
    }
}

#[wasm_bindgen_test]
async fn two_tabs_on_one_outbox_name_lose_neither_ones_messages() {
    // Two clients of one page share `localStorage` exactly as two tabs do.
    let mut control = Control::connect().await;
    let name = "niochat-web-test-two-tabs";
    clear_keys_on(name);
    let room = unique("web-two-tabs");
    let (url, token) = control.endpoint("renum", "ivan", false).await;
    let tab = |store| {
        ClientBuilder::new(url.clone())
            .token(token.clone())
            .outbox_store(store)
            .build()
            .expect("a valid client")
    };
    let first = tab(LocalStorageOutbox::open(name).expect("localStorage"));
    let second = tab(LocalStorageOutbox::open(name).expect("localStorage"));
    // Both offline; each queues one message, then both tabs close.
    first
        .queue_message(room.as_str(), "from the first tab")
        .await
        .expect("queued");
    second
        .queue_message(room.as_str(), "from the second tab")
        .await
        .expect("queued");
    assert_eq!(keys_on(name).len(), 2, "one key per client");
    drop((first, second));
    pause(Duration::from_millis(50)).await;

    let next = tab(LocalStorageOutbox::open(name).expect("localStorage"));
    let mut events = next.events();
    next.connect();
    for _ in 0..2 {
        acknowledged(&mut events).await;
    }
    let mut stored = control.stored(&room).await;
    stored.sort();
    assert_eq!(stored, ["from the first tab", "from the second tab"]);
    assert_eq!(
        keys_on(name),
        Vec::<String>::new(),
        "nothing left in localStorage"
    );
}

#[wasm_bindgen_test]
fn an_outbox_takes_over_the_key_of_earlier_versions_and_no_other_names_keys() {
    use niochat_client::engine::{OutboxStore, StoredMessage};

    let name = "niochat-web-test-legacy";
    clear_keys_on(name);
    let storage = local_storage();
    // What versions with one key per name wrote.
    storage
        .set_item(
            name,
            r#"[{"id":4,"conversation_id":"c","content":"legacy"}]"#,
        )
        .expect("written");
    // Another name that starts like this one, and a key this store never makes.
    let other = format!("{name}#2#0000000000001-000000000000001");
    storage.set_item(&other, "not an outbox").expect("written");

    let store = LocalStorageOutbox::open(name).expect("opens");
    // Named after the key it came from, so that copies of it are recognised later.
    let mut legacy = StoredMessage::new(4, "c", "legacy");
    legacy.origin = Some(format!("{name}:4"));
    assert_eq!(store.load().expect("loads"), [legacy]);
    let keys = keys_on(name);
    assert_eq!(keys.len(), 2, "its own key and the other name's: {keys:?}");
    assert!(
        !keys.iter().any(|key| key == name),
        "the bare key is taken over"
    );
    assert!(keys.contains(&other), "another name's key is left alone");

    store.remove(4).expect("removed");
    assert_eq!(
        keys_on(name),
        vec![other.clone()],
        "an empty outbox leaves no key"
    );
    let _ = storage.remove_item(&other);
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

#[wasm_bindgen_test]
async fn a_live_client_writes_its_key_again_when_another_tab_takes_it_over() {
    use niochat_client::engine::{OutboxStore, StoredMessage};
    use wasm_bindgen::JsCast;

    let name = "niochat-web-test-defence";
    clear_keys_on(name);
    let store = LocalStorageOutbox::open(name).expect("opens");
    store
        .save(&StoredMessage::new(1, "c", "written last"))
        .expect("saved");
    let own = keys_on(name).pop().expect("its key");
    // Another document of the origin (as another tab would, having read the key a moment
    // before this message reached it) removes the key. A document hears only other
    // documents' changes: an iframe is one.
    let document = web_sys::window().unwrap().document().unwrap();
    let frame: web_sys::HtmlIFrameElement = document
        .create_element("iframe")
        .unwrap()
        .dyn_into()
        .unwrap();
    document.body().unwrap().append_child(&frame).unwrap();
    let other_tab = frame
        .content_window()
        .unwrap()
        .local_storage()
        .unwrap()
        .unwrap();
    other_tab.remove_item(&own).unwrap();
    assert_eq!(local_storage().get_item(&own).unwrap(), None, "removed");
    let mut back = None;
    for _ in 0..20 {
        pause(Duration::from_millis(25)).await;
        back = local_storage().get_item(&own).unwrap();
        if back.is_some() {
            break;
        }
    }
    assert!(
        back.is_some_and(|json| json.contains("written last")),
        "written again from memory"
    );
    frame.remove();
    drop(store);
    clear_keys_on(name);
}

#[wasm_bindgen_test]
fn a_message_a_live_tab_wrote_again_after_a_take_over_is_taken_once() {
    use niochat_client::engine::{OutboxStore, StoredMessage};

    let name = "niochat-web-test-copies";
    clear_keys_on(name);
    let first = LocalStorageOutbox::open(name).expect("opens");
    first
        .save(&StoredMessage::new(1, "c", "only once"))
        .expect("saved");
    let first_key = keys_on(name).pop().expect("its key");
    let written = local_storage()
        .get_item(&first_key)
        .unwrap()
        .expect("written");
    // A second tab takes the first's key over; the first, still open, writes it again (its
    // defence, which a document does not hear of its own changes, so done by hand here).
    let second = LocalStorageOutbox::open(name).expect("opens");
    local_storage().set_item(&first_key, &written).unwrap();
    assert_eq!(keys_on(name).len(), 2, "the message is under both keys");
    // A third client takes both over: one message, not two.
    let third = LocalStorageOutbox::open(name).expect("opens");
    let texts: Vec<String> = third
        .load()
        .expect("loads")
        .into_iter()
        .map(|message| message.content)
        .collect();
    assert_eq!(texts, ["only once"]);
    drop((first, second, third));
    clear_keys_on(name);
}

#[wasm_bindgen_test]
fn a_message_of_the_earlier_single_key_left_beside_its_copy_is_taken_once() {
    use niochat_client::engine::OutboxStore;

    let name = "niochat-web-test-legacy-copy";
    clear_keys_on(name);
    let legacy = r#"[{"id":4,"conversation_id":"c","content":"legacy"}]"#;
    local_storage().set_item(name, legacy).unwrap();
    let first = LocalStorageOutbox::open(name).expect("opens");
    // A crash before the bare key was removed: it is there again beside the copy.
    local_storage().set_item(name, legacy).unwrap();
    let next = LocalStorageOutbox::open(name).expect("opens");
    assert_eq!(next.load().expect("loads").len(), 1, "one message, not two");
    drop((first, next));
    clear_keys_on(name);
}

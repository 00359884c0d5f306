//! The outbox in `localStorage`, in real Chromium: what a closed tab left is sent once by the
//! next client, two clients of one page (as two tabs) on one outbox name lose neither one's
//! messages, the single key of earlier versions is taken over and other names' keys are
//! not, a live client writes its key again when another document removes it, and copies of
//! one message are queued once. A module of the `web` suite (see `web.rs`).

use std::time::Duration;

use niochat_client::{ClientBuilder, Event, LocalStorageOutbox};
use wasm_bindgen_test::wasm_bindgen_test;

use crate::web_support::{Control, event_until, pause, unique};

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

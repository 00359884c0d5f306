//! [`LocalStorageOutbox`]: the outbox in the browser's `localStorage`.
//!
//! `localStorage` is synchronous, survives closing the tab and the browser, and holds a few
//! megabytes per origin: enough for an outbox of a few hundred short messages, which is all
//! this keeps (IndexedDB is asynchronous and would not fit a synchronous store for no gain
//! at this size).
//!
//! Every tab of an app shares `localStorage`, and an app naturally names its outbox per user,
//! not per tab. Had every client on a name rewritten one key, each would overwrite the
//! others' messages with its own list (a tab's message lost when another tab queued one), and
//! a tab emptying its list would remove the key under a tab still waiting to send. So each
//! client writes only its own key, `name#<time>-<random>`, and, when it opens, takes over
//! the keys left on its name (and the bare `name` key of earlier versions), one at a time:
//! their messages join its own list, written under its key before theirs is removed, so a
//! crash in between sends a message twice rather than never. A tab that closes with messages
//! unsent leaves its key, and the next client on the name sends them.
//!
//! What this cannot tell is whether a key's tab is still open: a client opened while
//! another tab on the name has messages unsent takes those over too, and both tabs send
//! them. And a tab reads other tabs' keys as its process last saw them, a moment old, so it
//! may take over a key without the message written to it last: the live tab hears its key
//! removed (a `storage` event) and writes it again from memory. Delivery stays
//! at-least-once (as for any resend), never lost. Telling live tabs from closed ones needs
//! the asynchronous Web Locks API, which a synchronous store cannot wait for.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Storage, StorageEvent};

use crate::engine::{OutboxStore, StoreError, StoredMessage, merge_stored};

/// An [`OutboxStore`] in `localStorage`: this client's key under a name shared by every
/// client of the app on it (see the module docs).
pub struct LocalStorageOutbox {
    own: Rc<OwnKey>,
    /// Puts this client's key back when another tab removes or changes it.
    defence: Option<Closure<dyn FnMut(StorageEvent)>>,
}

/// This client's key (`name#<time>-<random>`) and the messages written under it.
struct OwnKey {
    key: String,
    storage: Storage,
    messages: RefCell<BTreeMap<u64, StoredMessage>>,
}

impl std::fmt::Debug for LocalStorageOutbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStorageOutbox")
            .field("key", &self.own.key)
            .finish_non_exhaustive()
    }
}

impl LocalStorageOutbox {
    /// The store of a new client on `name`, holding every message that clients on `name`
    /// left unsent (see the module docs). Fails where there is no `localStorage` (a worker,
    /// storage disabled) or a key on `name` cannot be read: those messages would be lost,
    /// so it is an error rather than an empty store.
    pub fn open(name: impl Into<String>) -> Result<Self, StoreError> {
        let name = name.into();
        let storage = web_sys::window()
            .and_then(|window| window.local_storage().ok().flatten())
            .ok_or_else(|| StoreError("localStorage is not available here".into()))?;
        let own = Rc::new(OwnKey {
            key: format!("{name}#{}", own_suffix()),
            storage,
            messages: RefCell::new(BTreeMap::new()),
        });
        // One key at a time, its messages written under this client's key before it is
        // removed: a crash in between sends them twice rather than never, and the space
        // needed beyond what is stored is one key's, not everything's twice.
        for key in keys_on(&own.storage, &name)? {
            let mut part = read(&own.storage, &key)?;
            // Written before messages carried their origin (the bare key, earlier
            // versions): named after this key, so that copies a crash leaves of them match.
            for message in part.iter_mut().filter(|message| message.origin.is_none()) {
                message.origin = Some(format!("{key}:{}", message.id));
            }
            let mut messages = own.messages.borrow_mut();
            let taken = merge_stored(vec![messages.values().cloned().collect(), part]);
            if own.write(&taken).is_err() {
                // Full: what is left stays under its key for a later client.
                break;
            }
            *messages = taken;
            drop(messages);
            // Not removed: sent again by a later client, at worst.
            let _ = own.storage.remove_item(&key);
        }
        let defence = defend(&own);
        Ok(Self { own, defence })
    }
}

impl Drop for LocalStorageOutbox {
    fn drop(&mut self) {
        if let (Some(window), Some(defence)) = (web_sys::window(), &self.defence) {
            let _ = window
                .remove_event_listener_with_callback("storage", defence.as_ref().unchecked_ref());
        }
    }
}

/// Listens for other tabs' changes to this client's key and writes it again from memory.
/// A tab opening reads the other keys on the name as its process last saw them, which may be
/// a moment old: it could take over a key without the message written under it last, then
/// remove it. Written again, that message is sent twice at worst, never lost. (A document
/// hears only other documents' changes, so this client's own writes do not come back.)
fn defend(own: &Rc<OwnKey>) -> Option<Closure<dyn FnMut(StorageEvent)>> {
    let window = web_sys::window()?;
    let own_key = Rc::downgrade(own);
    let defence = Closure::<dyn FnMut(StorageEvent)>::new(move |event: StorageEvent| {
        let Some(own) = own_key.upgrade() else {
            return;
        };
        // `None`: the whole storage was cleared.
        if event.key().is_none_or(|key| key == own.key) {
            let messages = own.messages.borrow();
            if !messages.is_empty() {
                let _ = own.write(&messages);
            }
        }
    });
    window
        .add_event_listener_with_callback("storage", defence.as_ref().unchecked_ref())
        .ok()?;
    Some(defence)
}

impl OwnKey {
    fn write(&self, messages: &BTreeMap<u64, StoredMessage>) -> Result<(), StoreError> {
        if messages.is_empty() {
            return self
                .storage
                .remove_item(&self.key)
                .map_err(|_| StoreError(format!("cannot write localStorage key {:?}", self.key)));
        }
        let list: Vec<&StoredMessage> = messages.values().collect();
        let json = serde_json::to_string(&list).map_err(|error| StoreError(error.to_string()))?;
        self.storage.set_item(&self.key, &json).map_err(|_| {
            StoreError(format!(
                "cannot write localStorage key {:?} (quota exceeded?)",
                self.key
            ))
        })
    }
}

impl OutboxStore for LocalStorageOutbox {
    fn load(&self) -> Result<Vec<StoredMessage>, StoreError> {
        Ok(self.own.messages.borrow().values().cloned().collect())
    }

    fn save(&self, message: &StoredMessage) -> Result<(), StoreError> {
        let mut message = message.clone();
        // Named where it was first written, so that copies of it are recognised wherever
        // take-overs and defences carry it (`merge_stored`).
        if message.origin.is_none() {
            message.origin = Some(format!("{}:{}", self.own.key, message.id));
        }
        let mut messages = self.own.messages.borrow_mut();
        messages.insert(message.id, message);
        self.own.write(&messages)
    }

    fn remove(&self, id: u64) -> Result<(), StoreError> {
        let mut messages = self.own.messages.borrow_mut();
        if messages.remove(&id).is_some() {
            self.own.write(&messages)?;
        }
        Ok(())
    }
}

/// The keys that clients on `name` left: the bare `name` first (written by earlier
/// versions), then `name#...` in the order the clients were made.
fn keys_on(storage: &Storage, name: &str) -> Result<Vec<String>, StoreError> {
    let unreadable = || StoreError("cannot list localStorage keys".into());
    let own_prefix = format!("{name}#");
    // The suffix starts with the time its client was made, fixed-width: a set sorts by age.
    let mut keys = std::collections::BTreeSet::new();
    let mut legacy = None;
    for index in 0..storage.length().map_err(|_| unreadable())? {
        match storage.key(index).map_err(|_| unreadable())? {
            Some(key) if key == name => legacy = Some(key),
            Some(key) if key.strip_prefix(&own_prefix).is_some_and(is_suffix) => {
                keys.insert(key);
            }
            _ => {}
        }
    }
    Ok(legacy.into_iter().chain(keys).collect())
}

/// The messages under `key`.
fn read(storage: &Storage, key: &str) -> Result<Vec<StoredMessage>, StoreError> {
    let stored = storage
        .get_item(key)
        .map_err(|_| StoreError(format!("cannot read localStorage key {key:?}")))?;
    match stored {
        Some(json) => serde_json::from_str(&json)
            .map_err(|error| StoreError(format!("localStorage key {key:?}: {error}"))),
        None => Ok(Vec::new()),
    }
}

/// A suffix no other client's key has: the time in milliseconds, zero-padded so that keys
/// sort by age, then 48 random bits (in decimal: hexadecimal formatting cost the npm
/// package more than its share).
fn own_suffix() -> String {
    let now = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * (1u64 << 48) as f64) as u64;
    format!("{now:0w$}-{random:0r$}", w = TIME_DIGITS, r = RANDOM_DIGITS)
}

/// Digits of the time in a suffix: milliseconds since 1970 have 13 until the year 2286.
const TIME_DIGITS: usize = 13;
/// Digits of the random part of a suffix: 2^48 has 15.
const RANDOM_DIGITS: usize = 15;

/// Whether `text` is a suffix [`own_suffix`] makes, so that a name never takes over the keys
/// of another name that starts like it (`chat` and `chat#2`).
fn is_suffix(text: &str) -> bool {
    let digits = |part: &str, length: usize| {
        part.len() == length && part.bytes().all(|byte| byte.is_ascii_digit())
    };
    text.split_once('-')
        .is_some_and(|(time, random)| digits(time, TIME_DIGITS) && digits(random, RANDOM_DIGITS))
}

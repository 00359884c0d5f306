//! The `NioChatClient` class. Each method hands its work to the core's `Client` and turns
//! the answer into a resolved or rejected `Promise`; `on`/`off` keep JavaScript listeners
//! that one local task feeds from the client's event stream.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Function, Promise};
use niochat_client::model::PresenceStatus;
use niochat_client::{
    AuthToken, Client, CommandError, LocalStorageOutbox, MemoryOutboxStore, TokenError,
};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use crate::convert;
use crate::options::{ClientOptions, builder};

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &'static str = include_str!("niochat.d.ts");

#[wasm_bindgen(inline_js = "
export class NioChatError extends Error {
  constructor(details) {
    super(details.message);
    this.name = 'NioChatError';
    this.code = details.code;
    this.details = details;
  }
}
export function makeError(details) { return new NioChatError(details); }
export function errorClass() { return NioChatError; }
")]
extern "C" {
    #[wasm_bindgen(js_name = makeError)]
    fn make_error(details: JsValue) -> JsValue;
    #[wasm_bindgen(js_name = errorClass)]
    fn error_class() -> JsValue;
}

/// The `NioChatError` class, for `instanceof` checks.
#[wasm_bindgen(js_name = nioChatErrorClass, skip_typescript)]
pub fn nio_chat_error_class() -> JsValue {
    error_class()
}

/// The event types and error codes this build knows (the drift test compares them with the
/// declarations).
#[wasm_bindgen(js_name = vocabulary, skip_typescript)]
pub fn vocabulary() -> JsValue {
    to_js(&json!({"events": convert::EVENT_TYPES, "errors": convert::ERROR_CODES}))
}

fn to_js(value: &Value) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(value, &serializer).unwrap_or(JsValue::NULL)
}

fn error(details: Value) -> JsValue {
    make_error(to_js(&details))
}

fn command_error(error: &CommandError) -> JsValue {
    self::error(convert::command_error(error))
}

fn config_error(message: impl std::fmt::Display) -> JsValue {
    error(json!({"code": "INVALID_CONFIG", "message": message.to_string()}))
}

type Listeners = Rc<RefCell<HashMap<String, Vec<Function>>>>;

thread_local! {
    /// The page's shared in-memory outboxes, by name.
    static SHARED_OUTBOXES: RefCell<HashMap<String, MemoryOutboxStore>> = RefCell::default();
}

fn shared_outbox(name: String) -> MemoryOutboxStore {
    SHARED_OUTBOXES.with(|stores| stores.borrow_mut().entry(name).or_default().clone())
}

/// A chat client. See `niochat.d.ts` for the documented API.
#[wasm_bindgen(skip_typescript)]
pub struct NioChatClient {
    client: Client,
    listeners: Listeners,
}

/// `free()`: the client's last events (its final status) still come after this, and must
/// not reach listeners of a client the page has let go of.
impl Drop for NioChatClient {
    fn drop(&mut self) {
        self.listeners.borrow_mut().clear();
    }
}

#[wasm_bindgen]
impl NioChatClient {
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<NioChatClient, JsValue> {
        let get_token = match js_sys::Reflect::get(&options, &"getToken".into()) {
            Ok(value) if value.is_undefined() || value.is_null() => None,
            Ok(value) => Some(
                value
                    .dyn_into::<Function>()
                    .map_err(|_| config_error("getToken must be a function"))?,
            ),
            Err(_) => None,
        };
        // Through JSON, so that every field is seen (a typo is refused) and functions drop out.
        let json = js_sys::JSON::stringify(&options)
            .ok()
            .and_then(|json| json.as_string())
            .ok_or_else(|| config_error("the options must be an object"))?;
        let parsed: ClientOptions = serde_json::from_str(&json).map_err(config_error)?;
        let persist = parsed.persist_outbox.clone();
        let shared = parsed.shared_outbox.clone();
        let mut builder = builder(parsed).map_err(config_error)?;
        if let Some(get_token) = get_token {
            builder = builder.token_provider(move |refresh: bool| {
                let result = get_token.call1(&JsValue::NULL, &JsValue::from_bool(refresh));
                async move {
                    let value = match result {
                        Ok(value) if value.is_instance_of::<Promise>() => {
                            JsFuture::from(Promise::from(value)).await
                        }
                        other => other,
                    };
                    match value.map(|value| value.as_string()) {
                        Ok(Some(token)) => Ok(AuthToken::new(token)),
                        Ok(None) => Err(TokenError("getToken did not give a string".into())),
                        Err(_) => Err(TokenError("getToken failed".into())),
                    }
                }
            });
        }
        if let (None, Some(name)) = (&persist, shared) {
            builder = builder.outbox_store(shared_outbox(name));
        }
        if let Some(key) = persist {
            let store = LocalStorageOutbox::open(key)
                .map_err(|e| error(json!({"code": "STORAGE", "message": e.to_string()})))?;
            builder = builder.outbox_store(store);
        }
        let client = builder.build().map_err(config_error)?;
        let listeners: Listeners = Rc::default();
        let mut events = client.events();
        let dispatch = listeners.clone();
        wasm_bindgen_futures::spawn_local(async move {
            while let Some(event) = events.next().await {
                let payload = convert::event(&event);
                let kind = payload["type"].as_str().unwrap_or("unknown").to_owned();
                let value = to_js(&payload);
                // Listeners may add or remove listeners: call a snapshot.
                let called: Vec<Function> = {
                    let listeners = dispatch.borrow();
                    let mut called = listeners.get(&kind).cloned().unwrap_or_default();
                    called.extend(listeners.get("*").cloned().unwrap_or_default());
                    called
                };
                for listener in called {
                    if let Err(thrown) = listener.call1(&JsValue::NULL, &value) {
                        web_sys::console::error_2(&"niochat: a listener threw".into(), &thrown);
                    }
                }
            }
        });
        Ok(NioChatClient { client, listeners })
    }

    pub fn connect(&self) {
        self.client.connect();
    }

    pub fn disconnect(&self) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            client.disconnect().await;
            Ok(JsValue::UNDEFINED)
        })
    }

    pub fn reconnect(&self) {
        self.client.reconnect();
    }

    #[wasm_bindgen(js_name = networkAvailable)]
    pub fn network_available(&self) {
        self.client.network_available();
    }

    #[wasm_bindgen(js_name = networkLost)]
    pub fn network_lost(&self) {
        self.client.network_lost();
    }

    pub fn suspend(&self) {
        self.client.suspend();
    }

    pub fn resume(&self) {
        self.client.resume();
    }

    #[wasm_bindgen(js_name = sendMessage)]
    pub fn send_message(&self, conversation_id: String, text: String) -> Promise {
        // Taken now, so messages go out in the order JavaScript called this.
        let answer = self.client.send_message(conversation_id, text);
        future_to_promise(async move {
            match answer.await {
                Ok(ack) => Ok(to_js(&convert::ack(&ack))),
                Err(error) => Err(command_error(&error)),
            }
        })
    }

    #[wasm_bindgen(js_name = queueMessage)]
    pub fn queue_message(&self, conversation_id: String, text: String) -> Promise {
        let answer = self.client.queue_message(conversation_id, text);
        future_to_promise(async move {
            match answer.await {
                Ok(id) => Ok(JsValue::from_f64(id.get() as f64)),
                Err(refused) => Err(error(convert::refused_error(&refused))),
            }
        })
    }

    pub fn join(&self, conversation_id: String) -> Promise {
        done(self.client.join(conversation_id))
    }

    pub fn leave(&self, conversation_id: String) -> Promise {
        done(self.client.leave(conversation_id))
    }

    #[wasm_bindgen(js_name = setTyping)]
    pub fn set_typing(&self, conversation_id: String, is_typing: bool) -> Promise {
        done(self.client.set_typing(conversation_id, is_typing))
    }

    #[wasm_bindgen(js_name = markRead)]
    pub fn mark_read(&self, conversation_id: String, message_id: String) -> Promise {
        done(self.client.mark_read(conversation_id, message_id))
    }

    #[wasm_bindgen(js_name = setPresence)]
    pub fn set_presence(&self, status: String) -> Promise {
        done(
            self.client
                .set_presence(PresenceStatus::from(status.as_str())),
        )
    }

    pub fn sync(&self, conversation_id: String, after: Option<String>) -> Promise {
        let answer = self.client.sync(conversation_id, after.map(Into::into));
        future_to_promise(async move {
            match answer.await {
                Ok(count) => Ok(JsValue::from_f64(count as f64)),
                Err(error) => Err(command_error(&error)),
            }
        })
    }

    pub fn ping(&self) -> Promise {
        let answer = self.client.ping();
        future_to_promise(async move {
            match answer.await {
                Ok(rtt) => Ok(JsValue::from_f64(rtt.as_secs_f64() * 1000.0)),
                Err(error) => Err(command_error(&error)),
            }
        })
    }

    #[wasm_bindgen(getter)]
    pub fn status(&self) -> JsValue {
        to_js(&convert::status(&self.client.status()))
    }

    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.client.backend().to_owned()
    }

    pub fn metrics(&self) -> Promise {
        let client = self.client.clone();
        future_to_promise(async move {
            match client.metrics().await {
                Ok(metrics) => Ok(to_js(&convert::metrics(&metrics))),
                Err(refused) => Err(error(convert::refused_error(&refused))),
            }
        })
    }

    pub fn on(&self, event: String, listener: Function) -> Result<(), JsValue> {
        if event != "*" && !convert::EVENT_TYPES.contains(&event.as_str()) {
            let message = format!("unknown event {event:?}");
            return Err(error(json!({"code": "INVALID_CONFIG", "message": message})));
        }
        self.listeners
            .borrow_mut()
            .entry(event)
            .or_default()
            .push(listener);
        Ok(())
    }

    pub fn off(&self, event: String, listener: Function) {
        if let Some(listeners) = self.listeners.borrow_mut().get_mut(&event) {
            listeners.retain(|kept| kept != &listener);
        }
    }
}

/// A promise of `undefined`, or the command's error.
fn done(command: impl std::future::Future<Output = Result<(), CommandError>> + 'static) -> Promise {
    future_to_promise(async move {
        match command.await {
            Ok(()) => Ok(JsValue::UNDEFINED),
            Err(error) => Err(command_error(&error)),
        }
    })
}

//! The page's life, as the browser announces it, turned into [`Input`]s.
//!
//! - `online` / `offline`: the network came back or went away.
//! - `visibilitychange` to visible: the tab is in front again; its timers may have been
//!   throttled for minutes, so the connection is checked at once.
//! - `pagehide` / `pageshow` with `persisted`: the page enters or leaves the back/forward
//!   cache, where an open WebSocket would keep it from being cached or be cut under it.
//!
//! Outside a window (a worker) nothing is listened to. Workers do have `online`, `offline` and
//! `navigator.onLine`, but niochat does not read them yet: there, call `networkLost()` and
//! `networkAvailable()` yourself.

use futures_channel::mpsc::UnboundedSender;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{Event, EventTarget, PageTransitionEvent, VisibilityState};

use super::driver::Input;

/// A listener added to a target, removed when the driver ends.
struct Listener {
    target: EventTarget,
    name: &'static str,
    callback: Closure<dyn FnMut(Event)>,
}

pub(super) struct PageLife {
    listeners: Vec<Listener>,
}

impl PageLife {
    pub(super) fn listen(inputs: &UnboundedSender<Input>) -> Self {
        let mut life = Self {
            listeners: Vec::new(),
        };
        let Some(window) = web_sys::window() else {
            return life;
        };
        let window_target: EventTarget = window.clone().into();
        life.on(&window_target, "online", inputs, |_| {
            Some(Input::Network(true))
        });
        life.on(&window_target, "offline", inputs, |_| {
            Some(Input::Network(false))
        });
        life.on(&window_target, "pagehide", inputs, |event| {
            let persisted = event
                .dyn_ref::<PageTransitionEvent>()
                .is_some_and(PageTransitionEvent::persisted);
            persisted.then_some(Input::Suspend)
        });
        life.on(&window_target, "pageshow", inputs, |event| {
            let persisted = event
                .dyn_ref::<PageTransitionEvent>()
                .is_some_and(PageTransitionEvent::persisted);
            persisted.then_some(Input::Restored)
        });
        if let Some(document) = window.document() {
            let watched = document.clone();
            life.on(&document.into(), "visibilitychange", inputs, move |_| {
                let visible = watched.visibility_state() == VisibilityState::Visible;
                (visible && online()).then_some(Input::Resume)
            });
        }
        life
    }

    fn on(
        &mut self,
        target: &EventTarget,
        name: &'static str,
        inputs: &UnboundedSender<Input>,
        input: impl Fn(&Event) -> Option<Input> + 'static,
    ) {
        let sender = inputs.clone();
        let listener = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            if let Some(input) = input(&event) {
                let _ = sender.unbounded_send(input);
            }
        });
        if target
            .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref())
            .is_ok()
        {
            self.listeners.push(Listener {
                target: target.clone(),
                name,
                callback: listener,
            });
        }
    }
}

/// What the browser believes of the network (`true` outside a window).
pub(super) fn online() -> bool {
    web_sys::window().is_none_or(|window| window.navigator().on_line())
}

impl Drop for PageLife {
    fn drop(&mut self) {
        for listener in self.listeners.drain(..) {
            let callback = listener.callback.as_ref().unchecked_ref();
            let _ = listener
                .target
                .remove_event_listener_with_callback(listener.name, callback);
        }
    }
}

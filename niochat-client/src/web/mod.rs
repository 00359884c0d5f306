//! The browser driver: the client core driven by the browser's WebSocket and timers
//! (feature `web`, target `wasm32-unknown-unknown`).
//!
//! [`ClientBuilder::build`] starts one local task per client (`spawn_local`) that owns the
//! core and the socket. The page's life is followed: `offline` pauses attempts and pings
//! until `online`, which reconnects at once on a fresh schedule; a tab made visible again is
//! checked at once; a page entering the back/forward cache closes its connection and
//! reconnects when it is shown again. Browsers cannot send WebSocket pings, so a backend
//! whose keep-alive relies on them (PyTake Go) is watched only by the browser and by failed
//! sends there. Messages can outlive the tab with [`LocalStorageOutbox`].

mod driver;
mod life;
mod socket;
mod storage;

pub use storage::LocalStorageOutbox;

use crate::core::{BuildError, Client, ClientBuilder};

impl ClientBuilder {
    /// Starts the client's task in the browser's event loop. It stays disconnected until
    /// [`Client::connect`].
    pub fn build(self) -> Result<Client, BuildError> {
        let (client, core, inbox) = self.build_parts(random_seed())?;
        wasm_bindgen_futures::spawn_local(driver::run(core, inbox));
        Ok(client)
    }
}

fn random_seed() -> u64 {
    let high = (js_sys::Math::random() * f64::from(u32::MAX)) as u64;
    let low = (js_sys::Math::random() * f64::from(u32::MAX)) as u64;
    (high << 32) ^ low
}

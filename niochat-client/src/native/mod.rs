//! The native driver: the client core driven by tokio and tokio-tungstenite.
//!
//! [`ClientBuilder::build`] spawns one task per client that owns the core and the socket:
//! a thin loop that carries out the core's I/O and feeds it what happens, with the current
//! time. Dropping the last [`Client`] handle closes the connection and ends the task.

mod driver;
mod file_store;
mod read_ahead;
mod transport;
mod writer;

pub use file_store::FileOutboxStore;

use crate::core::{BuildError, Client, ClientBuilder};

impl ClientBuilder {
    /// Starts the client's task on the current tokio runtime. It stays disconnected until
    /// [`Client::connect`].
    pub fn build(self) -> Result<Client, BuildError> {
        self.check()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let config = self.config();
        let transport = transport::Transport::new(
            config.max_incoming_bytes,
            config.read_buffer_bytes,
            config.connect_timeout,
            &self.extra_roots,
        )?;
        let (client, core, inbox) = self.build_parts(random_seed())?;
        runtime.spawn(driver::run(core, inbox, transport));
        Ok(client)
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

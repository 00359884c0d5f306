//! The native driver: the client core driven by tokio and tokio-tungstenite.
//!
//! [`ClientBuilder::build`] spawns one task per client that owns the core and the socket:
//! a thin loop that carries out the core's I/O and feeds it what happens, with the current
//! time. Dropping the last [`Client`] handle closes the connection and ends the task.
//!
//! Its handles may run a pass of that loop on their own thread: a command made while the
//! connection is quiet is written before the call returns, without waking the task's thread
//! (see `shared_driver`; [`ClientBuilder::caller_thread_writes`] turns it off).
//!
//! [`ClientBuilder::build_with_driver`] hands that loop to the application instead, as a
//! [`Driver`] future to run where it likes. Run in the same task as the code that reads the
//! client's events, it saves a thread hand-over per turn: on a multi-threaded runtime each
//! event otherwise wakes the application's thread from the driver's.

mod driver;
mod file_store;
mod read_ahead;
mod shared_driver;
mod transport;
mod writer;

pub use file_store::FileOutboxStore;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::core::{BuildError, Client, ClientBuilder};

impl ClientBuilder {
    /// Starts the client's task on the current tokio runtime. It stays disconnected until
    /// [`Client::connect`].
    pub fn build(self) -> Result<Client, BuildError> {
        // Settings first: a bad endpoint says so whether or not a runtime is there.
        self.check()?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| BuildError::NoRuntime)?;
        let caller_thread_writes = self.caller_thread_writes;
        let (client, driver) = self.build_with_driver()?;
        match caller_thread_writes {
            true => client.run_turns_inline(shared_driver::spawn(driver, &runtime)),
            false => drop(runtime.spawn(driver)),
        }
        Ok(client)
    }

    /// The client and its driver, for the application to run: [`build`](Self::build) spawns
    /// the driver as a task of its own; this leaves it to you, for instance to run it in
    /// the task that reads the client's events (`tokio::join!`, `tokio::select!`), on one
    /// thread with it. Nothing happens on the connection — no frame read, no keep-alive, no
    /// reconnection — while the driver is not polled, so run it alongside code that does
    /// not block. It must run inside a tokio runtime and ends once every [`Client`] handle
    /// is dropped.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use niochat_client::{ClientBuilder, Event};
    ///
    /// let (client, driver) = ClientBuilder::new("wss://chat.example.com/ws").build_with_driver()?;
    /// let mut events = client.events();
    /// client.connect();
    /// let app = async move {
    ///     while let Some(event) = events.next().await {
    ///         if let Event::Message { message, .. } = event {
    ///             println!("{message:?}");
    ///         }
    ///     }
    /// };
    /// tokio::join!(driver, app);
    /// # Ok(())
    /// # }
    /// ```
    pub fn build_with_driver(self) -> Result<(Client, Driver), BuildError> {
        self.check()?;
        let config = self.config();
        let transport = transport::Transport::new(
            config.max_incoming_bytes,
            config.read_buffer_bytes,
            config.connect_timeout,
            &self.extra_roots,
        )?;
        let (client, core, inbox) = self.build_parts(random_seed())?;
        let driver = Driver(Box::pin(driver::run(core, inbox, transport)));
        Ok((client, driver))
    }
}

/// A client's connection loop, from [`ClientBuilder::build_with_driver`]: a future that
/// completes once every [`Client`] handle is dropped and the connection is closed.
#[must_use = "the client does nothing until its driver runs"]
pub struct Driver(Pin<Box<dyn Future<Output = ()> + Send>>);

impl Future for Driver {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<()> {
        self.0.as_mut().poll(context)
    }
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Driver")
    }
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

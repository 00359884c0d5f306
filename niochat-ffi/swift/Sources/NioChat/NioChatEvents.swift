// Swift conveniences over the generated bindings, shipped beside them.

extension Client {
    /// Every event of this client, in order; the stream finishes when the client shuts down.
    /// Cancelling the consuming task loses nothing: events wait for the next stream.
    /// Iterate it from one task per client.
    public func events() -> AsyncStream<Event> {
        AsyncStream { continuation in
            let reader = Task {
                while !Task.isCancelled {
                    let batch = await self.nextEvents()
                    if batch.isEmpty { break }
                    for event in batch { continuation.yield(event) }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in reader.cancel() }
        }
    }
}

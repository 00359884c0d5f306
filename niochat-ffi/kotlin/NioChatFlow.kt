// Kotlin conveniences over the generated bindings, shipped beside them.
package io.niochat

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * Every event of this client, in order, as a cold [Flow]; it completes when the client is
 * closed. Cancelling the collector loses nothing: events wait for the next collector.
 * Collect it once per client.
 */
fun Client.events(): Flow<Event> = flow {
    while (true) {
        val batch = nextEvents()
        if (batch.isEmpty()) break
        for (event in batch) emit(event)
    }
}

// Kotlin conveniences over the generated bindings, shipped beside them.
package io.niochat

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * Every event of this client, in order, as a cold [Flow]; it completes when the client is
 * closed. A collector that stops (`first { }`, `take(n)`, cancellation) leaves the events it
 * did not take for the next collector: they are taken one at a time. Collect it once at a
 * time per client.
 */
fun Client.events(): Flow<Event> = flow {
    while (true) {
        val event = nextEvent() ?: break
        emit(event)
    }
}

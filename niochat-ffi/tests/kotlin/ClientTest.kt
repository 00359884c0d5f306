// The generated Kotlin bindings on a real JVM against the real test servers (started by
// `cargo xtask test`, their control socket in NIOCHAT_TEST_CONTROL). Plain Kotlin with a
// small runner: Maven Central (JUnit) is not reachable on these machines. Prints one line per
// test and `test result: ...`; exits 1 on any failure.
package io.niochat.tests

import io.niochat.Client
import io.niochat.ClientConfig
import io.niochat.Event
import io.niochat.NioChatException
import io.niochat.OutboxStorage
import io.niochat.OutgoingState
import io.niochat.ReconnectAttempts
import io.niochat.Status
import io.niochat.StoredMessage
import io.niochat.events
import io.niochat.example.ChatViewModel
import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.WebSocket
import java.util.UUID
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionStage
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.cancel
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout

/** The test servers' control socket: one JSON command, one JSON answer. */
object Control {
    private val answers = LinkedBlockingQueue<String>()
    private val socket: WebSocket = HttpClient.newHttpClient().newWebSocketBuilder()
        .buildAsync(URI(System.getenv("NIOCHAT_TEST_CONTROL")), object : WebSocket.Listener {
            private val text = StringBuilder()
            override fun onText(ws: WebSocket, data: CharSequence, last: Boolean): CompletionStage<*> {
                text.append(data)
                if (last) { answers.put(text.toString()); text.setLength(0) }
                ws.request(1)
                return CompletableFuture.completedFuture(null)
            }
        }).get(5, TimeUnit.SECONDS)

    @Synchronized
    fun run(command: String): String {
        socket.sendText(command, true).get(5, TimeUnit.SECONDS)
        val answer = answers.poll(10, TimeUnit.SECONDS) ?: error("no answer to $command")
        check(answer.contains("\"ok\":true")) { "$command failed: $answer" }
        return answer
    }

    private fun field(json: String, name: String): String =
        Regex("\"$name\":\"([^\"]*)\"").find(json)?.groupValues?.get(1) ?: error("no $name in $json")

    fun endpoint(user: String, expired: Boolean = false): Pair<String, String> {
        val answer = run("""{"cmd":"endpoint","backend":"renum","user":"$user","expired":$expired}""")
        return field(answer, "url") to field(answer, "token")
    }

    fun drop(user: String) = run("""{"cmd":"drop","backend":"renum","user":"$user"}""")

    fun connections(user: String): Int =
        Regex("\"count\":(\\d+)").find(run("""{"cmd":"connections","backend":"renum","user":"$user"}"""))!!
            .groupValues[1].toInt()

    fun stored(conversation: String): List<String> {
        val answer = run("""{"cmd":"messages","conversation":"$conversation"}""")
        val list = answer.substringAfter("\"contents\":[").substringBefore("]")
        return Regex("\"([^\"]*)\"").findAll(list).map { it.groupValues[1] }.toList()
    }
}

fun room(prefix: String) = "$prefix-${UUID.randomUUID().toString().take(8)}"

fun config(user: String, expired: Boolean = false, initialDelayMs: ULong = 100u, graceMs: ULong? = null): ClientConfig {
    val (url, token) = Control.endpoint(user, expired)
    return ClientConfig(
        url = url, token = token, reconnectInitialDelayMs = initialDelayMs,
        reconnectMaxDelayMs = maxOf(initialDelayMs, 400u), reconnectJitter = false,
        backgroundGraceMs = graceMs,
    )
}

suspend fun Client.until(timeoutMs: Long = 5000, wanted: (Event) -> Boolean): Event =
    withTimeout(timeoutMs) { events().first(wanted) }

fun connected(event: Event) = event is Event.StatusChanged && event.status is Status.Connected
fun disconnected(event: Event) = event is Event.StatusChanged && event.status !is Status.Connected

/** The threads niochat started (each client names its own `niochat`). */
fun threads(): Int = File("/proc/self/task").listFiles()?.count { task ->
    File(task, "comm").readText().trim() == "niochat"
} ?: 0

class MapStorage : OutboxStorage {
    val messages = sortedMapOf<ULong, StoredMessage>()
    override fun load(): List<StoredMessage> = synchronized(messages) { messages.values.toList() }
    override fun save(message: StoredMessage) { synchronized(messages) { messages[message.id] = message } }
    override fun remove(id: ULong) { synchronized(messages) { messages.remove(id) } }
}

val tests: List<Pair<String, suspend () -> Unit>> = listOf(
    "two clients chat" to {
        val conversation = room("kt-chat")
        val alice = Client(config("kt-alice"), null, null)
        val bob = Client(config("kt-bob"), null, null)
        for (client in listOf(alice, bob)) { client.connect(); client.join(conversation) }
        val ack = alice.sendMessage(conversation, "hello bob")
        check(ack.conversationId == conversation)
        val got = bob.until { it is Event.Message } as Event.Message
        check(got.message.text == "hello bob") { "bob got ${got.message}" }
        alice.shutdown(); bob.shutdown()
    },
    "messages queued during a server drop arrive once and in order" to {
        val conversation = room("kt-drop")
        val client = Client(config("kt-carol"), null, null)
        client.connect()
        client.join(conversation)
        Control.drop("kt-carol")
        client.until(wanted = ::disconnected)
        coroutineScopeAll(listOf("one", "two", "three").map { text -> suspend { client.sendMessage(conversation, text) } })
        check(Control.stored(conversation) == listOf("one", "two", "three")) { Control.stored(conversation).toString() }
        client.shutdown()
    },
    "a collector that stops at one event leaves the next for the next collector" to {
        val client = Client(config("kt-kim"), null, null)
        client.connect()
        client.until(wanted = ::connected)
        // The session comes in the same turn as Connected.
        client.until(2000) { it is Event.Session }
        client.shutdown()
    },
    "a refused token ends unauthorized" to {
        val client = Client(config("kt-dave", expired = true), null, null)
        client.connect()
        client.until { it is Event.StatusChanged && it.status is Status.Unauthorized }
        try {
            client.sendMessage("c", "never")
            error("a stopped client took a message")
        } catch (expected: NioChatException.Unauthorized) {
        }
        client.shutdown()
    },
    "networkChanged reconnects at once despite a 5 s backoff" to {
        val client = Client(config("kt-erin", initialDelayMs = 5000u), null, null)
        client.connect()
        client.until(wanted = ::connected)
        client.networkChanged(false)
        Control.drop("kt-erin")
        client.until(wanted = ::disconnected)
        client.networkChanged(true)
        client.until(1500, ::connected)
        client.shutdown()
    },
    "enterBackground closes after the grace and enterForeground reconnects at once" to {
        val client = Client(config("kt-frank", initialDelayMs = 5000u, graceMs = 300u), null, null)
        client.connect()
        client.until(wanted = ::connected)
        client.enterBackground()
        client.until(2000, ::disconnected)
        // The close frame is on its way: the server sees it within moments.
        var open = Control.connections("kt-frank")
        repeat(40) { if (open > 0) { delay(50); open = Control.connections("kt-frank") } }
        check(open == 0) { "still connected in the background" }
        client.enterForeground()
        client.until(1500, ::connected)
        client.shutdown()
    },
    "the persisted outbox survives a restart" to {
        val storage = MapStorage()
        val conversation = room("kt-outbox")
        val first = Client(config("kt-grace"), null, storage)
        first.queueMessage(conversation, "queued 1")
        first.queueMessage(conversation, "queued 2")
        first.shutdown() // the app is killed with two messages queued
        check(storage.messages.size == 2)
        val last = storage.messages.lastKey()
        val restarted = Client(config("kt-grace"), null, storage)
        restarted.connect()
        restarted.until { it is Event.Outgoing && it.localId == last && it.state == OutgoingState.ACKNOWLEDGED }
        check(Control.stored(conversation) == listOf("queued 1", "queued 2")) { Control.stored(conversation).toString() }
        check(storage.messages.isEmpty())
        check(restarted.queueMessage(conversation, "after") > last) { "ids unique across restarts" }
        restarted.shutdown()
    },
    "a storage that cannot load fails the build as Storage, keeping its messages" to {
        val broken = object : OutboxStorage {
            override fun load(): List<StoredMessage> = throw NioChatException.Storage("database locked")
            override fun save(message: StoredMessage) {}
            override fun remove(id: ULong) {}
        }
        try {
            Client(config("kt-ivan"), null, broken)
            error("a client was built over a storage it could not read")
        } catch (expected: NioChatException.Storage) {
            check(expected.detail == "storage: database locked") { expected.detail }
        }
    },
    "reconnectAttempts: AtMost(1) gives up after one retry, Forever goes past the default 10" to {
        val port = java.net.ServerSocket(0).use { it.localPort } // closed again: refuses
        fun refused(attempts: ReconnectAttempts) = ClientConfig(
            url = "ws://127.0.0.1:$port/ws", token = "t", reconnectInitialDelayMs = 1u,
            reconnectMaxDelayMs = 1u, reconnectJitter = false, reconnectAttempts = attempts,
        )
        val once = Client(refused(ReconnectAttempts.AtMost(1u)), null, null)
        once.connect()
        val gaveUp = once.until { it is Event.StatusChanged && it.status is Status.GaveUp } as Event.StatusChanged
        check((gaveUp.status as Status.GaveUp).attempts == 1u) { gaveUp.toString() }
        once.shutdown()
        val forever = Client(refused(ReconnectAttempts.Forever), null, null)
        forever.connect()
        val twelfth = forever.until { (it as? Event.StatusChanged)?.status.let { s -> s is Status.Reconnecting && s.attempt == 12u } }
        check(((twelfth as Event.StatusChanged).status as Status.Reconnecting).maxAttempts == null)
        forever.shutdown()
    },
    "cancelled coroutines leak neither events nor threads" to {
        val before = threads()
        val client = Client(config("kt-heidi"), null, null)
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val waiting = scope.launch { client.events().collect { } }
        val sending = scope.async { client.sendMessage(room("kt-cancel"), "cancelled before connect") }
        delay(50)
        scope.cancel()
        waiting.join()
        check(sending.isCancelled)
        client.connect()
        client.until(wanted = ::connected) // the events still flow to a new collector
        client.shutdown()
        delay(100)
        check(threads() <= before) { "${threads() - before} threads left" }
    },
    "the ViewModel example shows the conversation" to {
        val conversation = room("kt-vm")
        val (url, token) = Control.endpoint("kt-ivan")
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
        val model = ChatViewModel(scope, url, token, conversation)
        withTimeout(5000) { model.status.first { it is Status.Connected } }
        model.send("hello from the view model")
        withTimeout(5000) { model.messages.first { list -> list.any { it.text == "hello from the view model" } } }
        Control.run("""{"cmd":"post","backend":"renum","conversation":"$conversation","user":"kt-judy","content":"hi ivan"}""")
        withTimeout(5000) { model.messages.first { list -> list.any { it.text == "hi ivan" && it.userId == "kt-judy" } } }
        model.close()
        scope.cancel()
    },
)

suspend fun coroutineScopeAll(calls: List<suspend () -> Any>) =
    kotlinx.coroutines.coroutineScope { calls.map { async { it() } }.awaitAll() }

fun main() {
    var failed = 0
    for ((name, test) in tests) {
        val started = System.nanoTime()
        try {
            runBlocking { withTimeout(30_000) { test() } }
            println("test kotlin: $name ... ok (${(System.nanoTime() - started) / 1_000_000} ms)")
        } catch (error: Throwable) {
            failed += 1
            println("test kotlin: $name ... FAILED\n  $error")
            error.stackTrace.take(6).forEach { println("    at $it") }
        }
    }
    println("test result: ${if (failed == 0) "ok" else "FAILED"}. ${tests.size - failed} passed; $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}

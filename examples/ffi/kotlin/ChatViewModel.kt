// A ViewModel-style class for an Android chat screen, in plain Kotlin (no Android SDK): the
// connection status and the conversation's messages as StateFlows, sending as a function.
// On Android, pass `viewModelScope`, and from `onCleared()` call `close()` on a scope that
// outlives the ViewModel (`viewModelScope` is already cancelled there), e.g.
// `ProcessLifecycleOwner.get().lifecycleScope.launch { model.close() }`.
package io.niochat.example

import io.niochat.ChatMessage
import io.niochat.Client
import io.niochat.ClientConfig
import io.niochat.Event
import io.niochat.NioChatException
import io.niochat.Status
import io.niochat.events
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

class ChatViewModel(
    private val scope: CoroutineScope,
    url: String,
    token: String,
    private val conversation: String,
) {
    private val client = Client(ClientConfig(url = url, token = token), null, null)

    private val _status = MutableStateFlow<Status>(Status.Disconnected)
    val status: StateFlow<Status> = _status.asStateFlow()

    private val _messages = MutableStateFlow<List<ChatMessage>>(emptyList())
    val messages: StateFlow<List<ChatMessage>> = _messages.asStateFlow()

    private val _problem = MutableStateFlow<String?>(null)
    val problem: StateFlow<String?> = _problem.asStateFlow()

    init {
        scope.launch {
            client.events().collect { event ->
                when (event) {
                    is Event.StatusChanged -> _status.value = event.status
                    is Event.Message ->
                        if (event.message.conversationId == conversation) {
                            _messages.value = _messages.value + event.message
                        }
                    else -> Unit
                }
            }
        }
        client.connect()
        scope.launch {
            try {
                client.join(conversation)
            } catch (error: NioChatException) {
                _problem.value = error.message
            }
        }
    }

    /** Sends `text`; offline it waits in the queue and goes out after the reconnect. */
    fun send(text: String) {
        scope.launch {
            try {
                val ack = client.sendMessage(conversation, text)
                // Our own messages come back as acknowledgements, not as `Message` events.
                val own = ChatMessage(
                    id = ack.messageId, conversationId = conversation, userId = null, text = text,
                    contentJson = "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"",
                    role = null, createdAt = ack.timestamp, extraJson = "{}",
                )
                _messages.value = _messages.value + own
            } catch (error: NioChatException.QueueFull) {
                _problem.value = "too many messages waiting"
            } catch (error: NioChatException) {
                _problem.value = error.message
            }
        }
    }

    /** The app came back to the foreground / the network changed: see the README. */
    fun onForeground() = client.enterForeground()
    fun onBackground() = client.enterBackground()
    fun onNetwork(available: Boolean) = client.networkChanged(available)

    suspend fun close() {
        client.shutdown()
        client.close() // frees the native handle
    }
}

"""The generated Python module against the real test servers: chat, a drop with messages
queued meanwhile, a refused token, the network and app lifecycle signals, the persisted
outbox across a restart, cancellation, and closing without leaking threads."""

import asyncio
import os
import socket
import subprocess
import sys

import niochat_ffi as nc
from conftest import client_for, connected, control, disconnected, endpoint, room, stored, until


def run(coroutine):
    return asyncio.run(coroutine)


def test_two_clients_chat():
    async def scenario():
        alice, bob = await client_for("py-alice"), await client_for("py-bob")
        conversation = room("py-chat")
        for client in (alice, bob):
            client.connect()
            await client.join(conversation)
        ack = await alice.send_message(conversation, "hello bob")
        assert ack.conversation_id == conversation
        got = await until(bob, lambda e: isinstance(e, nc.Event.MESSAGE))
        assert got.message.text == "hello bob" and got.message.user_id == "py-alice"
        await alice.shutdown()
        await bob.shutdown()

    run(scenario())


def test_messages_queued_during_a_server_drop_arrive_once_and_in_order():
    async def scenario():
        client = await client_for("py-carol")
        conversation = room("py-drop")
        client.connect()
        await client.join(conversation)
        await control({"cmd": "drop", "backend": "renum", "user": "py-carol"})
        await until(client, disconnected)
        acks = await asyncio.gather(*(client.send_message(conversation, t) for t in ["one", "two", "three"]))
        assert len({ack.message_id for ack in acks}) == 3
        assert await stored(conversation) == ["one", "two", "three"]
        await client.shutdown()

    run(scenario())


def test_a_message_sent_before_connect_is_reported_still_queued_and_goes_out_once():
    async def scenario():
        client = await client_for("py-ivy")
        conversation = room("py-early")
        try:
            await client.send_message(conversation, "typed before connect")
            raise AssertionError("a client never connected cannot have delivered it")
        except nc.NioChatError.Transport as error:  # not Closed: the client is open
            assert "still queued" in error.detail, error
        client.connect()
        await until(client, connected)
        for _ in range(40):
            if await stored(conversation):
                break
            await asyncio.sleep(0.05)
        assert await stored(conversation) == ["typed before connect"]
        await client.shutdown()

    run(scenario())


def test_a_refused_token_ends_unauthorized():
    async def scenario():
        url, token = await endpoint("py-dave", expired=True)
        client = nc.Client(nc.ClientConfig(url=url, token=token, reconnect_initial_delay_ms=100), None, None)
        client.connect()
        await until(client, lambda e: isinstance(e, nc.Event.STATUS_CHANGED) and isinstance(e.status, nc.Status.UNAUTHORIZED))
        try:
            await client.send_message("c", "never")
            raise AssertionError("a stopped client must not take a message silently")
        except nc.NioChatError.Unauthorized:
            pass
        await client.shutdown()

    run(scenario())


def test_the_network_coming_back_reconnects_at_once():
    async def scenario():
        # After a loss the next attempt waits 5 s: only the signal can make it sooner.
        url, token = await endpoint("py-erin")
        config = nc.ClientConfig(url=url, token=token, reconnect_initial_delay_ms=5000,
                                 reconnect_jitter=False)
        client = nc.Client(config, None, None)
        client.connect()
        await until(client, connected)
        client.network_changed(False)
        await control({"cmd": "drop", "backend": "renum", "user": "py-erin"})
        await until(client, disconnected)
        client.network_changed(True)
        await until(client, connected, timeout=1.5)
        await client.shutdown()

    run(scenario())


def test_reconnect_attempts_at_most_gives_up_and_forever_goes_past_the_default():
    async def scenario():
        with socket.socket() as listener:  # closed again at once: connecting is refused
            listener.bind(("127.0.0.1", 0))
            port = listener.getsockname()[1]

        def refused(attempts):
            return nc.ClientConfig(url=f"ws://127.0.0.1:{port}/ws", token="t",
                                   reconnect_initial_delay_ms=1, reconnect_max_delay_ms=1,
                                   reconnect_jitter=False, reconnect_attempts=attempts)

        def status(kind):
            return lambda e: isinstance(e, nc.Event.STATUS_CHANGED) and isinstance(e.status, kind)

        once = nc.Client(refused(nc.ReconnectAttempts.AT_MOST(attempts=1)), None, None)
        once.connect()
        assert (await until(once, status(nc.Status.GAVE_UP))).status.attempts == 1
        await once.shutdown()
        forever = nc.Client(refused(nc.ReconnectAttempts.FOREVER()), None, None)
        forever.connect()
        twelfth = await until(forever, lambda e: status(nc.Status.RECONNECTING)(e) and e.status.attempt == 12)
        assert twelfth.status.max_attempts is None
        await forever.shutdown()

    run(scenario())


def test_background_closes_after_the_grace_and_foreground_reconnects_at_once():
    async def scenario():
        url, token = await endpoint("py-frank")
        config = nc.ClientConfig(url=url, token=token, reconnect_initial_delay_ms=5000,
                                 reconnect_jitter=False, background_grace_ms=300)
        client = nc.Client(config, None, None)
        client.connect()
        await until(client, connected)
        client.enter_background()
        await until(client, disconnected, timeout=2)
        # The close frame is on its way: the server sees it within moments.
        for _ in range(40):
            count = (await control({"cmd": "connections", "backend": "renum", "user": "py-frank"}))["count"]
            if count == 0:
                break
            await asyncio.sleep(0.05)
        assert count == 0, "closed in the background"
        client.enter_foreground()
        await until(client, connected, timeout=1.5)
        await client.shutdown()

    run(scenario())


class DictStorage(nc.OutboxStorage):
    """The app's own storage: here a dict, as a database would be."""

    def __init__(self):
        self.messages = {}

    def load(self):
        return list(self.messages.values())

    def save(self, message):
        self.messages[message.id] = message

    def remove(self, id):
        self.messages.pop(id, None)


def test_the_outbox_survives_a_restart_and_sends_once_in_order():
    async def scenario():
        storage = DictStorage()
        conversation = room("py-outbox")
        first = await client_for("py-grace", storage)
        await first.queue_message(conversation, "before the restart 1")
        await first.queue_message(conversation, "before the restart 2")
        await first.shutdown()  # the app is killed with two messages queued
        assert len(storage.messages) == 2
        restarted = await client_for("py-grace", storage)
        # Each restored message is announced, before anything else: the stream was open
        # before the client's first turn.
        announced = await asyncio.wait_for(restarted.next_events(), 5)
        queued = [e.local_id for e in announced
                  if isinstance(e, nc.Event.OUTGOING) and e.state == nc.OutgoingState.QUEUED]
        assert queued == sorted(storage.messages), announced
        restarted.connect()
        last = max(storage.messages)
        await until(restarted, lambda e: isinstance(e, nc.Event.OUTGOING) and e.local_id == last
                    and e.state == nc.OutgoingState.ACKNOWLEDGED)
        assert await stored(conversation) == ["before the restart 1", "before the restart 2"]
        assert storage.messages == {}
        fresh = await restarted.queue_message(conversation, "after")
        assert fresh > 2, "ids stay unique across restarts"
        await restarted.shutdown()

    run(scenario())


def test_a_storage_that_cannot_load_fails_the_build_as_storage():
    class Broken(nc.OutboxStorage):
        def load(self):
            raise nc.NioChatError.Storage("database locked")

        def save(self, message):
            pass

        def remove(self, id):
            pass

    async def scenario():
        url, token = await endpoint("py-ivan")
        try:
            nc.Client(nc.ClientConfig(url=url, token=token), None, Broken())
            raise AssertionError("a client was built over a storage it could not read")
        except nc.NioChatError.Storage as error:
            assert error.detail == "storage: database locked", error.detail

    run(scenario())


def test_a_cancelled_wait_for_events_loses_nothing():
    async def scenario():
        client = await client_for("py-heidi")
        waiting = asyncio.ensure_future(client.next_events())
        await asyncio.sleep(0.05)
        waiting.cancel()
        client.connect()
        await until(client, connected)
        await client.shutdown()

    run(scenario())


def threads():
    """The threads niochat started (each client names its own `niochat`)."""
    count = 0
    for task in os.listdir("/proc/self/task"):
        with open(f"/proc/self/task/{task}/comm") as comm:
            count += comm.read().strip() == "niochat"
    return count


def test_closing_clients_ends_every_thread_they_made():
    async def scenario():
        before = threads()
        clients = [await client_for(f"py-ivan-{n}") for n in range(3)]
        for client in clients:
            client.connect()
            await until(client, connected)
        assert threads() == before + 3
        for client in clients:
            await client.shutdown()
        await asyncio.sleep(0.1)
        assert threads() == before, f"{threads() - before} threads left"

    run(scenario())


def test_the_asyncio_example_chats():
    async def credentials():
        return await endpoint("py-example")

    url, token = run(credentials())
    example = os.path.join(os.path.dirname(__file__), "../../../examples/ffi/python/chat.py")
    result = subprocess.run([sys.executable, example, url, token, room("py-example")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "stored as" in result.stdout, result.stdout

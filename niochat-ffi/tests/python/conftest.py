"""What the Python suite shares: the generated module, the test servers' control socket
(started by `cargo xtask test`, its URL in NIOCHAT_TEST_CONTROL), and waiting for events."""

import asyncio
import json
import os
import uuid

import websockets

import niochat_ffi as nc


async def control(command):
    async with websockets.connect(os.environ["NIOCHAT_TEST_CONTROL"]) as socket:
        await socket.send(json.dumps(command))
        answer = json.loads(await socket.recv())
    assert answer["ok"], answer
    return answer


async def endpoint(user, backend="renum", expired=False):
    answer = await control({"cmd": "endpoint", "backend": backend, "user": user, "expired": expired})
    return answer["url"], answer["token"]


async def stored(conversation):
    return (await control({"cmd": "messages", "conversation": conversation}))["contents"]


def room(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


async def client_for(user, storage=None, **settings):
    url, token = await endpoint(user)
    config = nc.ClientConfig(url=url, token=token, reconnect_initial_delay_ms=100,
                             reconnect_max_delay_ms=400, **settings)
    return nc.Client(config, None, storage)


async def until(client, wanted, timeout=5.0):
    """Reads events until `wanted(event)` is true; returns that event."""

    async def read():
        while True:
            for event in await client.next_events():
                if wanted(event):
                    return event

    return await asyncio.wait_for(read(), timeout)


def connected(event):
    return isinstance(event, nc.Event.STATUS_CHANGED) and isinstance(event.status, nc.Status.CONNECTED)


def disconnected(event):
    return isinstance(event, nc.Event.STATUS_CHANGED) and not isinstance(event.status, nc.Status.CONNECTED)


def pytest_terminal_summary(terminalreporter):
    """One line in the form `cargo xtask test` adds up."""
    passed = len(terminalreporter.stats.get("passed", []))
    failed = len(terminalreporter.stats.get("failed", [])) + len(terminalreporter.stats.get("error", []))
    verdict = "ok" if failed == 0 else "FAILED"
    terminalreporter.write_line(f"test result: {verdict}. {passed} passed; {failed} failed")

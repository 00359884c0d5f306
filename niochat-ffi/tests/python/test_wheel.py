"""The wheel `cargo xtask dist` builds, installed into a fresh virtual environment: the Python
guide's script (docs/getting-started/python.md, extracted into target/guides) runs with it
against a real server, and every other Python sample of the guides byte-compiles."""

import asyncio
import os
import pathlib
import py_compile
import subprocess

import pytest

from conftest import endpoint, stored

WHEEL_PYTHON = os.environ.get("NIOCHAT_WHEEL_PYTHON")
GUIDES = os.environ.get("NIOCHAT_GUIDES")
needs_dist = pytest.mark.skipif(
    not (WHEEL_PYTHON and GUIDES), reason="run by cargo xtask test, after cargo xtask dist"
)


@needs_dist
def test_the_python_guide_runs_from_the_installed_wheel():
    url, token = asyncio.run(endpoint("guide-python"))
    script = pathlib.Path(GUIDES) / "getting-started/python/chat.py"
    # Nothing of this repository on the path: only what the wheel installed.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [WHEEL_PYTHON, str(script)],
        env={**env, "NIOCHAT_URL": url, "NIOCHAT_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=script.parent,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stored as" in done.stdout
    assert "Hello from Python" in asyncio.run(stored("support-42"))


@needs_dist
def test_the_wheel_is_what_got_imported():
    where = subprocess.run(
        [WHEEL_PYTHON, "-c", "import niochat; print(niochat.__file__)"],
        capture_output=True, text=True, check=True,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
    ).stdout
    assert "smoke-venv" in where and "site-packages" in where


@needs_dist
def test_every_python_sample_of_the_guides_compiles(tmp_path):
    samples = sorted(pathlib.Path(GUIDES).rglob("*.py"))
    assert samples, "no Python samples extracted from docs/"
    for sample in samples:
        py_compile.compile(str(sample), cfile=str(tmp_path / "out.pyc"), doraise=True)


@needs_dist
def test_an_async_token_provider_works_from_the_installed_wheel():
    # The client asks for tokens on its own thread, where asyncio has no loop of its own.
    url, token = asyncio.run(endpoint("py-tokens"))
    script = f"""
import asyncio
import niochat

class Tokens(niochat.TokenProvider):
    async def token(self, refresh):
        await asyncio.sleep(0)
        return {token!r}

async def main():
    client = niochat.Client(niochat.ClientConfig(url={url!r}), Tokens(), None)
    client.connect()

    async def connected():
        while True:
            for event in await client.next_events():
                if isinstance(event, niochat.Event.STATUS_CHANGED) and isinstance(
                    event.status, niochat.Status.CONNECTED
                ):
                    return

    await asyncio.wait_for(connected(), 10)
    await client.shutdown()

async def later():
    # Another loop, after the first closed: the client's own calls run on it.
    client = niochat.Client(niochat.ClientConfig(url={url!r}, token={token!r}), None, None)
    client.connect()
    await asyncio.wait_for(client.next_events(), 10)
    await client.shutdown()
    print("connected")

asyncio.run(main())
asyncio.run(later())
"""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    done = subprocess.run(
        [WHEEL_PYTHON, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "connected", done.stdout + done.stderr

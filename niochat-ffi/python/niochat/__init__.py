"""niochat: a real-time chat client that never loses a message.

Everything is in the generated bindings (`niochat.niochat_ffi`), re-exported here:
`Client`, `ClientConfig`, `BackendConfig`, `Event`, `Status`, `NioChatError`, and the callback
interfaces `TokenProvider` and `OutboxStorage`. See docs/getting-started/python.md.

An `async` `TokenProvider.token` is called from the client's own thread, where asyncio has no
running loop: it runs on the loop that was running when the newest `Client` with a
`TokenProvider` was made (or the one given to `uniffi_set_event_loop`). The client's own
`async` methods always run on the loop that awaits them.
"""

import asyncio as _asyncio

from . import niochat_ffi as _ffi
from .niochat_ffi import *  # noqa: F401,F403
from .niochat_ffi import __all__ as _generated

uniffi_set_event_loop = _ffi.uniffi_set_event_loop
_callback_loop = _ffi._uniffi_get_event_loop


def _event_loop():
    # The generated bindings prefer the loop set for callbacks over the running one, which
    # would tie every later `await client...` to the loop the first client was made on.
    try:
        return _asyncio.get_running_loop()
    except RuntimeError:
        return _callback_loop()


_ffi._uniffi_get_event_loop = _event_loop


class Client(_ffi.Client):
    __doc__ = _ffi.Client.__doc__

    def __init__(self, config, tokens=None, storage=None):
        if tokens is not None:
            try:
                uniffi_set_event_loop(_asyncio.get_running_loop())
            except RuntimeError:
                pass  # no loop running here: the app gives one with uniffi_set_event_loop
        super().__init__(config, tokens, storage)


__all__ = [*_generated, "uniffi_set_event_loop"]

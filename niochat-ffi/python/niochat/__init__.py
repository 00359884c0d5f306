"""niochat: a real-time chat client that never loses a message.

Everything is in the generated bindings (`niochat.niochat_ffi`), re-exported here:
`Client`, `ClientConfig`, `BackendConfig`, `Event`, `Status`, `NioChatError`, and the callback
interfaces `TokenProvider` and `OutboxStorage`. See docs/getting-started/python.md.
"""

from .niochat_ffi import *  # noqa: F401,F403
from .niochat_ffi import __all__  # noqa: F401

"""What the check_*_server.py scripts share: each starts a replica server, watches it with raw clients and
prints what went over the wire as markdown (tests/servers/WIRE.md, tests/servers/niochat/WIRE.md).

Here: starting a server script with this interpreter, the HTTP control calls, the line a raw client logs
when its WebSocket closes, and one markdown section of a log. check_niochat_server.py, one folder down,
puts this folder on sys.path to import it.
"""

import json
import subprocess
import sys
import urllib.error
import urllib.request


def start_script(path, *args):
    """The server script at `path`, run by this interpreter; its stdin is a pipe (closing it stops the server)
    and its first stdout line is `LISTENING <port>`."""
    return subprocess.Popen([sys.executable, path, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE)


def http(port, method, path, body=None, bearer=None):
    """One HTTP request to the server's control routes: (status, body text), errors included."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Content-Type": "application/json"})
    if bearer:
        req.add_header("Authorization", f"Bearer {bearer}")
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def closed_note(ws, closing):
    """What a raw client logs once its `websockets` connection `ws` is closed: who closed it (`closing`: the
    client asked to) and the server's close frame, if any."""
    rc, who = ws.protocol.close_rcvd, "client" if closing else "SERVER"
    return (f"(WebSocket closed by {who}; server's close frame: "
            f"{f'code={rc.code} reason={rc.reason!r}' if rc else 'none'})")


def section(title, log, findings=()):
    """Prints one scenario: its title, its log as a code block, then its findings as a list."""
    print(f"## {title}\n\n```")
    print("\n".join(log))
    print("```\n")
    for f in findings:
        print(f"- {f}")
    print()

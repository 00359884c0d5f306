"""niochat from Python with asyncio: `python chat.py <ws url> <token> <room>`.

Needs the generated module `niochat_ffi.py` and `libniochat_ffi.so` on the path
(`cargo xtask test` generates both into target/ffi/python)."""

import asyncio
import sys

import niochat_ffi as nc


async def print_events(client):
    while events := await client.next_events():
        for event in events:
            if isinstance(event, nc.Event.STATUS_CHANGED):
                print("status:", type(event.status).__name__.lower())
            elif isinstance(event, nc.Event.MESSAGE):
                print(f"{event.message.user_id}: {event.message.text}")


async def main(url, token, conversation):
    client = nc.Client(nc.ClientConfig(url=url, token=token), None, None)
    printer = asyncio.create_task(print_events(client))
    client.connect()
    try:
        await client.join(conversation)
        ack = await client.send_message(conversation, "hello from asyncio")
        print(f"stored as {ack.message_id}")
        print(f"ping {await client.ping():.1f} ms")
    except nc.NioChatError as error:
        print(f"failed: {error}", file=sys.stderr)
        return 1
    finally:
        await client.shutdown()
        await printer
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(*sys.argv[1:4])))

"""A consumer process for the kill -9 test: handles `stall_after` messages, then hangs mid-batch.

usage: python _victim.py BUS_URL TOPIC RESULT_FILE STALL_AFTER [exclusive]
"""

from __future__ import annotations

import asyncio
import sys

from weave.bus import Message, Subscriber, open_bus


async def main(url: str, topic: str, out: str, stall_after: int, exclusive: bool) -> None:
    bus = await open_bus(url)
    sub = await bus.subscribe(topic, "fulfillment", "victim", start="earliest", visibility_timeout=1.0)
    handled = 0
    with open(out, "a") as sink:

        async def handler(message: Message) -> None:
            nonlocal handled
            if handled >= stall_after:
                print("stalled", flush=True)
                await asyncio.Event().wait()
            handled += 1
            sink.write(f"{message.payload['i']}\n")
            sink.flush()

        async def dead_letter(message: Message, error: BaseException) -> None:
            raise AssertionError(f"nothing should be dead-lettered: {error}")

        lease = bus.idempotency("leases") if exclusive else None
        await Subscriber(sub, handler, dead_letter=dead_letter, batch_size=50, lanes=1, block_ms=200,
                         exclusive=lease, lease_ttl_s=2.0).run()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5:] == ["exclusive"]))

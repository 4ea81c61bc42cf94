"""A publisher process for the outbox test: publishes forever, printing each id once `publish` returned.

usage: python _publisher.py BUS_URL TOPIC
"""

from __future__ import annotations

import asyncio
import sys

from weave.bus import open_bus


async def main(url: str, topic: str) -> None:
    bus = await open_bus(url)
    i = 0
    while True:
        ids = await asyncio.gather(*(bus.publish(topic, {"i": i + k}) for k in range(5)))
        for k, message_id in enumerate(ids):
            print(f"{i + k} {message_id}", flush=True)
        i += 5


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))

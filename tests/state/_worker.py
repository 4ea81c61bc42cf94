"""A separate OS process working on a shared state store, driven by tests/state/test_processes.py.

    python _worker.py claim URL QUEUE WORKER TASKS      claim (after "go") until empty; print claimed ids
    python _worker.py lease URL KEY HOLDER ROUNDS DIR   take the lease ROUNDS times; check exclusivity via DIR
    python _worker.py crash URL QUEUE                   enqueue 3, claim 2 without acking, then hang
    python _worker.py enqueue-loop URL QUEUE            enqueue forever, printing each committed id

Processes that must overlap print "ready" and wait for "go" on stdin, so both really run at once.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import orjson

from weave.state import StateStore, open_state


def say(value: object) -> None:
    sys.stdout.write(orjson.dumps(value).decode() + "\n")
    sys.stdout.flush()


async def wait_for_go() -> None:
    say("ready")
    line = await asyncio.to_thread(sys.stdin.readline)
    assert line.strip() == "go", line


async def claim(store: StateStore, queue: str, worker: str, tasks: int) -> None:
    await wait_for_go()
    claimed: list[int] = []

    async def claimer(n: int) -> None:
        while True:
            items = await store.claim(queue, f"{worker}-{n}", limit=3, visibility_timeout=120)
            if not items:
                return
            claimed.extend(item.id for item in items)
            await store.ack([item.id for item in items])

    await asyncio.gather(*(claimer(n) for n in range(tasks)))
    say(claimed)


async def lease(store: StateStore, key: str, holder: str, rounds: int, directory: str) -> None:
    await wait_for_go()
    marker = Path(directory) / "holder"
    acquired = violations = 0
    for _ in range(rounds):
        if await store.acquire_lease(key, holder, ttl=30):
            acquired += 1
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                violations += 1  # someone else is inside the critical section while we hold the lease
            else:
                os.close(fd)
                await asyncio.sleep(0.002)  # widen the critical section
                marker.unlink()
            await store.release_lease(key, holder)
        else:
            await asyncio.sleep(0.001)
    say({"acquired": acquired, "violations": violations})


async def crash(store: StateStore, queue: str) -> None:
    ids = await store.enqueue_many(queue, [{"n": 1}, {"n": 2}, b"three"])
    claimed = await store.claim(queue, "doomed", limit=2, visibility_timeout=2.0)
    say({"enqueued": ids, "claimed": [item.id for item in claimed]})
    await asyncio.Event().wait()  # hang until SIGKILL


async def enqueue_loop(store: StateStore, queue: str) -> None:
    n = 0
    while True:
        item_id = await store.enqueue(queue, {"n": n})
        say(item_id)
        n += 1


async def main(argv: list[str]) -> None:
    command, url, *args = argv
    store = await open_state(url)
    try:
        if command == "claim":
            await claim(store, args[0], args[1], int(args[2]))
        elif command == "lease":
            await lease(store, args[0], args[1], int(args[2]), args[3])
        elif command == "crash":
            await crash(store, args[0])
        elif command == "enqueue-loop":
            await enqueue_loop(store, args[0])
        else:
            raise SystemExit(f"unknown command {command!r}")
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

"""Correlation ids: taken from the sender when trustworthy, generated otherwise, scoped per task."""

from __future__ import annotations

import asyncio

from weave import correlation


def test_sender_ids_in_order_of_preference_else_generated() -> None:
    assert correlation.from_headers({"webhook-id": "msg_1", "x-request-id": "r-1"}) == "msg_1"
    assert correlation.from_headers({"x-correlation-id": "c-1", "webhook-id": "msg_1"}) == "c-1"
    assert correlation.from_headers({"x-github-delivery": "gh-1"}) == "gh-1"
    generated = correlation.from_headers({"x-request-id": "x" * 500})  # over-long: not trusted
    assert len(generated) == 32 and generated != correlation.from_headers({})
    assert correlation.from_headers({"x-request-id": "bad\nid"}) != "bad\nid"


def test_bind_is_scoped_and_carried_in_headers() -> None:
    assert correlation.current() is None and correlation.headers() is None
    with correlation.bind("outer"):
        assert correlation.headers() == {"correlation_id": "outer"}
        with correlation.bind(correlation.of({"correlation_id": "inner"})):
            assert correlation.current() == "inner"
        with correlation.bind(correlation.of(None)):  # a message without one keeps the current id
            assert correlation.current() == "outer"
        assert correlation.current() == "outer"
    assert correlation.current() is None


def test_concurrent_tasks_keep_their_own_id() -> None:
    async def handle(cid: str) -> str | None:
        with correlation.bind(cid):
            await asyncio.sleep(0.01)
            return correlation.current()

    async def main() -> list[str | None]:
        return list(await asyncio.gather(*(handle(f"id-{i}") for i in range(20))))

    assert asyncio.run(main()) == [f"id-{i}" for i in range(20)]

"""The bulk source/sink: deterministic records per page, every pagination style, incremental changes."""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest

from weave.sandbox import SandboxCluster
from weave.sandbox.bulk import TOKEN, BulkService

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _walk(http: httpx.Client, url: str, style: str, size: int = 700, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    query: dict[str, Any] = {"style": style, **params}
    if style in ("page", "link"):
        query.update(page=1, per_page=size)
    else:
        query.update(limit=size, offset=0)
    while True:
        response = http.get(url + "/v1/records", params=query, headers=AUTH)
        response.raise_for_status()
        body = orjson.loads(response.content)
        out += body["data"]
        meta = body["meta"]
        if style == "page":
            if meta["page"] >= meta["total_pages"]:
                return out
            query["page"] += 1
        elif style == "link":
            if "next" not in response.links:
                return out
            query["page"] += 1
        elif style == "offset":
            query["offset"] += size
            if query["offset"] >= meta["total"]:
                return out
        else:
            if not meta["next"]:
                return out
            query["cursor"] = meta["next"]


@pytest.mark.parametrize("style", ["page", "offset", "cursor", "link"])
def test_all_styles_serve_every_record_once(sandbox: SandboxCluster, http: httpx.Client, style: str) -> None:
    records = _walk(http, sandbox.url("bulk"), style)
    assert [r["id"] for r in records] == list(range(1, 5001))
    assert records[0]["updated_at"] == "2025-01-01T00:00:01.000000Z"
    assert records[0] == http.get(sandbox.url("bulk") + "/v1/records/1", headers=AUTH).json()


def test_records_are_deterministic_per_seed() -> None:
    a, b, c = BulkService(records=100), BulkService(records=100), BulkService(records=100, seed=7)
    assert [a.make_record(i) for i in range(1, 101)] == [b.make_record(i) for i in range(1, 101)]
    assert [a.make_record(i) for i in range(1, 101)] != [c.make_record(i) for i in range(1, 101)]
    assert {a.make_record(i)["country"] for i in range(1, 101)} > {"DE"}


def test_touched_records_move_to_the_end_and_incremental_reads_see_them(
        sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("bulk")
    first_half = http.get(url + "/v1/records", params={"style": "cursor", "limit": 2500}, headers=AUTH).json()
    touched = http.post(url + "/_bulk/touch", json={"ids": [10, 4000, 2]}).json()
    rest = _walk(http, url, "cursor", size=900, cursor=first_half["meta"]["next"])
    ids = [r["id"] for r in first_half["data"]] + [r["id"] for r in rest]
    assert ids[-3:] == [10, 4000, 2] and len(ids) == 5002  # 10 and 2 come twice: read before they changed
    assert set(ids) == set(range(1, 5001))
    assert [r["version"] for r in rest[-3:]] == [2, 2, 2]
    since = _walk(http, url, "page", updated_since="2025-01-01T01:23:00Z")
    assert [r["id"] for r in since] == [*[i for i in range(4980, 5001) if i != 4000], 10, 4000, 2]
    changed = _walk(http, url, "offset", updated_since=touched["updated_at"])
    assert [r["id"] for r in changed] == [2]
    paged = _walk(http, url, "page", size=333)
    assert [r["id"] for r in paged] == [i for i in range(1, 5001) if i not in (2, 10, 4000)] + [10, 4000, 2]


def test_schema_drift_and_invalid_records_on_demand(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("bulk")
    config = http.post(url + "/_bulk/config", json={"records": 30, "extra_fields": {"loyalty_tier": "gold"},
                                                    "invalid_every": 10}).json()
    assert config["records"] == 30
    records = _walk(http, url, "cursor", size=7)
    assert len(records) == 30 and all(r["loyalty_tier"] == "gold" for r in records)
    assert [r["id"] for r in records if r["email"] is None] == [10, 20, 30]


def test_ingest_counts_distinct_ids(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("bulk")
    batch = {"records": [{"id": i} for i in range(100)]}
    assert http.post(url + "/v1/ingest", json=batch, headers=AUTH).json() == {"accepted": 100, "duplicates": 0}
    assert http.post(url + "/v1/ingest", json=batch, headers=AUTH).json() == {"accepted": 0, "duplicates": 100}
    assert http.get(url + "/_bulk/ingested").json() == {"distinct": 100, "duplicates": 100}
    assert http.post(url + "/v1/ingest", json={"records": [{"x": 1}]}, headers=AUTH).status_code == 422
    assert http.get(url + "/_received").json()["items"][0]["body"] == {"count": 100, "first_id": 0, "last_id": 99}


def test_auth_and_bad_parameters(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("bulk") + "/v1/records"
    assert http.get(url).status_code == 401
    for params in ({"per_page": 0}, {"per_page": 10_001}, {"style": "spiral"}, {"style": "cursor", "cursor": "!!"},
                   {"updated_since": "soon"}):
        assert http.get(url, params=params, headers=AUTH).status_code == 400, params

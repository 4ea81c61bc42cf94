"""Jobs built from spec blocks (the shape the schema fragment declares), run against the real services."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import etl_testkit as kit
import jsonschema
import pytest

from weave.etl import BatchConfigError, PeakHoursError, build_job, schedule_for
from weave.spec.schema import build_schemas

SYSTEMS: dict[str, Any] = {
    "crm": {"name": "crm", "api": {"style": "rest", "base_url": "${env:ETL_TEST_CRM_URL}",
                                   "auth": {"type": "bearer", "token": "${env:ETL_TEST_CRM_TOKEN}"}},
            "peak_hours": [{"start": "08:00", "end": "18:00", "timezone": "Europe/Berlin",
                            "days": ["mon", "tue", "wed", "thu", "fri"]}]},
    "warehouse": {"name": "warehouse", "api": {"style": "sql", "base_url": "${env:ETL_TEST_WAREHOUSE_DSN}"}},
}


def integration() -> dict[str, Any]:
    return {
        "kind": "integration", "name": "warehouse-nightly-load", "owner": "data-platform",
        "source": "crm", "target": "warehouse", "direction": "push", "timing": "batch", "coupling": "loose",
        "trigger": {"schedule": {"cron": "0 2 * * *", "timezone": "Europe/Berlin", "missed": "catch-up"}},
        "extract": {"http": {"method": "GET", "path": "/page", "records": "data",
                             "pagination": {"type": "page", "size": 100, "size_param": "per_page"}}},
        "deliver": [{"target": "warehouse", "sql": {"table": "dw_customers"}}],
        "batch": {"chunk_size": 200, "cursor": {"field": "updated_at", "tie_breaker": "id", "lag": "0s",
                                                "param": "updated_since"},
                  "load": {"mode": "merge", "primary_key": ["id"]}, "schema_drift": "evolve", "lease_ttl": "30s"},
    }


def test_the_batch_block_validates_against_the_integration_schema() -> None:
    schema = build_schemas()["integration.schema.json"]
    validator = jsonschema.Draft202012Validator(schema)
    doc = integration()
    batch_errors = [e for e in validator.iter_errors(doc) if "batch" in list(e.absolute_path)[:1]]
    assert batch_errors == []
    doc["batch"]["schema_drift"] = "sometimes"
    doc["batch"]["load"]["mode"] = "upsert"
    messages = [e.message for e in validator.iter_errors(doc) if list(e.absolute_path)[:1] == ["batch"]]
    assert len(messages) == 2


async def test_build_and_run_a_job_from_spec_blocks(source_url: str, pg_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ETL_TEST_CRM_URL", source_url)
    monkeypatch.setenv("ETL_TEST_CRM_TOKEN", "s3cret-token")
    monkeypatch.setenv("ETL_TEST_WAREHOUSE_DSN", pg_dsn)
    sunday_night = lambda: datetime(2026, 11, 29, 1, 0, tzinfo=UTC)  # noqa: E731
    job = build_job(integration(), SYSTEMS, transform=lambda r: {**r, "email": r["email"].upper()}, clock=sunday_night)
    assert job.lease_ttl_s == 30
    result = await job.run()
    assert result.counts.loaded == 250
    assert kit.pg_rows(pg_dsn, "SELECT count(*), min(email) FROM dw_customers") == [(250, "C100@EXAMPLE.COM")]
    assert "s3cret-token" not in repr(result)
    await job.aclose()
    assert job.source.client.is_closed  # type: ignore[attr-defined]
    monday_noon = lambda: datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # noqa: E731
    with pytest.raises(PeakHoursError, match="crm"):
        await build_job(integration(), SYSTEMS, clock=monday_noon).run()
    schedule = schedule_for(integration(), SYSTEMS)
    assert schedule is not None and schedule.missed == "catch-up" and len(schedule.windows.peaks) == 1


def test_build_refuses_incomplete_specs() -> None:
    doc = integration()
    del doc["deliver"]
    with pytest.raises(BatchConfigError, match="extract:` and one `deliver:"):
        build_job(doc, SYSTEMS)


async def test_build_a_file_to_sqlite_job(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.csv").write_text("id;name\n1;Ann\n2;Bob\n")
    (tmp_path / "in" / "b.csv").write_text("id;name\n3;Cid\n")
    db = tmp_path / "dw.db"
    systems = {"drop": {"api": {"style": "file"}}, "dw": {"api": {"style": "sql", "base_url": f"sqlite:///{db}"}}}
    spec = {"name": "csv-import", "source": "drop", "target": "dw",
            "extract": {"file": {"path": "in/*.csv", "format": "csv", "delimiter": ";"}},
            "deliver": [{"target": "dw", "sql": {"table": "people", "primary_key": ["id"], "mode": "merge"}}]}
    result = await build_job(spec, systems, base_dir=tmp_path).run()
    assert result.counts.loaded == 3
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, name FROM people ORDER BY id").fetchall() == [("1", "Ann"), ("2", "Bob"), ("3", "Cid")]

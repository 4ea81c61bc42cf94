"""The nightly customer master-data sync from the simulated legacy ERP (SOAP 1.1, paged ListCustomers,
basic auth) into PostgreSQL, built from spec blocks, incremental on ModifiedAt."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import etl_testkit as kit
import httpx
import pytest

from weave.etl import PeakHoursError, build_job
from weave.sandbox import SandboxCluster

ENVELOPE = """<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:erp="urn:acme:erp:v1">
  <soapenv:Body><erp:ListCustomers><erp:PageNumber>{{ page }}</erp:PageNumber><erp:PageSize>{{ page_size }}</erp:PageSize>
  {% if since %}<erp:ModifiedSince>{{ since }}</erp:ModifiedSince>{% endif %}</erp:ListCustomers></soapenv:Body>
</soapenv:Envelope>"""

SUNDAY_NIGHT = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def integration() -> dict[str, Any]:
    return {
        "name": "nightly-customer-master", "source": "erp", "target": "warehouse",
        "trigger": {"schedule": {"cron": "0 2 * * *", "timezone": "Europe/Berlin", "missed": "skip"}},
        "extract": {"soap": {"operation": "urn:acme:erp:v1/ListCustomers", "envelope": "soap/list-customers.xml.j2",
                             "records": "ListCustomersResponse.Customers.Customer", "page_size": 40}},
        "deliver": [{"target": "warehouse", "sql": {"table": "erp_customers"}}],
        "batch": {"chunk_size": 100, "cursor": {"field": "ModifiedAt", "tie_breaker": "CustomerNumber"},
                  "load": {"mode": "merge", "primary_key": ["CustomerNumber"]}},
    }


async def test_nightly_master_data_sync_from_the_soap_erp(pg_dsn: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "soap").mkdir()
    (tmp_path / "soap" / "list-customers.xml.j2").write_text(ENVELOPE)
    async with SandboxCluster(["erp"]) as cluster:
        for name, value in cluster.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ETL_TEST_WAREHOUSE_DSN", pg_dsn)
        systems = {
            "erp": {"api": {"style": "soap", "base_url": "${env:ERP_URL}/soap",
                            "auth": {"type": "basic", "username": "${env:ERP_USER}", "password": "${env:ERP_PASSWORD}"}},
                    "peak_hours": [{"start": "07:00", "end": "19:00", "timezone": "Europe/Berlin",
                                    "days": ["mon", "tue", "wed", "thu", "fri"]}]},
            "warehouse": {"api": {"style": "sql", "base_url": "${env:ETL_TEST_WAREHOUSE_DSN}"}},
        }
        first = await build_job(integration(), systems, base_dir=tmp_path, clock=lambda: SUNDAY_NIGHT).run()
        erp = cluster.services["erp"]
        assert first.counts.loaded == len(erp.customers) == 250
        assert kit.pg_rows(pg_dsn, 'SELECT count(DISTINCT "CustomerNumber") FROM erp_customers') == [(250,)]
        second = await build_job(integration(), systems, base_dir=tmp_path, clock=lambda: SUNDAY_NIGHT).run()
        # ModifiedSince >= the cursor brings back only the last customer, which the tie-breaker skips
        assert (second.counts.extracted, second.counts.skipped, second.counts.loaded) == (1, 1, 0)

        number = next(iter(erp.customers))
        update = (
            '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:erp="urn:acme:erp:v1">'
            f"<soapenv:Body><erp:UpdateCustomer><erp:CustomerNumber>{number}</erp:CustomerNumber><erp:Customer>"
            "<erp:CreditLimit>99999</erp:CreditLimit></erp:Customer></erp:UpdateCustomer></soapenv:Body></soapenv:Envelope>"
        )
        async with httpx.AsyncClient(auth=(cluster.env()["ERP_USER"], cluster.env()["ERP_PASSWORD"])) as client:
            response = await client.post(cluster.url("erp") + "/soap", content=update,
                                         headers={"Content-Type": "text/xml; charset=utf-8"})
            assert response.status_code == 200, response.text
        third = await build_job(integration(), systems, base_dir=tmp_path, clock=lambda: SUNDAY_NIGHT).run()
        assert third.counts.loaded == 1
        assert kit.pg_rows(pg_dsn, f"""SELECT "CreditLimit" FROM erp_customers WHERE "CustomerNumber" = '{number}'""") == [
            ("99999.00",)
        ]
        monday_morning = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 Berlin: the ERP's peak hours
        with pytest.raises(PeakHoursError, match="erp"):
            await build_job(integration(), systems, base_dir=tmp_path, clock=lambda: monday_morning).run()

"""The SOAP connector against the demo's simulated legacy ERP (weave.sandbox.erp) on a real port,
with the example project's envelope template (transforms/soap/upsert-customer.xml.j2)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from weave.connectors import SystemConfig, create_connector
from weave.connectors.soap import SoapFault
from weave.delivery import RetryPolicy, deliver_with_retry
from weave.errors import TerminalError
from weave.sandbox.erp import PASSWORD, USERNAME, ErpService

TRANSFORMS = Path(__file__).resolve().parents[2] / "transforms"


@pytest.fixture(scope="module")
def erp_url(servers: Any) -> Iterator[str]:
    server = servers.LocalServer(ErpService(customers=30).app).start()
    yield server.url
    server.stop()


@pytest.fixture
def erp(erp_url: str, monkeypatch: pytest.MonkeyPatch) -> SystemConfig:
    monkeypatch.setenv("T_ERP_PASSWORD", PASSWORD)
    httpx.post(f"{erp_url}/_reset")
    auth = {"type": "basic", "username": USERNAME, "password": "${env:T_ERP_PASSWORD}"}
    return SystemConfig(name="erp", style="soap", base_url=erp_url, auth=auth, base_dir=str(TRANSFORMS),
                        options={"probe": {"path": "/soap?wsdl"}})


UPSERT = {"operation": "UpsertCustomer", "envelope": "soap/upsert-customer.xml.j2", "path": "/soap",
          "soap_action": "urn:acme:erp:v1/UpsertCustomer"}


async def test_upsert_list_and_probe(erp: SystemConfig) -> None:
    conn = create_connector(erp)
    record = {"CrmId": "ACC-9", "Name": "Müller & Söhne <GmbH>", "Country": "DE", "City": "Köln",
              "PostalCode": None, "Email": "info@mueller.example", "VatId": None}
    result = await conn.write({**UPSERT, "result": "UpsertCustomerResponse"}, [record], idempotency_keys=["ACC-9"])
    assert result.written == 1 and result.responses[0]
    listed = [p async for p in conn.read({"operation": "ListCustomers", "path": "/soap", "namespace": "urn:acme:erp:v1",
                                          "params": {"PageSize": 1000},
                                          "records": "ListCustomersResponse.Customers.Customer"})]
    names = [c["Name"] for c in listed[0].records]
    assert len(names) == 31 and "Müller & Söhne <GmbH>" in names  # escaped on the way in, unescaped on the way out
    probe = await conn.probe()  # GET /soap?wsdl with basic auth
    assert probe.ok and probe.status == 200 and probe.auth_ok
    await conn.aclose()


async def test_erp_faults_map_to_error_kinds(erp: SystemConfig, erp_url: str) -> None:
    conn = create_connector(erp)
    bad = {"CrmId": "ACC-1", "Name": "X", "Country": "Germany", "City": None, "PostalCode": None, "Email": None,
           "VatId": None}
    with pytest.raises(SoapFault, match="Country must be an ISO 3166"):
        await conn.write(UPSERT, [bad])
    httpx.post(f"{erp_url}/_soap_faults", json={"count": 2, "faultcode": "Server"})
    good = {**bad, "Country": "DE"}
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    outcome = await deliver_with_retry(lambda: conn.write(UPSERT, [good]), RetryPolicy(), None, sleep=sleep)
    assert outcome.delivered and outcome.attempts == 3 and len(waits) == 2
    await conn.aclose()


async def test_wrong_password_is_terminal(erp: SystemConfig) -> None:
    conn = create_connector(SystemConfig(**{**erp.__dict__, "auth": {"type": "basic", "username": USERNAME,
                                                                      "password": "nope"}}))
    with pytest.raises(TerminalError) as info:
        await conn.write(UPSERT, [{"CrmId": "1", "Name": "n", "Country": "DE", "City": None, "PostalCode": None,
                                   "Email": None, "VatId": None}])
    assert info.value.status == 401
    await conn.aclose()

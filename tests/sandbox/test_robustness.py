"""No simulated system answers a 5xx to bad input on any write route (the ERP answers SOAP faults)."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.routing import Route

from weave.sandbox import SandboxCluster

GARBAGE: list[tuple[str, bytes]] = [
    ("application/json", b"{not json"),
    ("application/json", b"[1, 2, 3]"),
    ("application/json", b"{}"),
    ("application/json", b'{"lines": "many", "records": {"a": 1}, "input": 5, "contacts": null, "to": []}'),
    ("application/json", b'{"amount": true, "currency": 7, "account_id": ["x"], "email": {"a": 1}}'),
    ("application/json", b"\xff\xfe\x00"),
    ("text/plain", b"hello"),
    ("", b""),
]


def _auth(cluster: SandboxCluster, http: httpx.Client) -> dict[str, dict[str, object]]:
    env = cluster.env()
    token = http.post(env["MARKETING_URL"] + "/identity/oauth/token",
                      data={"grant_type": "client_credentials", "client_id": env["MARKETING_CLIENT_ID"],
                            "client_secret": env["MARKETING_CLIENT_SECRET"]}).json()["access_token"]
    return {
        "crm": {"headers": {"Authorization": f"Bearer {env['CRM_TOKEN']}"}},
        "erp": {"auth": (env["ERP_USER"], env["ERP_PASSWORD"])},
        "operations": {"headers": {"X-API-Key": env["OPERATIONS_API_KEY"]}},
        "email": {"headers": {"Authorization": f"Bearer {env['EMAIL_TOKEN']}"}},
        "marketing": {"headers": {"Authorization": f"Bearer {token}"}},
        "telephony": {"auth": (env["TELEPHONY_ACCOUNT_SID"], env["TELEPHONY_AUTH_TOKEN"])},
        "documents": {"headers": {"Authorization": f"Bearer {env['DOCUMENTS_TOKEN']}"}},
        "payments": {"headers": {"Authorization": f"Bearer {env['PAYMENTS_SECRET_KEY']}"}},
        "bulk": {"headers": {"Authorization": f"Bearer {env['BULK_TOKEN']}"}},
    }


@pytest.mark.parametrize("system", ["crm", "erp", "operations", "email", "marketing", "telephony", "documents",
                                    "payments", "bulk"])
def test_write_routes_survive_garbage(sandbox: SandboxCluster, http: httpx.Client, system: str) -> None:
    credentials = _auth(sandbox, http)[system]
    service = sandbox.services[system]
    paths = sorted({re.sub(r"\{collection\}", "orders", re.sub(r"\{[a-z]+(:int)?\}", "1", route.path))
                    for route in service.routes() if isinstance(route, Route) and "POST" in (route.methods or ())})
    assert paths
    for path in paths:
        for content_type, body in GARBAGE:
            extra = dict(credentials.get("headers", {}))  # type: ignore[call-overload]
            if content_type:
                extra["Content-Type"] = content_type
            if system == "erp":
                extra["Content-Type"] = "text/xml"
            response = http.post(sandbox.url(system) + path, content=body, headers=extra,
                                 auth=credentials.get("auth"))  # type: ignore[arg-type]
            if system == "erp" and path == "/soap":
                assert response.status_code == 500 and "<soap:Fault>" in response.text, (path, body)
                continue
            assert response.status_code < 500, (system, path, body, response.text)
            if body == b"{not json" or not content_type:
                assert response.status_code >= 400, (system, path, body)
            if response.status_code >= 400:
                error = response.json()["error"]
                # OAuth2 token endpoints answer RFC 6749 errors: {"error": "invalid_request"}
                assert error if path.endswith("/token") else error["code"], (system, path, body)

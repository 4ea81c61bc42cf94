"""`weave keys create|list|revoke` and `weave gateway openapi` as real subprocesses; keys in the state store."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

from weave.gateway import StateKeyStore, hash_key

SPECS = """
kind: system
name: crm
owner: sales-ops
api: {style: rest, base_url: "${env:CRM_URL}", auth: {type: api-key, header: X-API-Key, key: "${env:CRM_API_KEY}"}}
---
kind: system
name: partner-quoting
owner: partner-eng
api: {style: rest}
---
kind: integration
name: partner-quoting-api
owner: partner-eng
source: crm
target: partner-quoting
direction: pull
timing: real-time
volume: {records_per_transaction: 20, transactions_per_day: 15000}
coupling: loose
exposure: partner
gateway:
  token: {secret: "${env:WEAVE_TOKEN_SECRET}"}
  routes:
    - method: GET
      path: /partner/v1/quotes/{id}
      upstream: {system: crm, path: "/api/quotes/{id}"}
      scopes: [quotes:read]
      rate_limit: {requests: 100, per: minute}
      response: {steps: [{drop: [cost_total, margin_pct, "lines[].cost_price"]}]}
---
kind: consumer
name: partner-acme
owner: partner-eng
auth: {type: api-key}
scopes: [quotes:read]
---
kind: consumer
name: quoting-backend
owner: partner-eng
auth: {type: oauth2-client-credentials, client_id: quoting, client_secret: "${env:QUOTING_SECRET}"}
scopes: [quotes:read]
"""


def weave(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "weave", *args], capture_output=True, text=True, cwd=cwd, timeout=60)


def test_keys_create_list_revoke_in_the_state_store(tmp_path: Path) -> None:
    created = weave("keys", "create", "partner-acme", "--format", "json", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    payload = json.loads(created.stdout)
    key, key_id = payload["key"], payload["key_id"]
    assert key.startswith(f"wv_{key_id}_") and len(key) > 40
    listed = weave("keys", "list", "--format", "json", cwd=tmp_path)
    assert key not in listed.stdout and key_id in listed.stdout
    # the state database holds the hash, never the key
    database = (tmp_path / ".weave" / "state.db").read_bytes()
    assert key.encode() not in database and hash_key(key).encode() in database

    async def lookup() -> bool:
        from weave.state import open_state

        async with await open_state(f"sqlite:///{tmp_path}/.weave/state.db") as state:
            record = await StateKeyStore(state).lookup(hash_key(key))
            return record is not None and record.consumer == "partner-acme"

    assert asyncio.run(lookup())
    revoked = weave("keys", "revoke", key_id, cwd=tmp_path)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    assert not asyncio.run(lookup())
    assert weave("keys", "revoke", key_id, cwd=tmp_path).returncode == 1
    text = weave("keys", "list", "--consumer", "partner-acme", cwd=tmp_path)
    assert "revoked" in text.stdout


def test_keys_in_the_gateway_sqlite_file(tmp_path: Path) -> None:
    created = weave("keys", "create", "partner-acme", "--store", "keys.sqlite", "--label", "prod", cwd=tmp_path)
    assert created.returncode == 0 and "only time the key is shown" in created.stderr
    key = next(word for word in created.stdout.split() if word.startswith("wv_"))
    assert key.encode() not in (tmp_path / "keys.sqlite").read_bytes()
    listed = json.loads(weave("keys", "list", "--store", "keys.sqlite", "--format", "json", cwd=tmp_path).stdout)
    assert listed["keys"][0]["label"] == "prod" and listed["keys"][0]["active"]


def test_gateway_openapi_command(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "gateway.yaml").write_text(SPECS)
    result = weave("gateway", "openapi", "specs", "-o", "out/openapi.json", "--server", "https://api.acme.example",
                   cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = json.loads((tmp_path / "out" / "openapi.json").read_text())
    assert doc["openapi"] == "3.1.0" and doc["servers"] == [{"url": "https://api.acme.example"}]
    operation = doc["paths"]["/partner/v1/quotes/{id}"]["get"]
    assert {"OAuth2": ["quotes:read"]} in operation["security"]
    assert "/oauth/token" in doc["paths"]
    assert "${env:" not in json.dumps(doc)  # references stay out of the document too
    broken = SPECS.replace("system: crm, path:", "system: erp, path:")
    (tmp_path / "specs" / "gateway.yaml").write_text(broken)
    failed = weave("gateway", "openapi", "specs", cwd=tmp_path)
    assert failed.returncode == 1

"""Operations, e-mail, marketing, telephony and documents over real HTTP: auth, writes, read-back, bad input."""

from __future__ import annotations

import base64
import hashlib

import httpx

from weave.sandbox import SandboxCluster
from weave.sandbox.documents import TOKEN as DOCS_TOKEN
from weave.sandbox.email_platform import TOKEN as EMAIL_TOKEN
from weave.sandbox.marketing import CLIENT_ID, CLIENT_SECRET
from weave.sandbox.operations import API_KEY as OPS_KEY
from weave.sandbox.telephony import ACCOUNT_SID, AUTH_TOKEN

from ._util import received


def test_operations_receives_fulfillment_orders_without_dedup(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("operations")
    order = {"order_ref": "ORD-000001", "lines": [{"sku": "AI-PUMP-100", "quantity": 2}],
             "ship_to": {"city": "Hamburg", "country": "DE"}}
    assert http.post(url + "/v1/fulfillment-orders", json=order).status_code == 401
    headers = {"X-API-Key": OPS_KEY}
    first = http.post(url + "/v1/fulfillment-orders", json=order, headers=headers)
    second = http.post(url + "/v1/fulfillment-orders", json=order, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == "FO-000001" and second.json()["id"] == "FO-000002"
    assert first.json()["status"] == "received"
    listing = http.get(url + "/v1/fulfillment-orders", params={"order_ref": "ORD-000001"}, headers=headers).json()
    assert listing["meta"]["total"] == 2
    bad = http.post(url + "/v1/fulfillment-orders", json={"order_ref": "X", "lines": [{"sku": "A"}]}, headers=headers)
    assert bad.status_code == 422
    assert [e["body"] for e in received(http, url)] == [order, order]
    inventory = http.get(url + "/v1/inventory", params={"per_page": 100}, headers=headers).json()
    assert inventory["meta"]["total"] == 12 and {"sku", "on_hand", "reserved"} <= set(inventory["data"][0])


def test_email_sends_and_contact_upserts(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("email")
    headers = {"Authorization": f"Bearer {EMAIL_TOKEN}"}
    mail = {"to": [{"email": "anna@nordwerk.example", "name": "Anna"}], "from": "orders@acme.example",
            "subject": "Order ORD-000001 confirmed", "text": "Thank you."}
    sent = http.post(url + "/v3/mail/send", json=mail, headers=headers)
    assert sent.status_code == 202
    message = http.get(url + f"/v3/messages/{sent.json()['message_id']}", headers=headers).json()
    assert message["to"] == [{"email": "anna@nordwerk.example", "name": "Anna"}] and message["status"] == "queued"
    assert http.post(url + "/v3/mail/send", json={**mail, "to": "not-an-address"}, headers=headers).status_code == 422
    assert http.post(url + "/v3/mail/send", json={**mail, "text": None}, headers=headers).status_code == 422
    assert http.post(url + "/v3/mail/send", json=mail).status_code == 401
    contacts = [{"email": "Anna@Nordwerk.example", "first_name": "Anna"}, {"email": "jonas@baltic.example"}]
    first = http.post(url + "/v3/contacts", json={"contacts": contacts, "list_ids": ["customers"]}, headers=headers)
    assert first.status_code == 202 and first.json()["created"] == 2
    again = http.put(url + "/v3/contacts", json={"contacts": contacts[:1]}, headers=headers).json()
    assert again["created"] == 0 and again["upserted"] == 1
    stored = http.get(url + "/v3/contacts", params={"limit": 10}, headers=headers).json()["data"]
    assert sorted(c["email"] for c in stored) == ["anna@nordwerk.example", "jonas@baltic.example"]
    assert [e["operation"] for e in received(http, url)] == ["mail.send", "contacts.upsert", "contacts.upsert"]


def test_marketing_uses_oauth_and_serves_campaign_results(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("marketing")
    assert http.get(url + "/rest/v1/campaign-results").status_code == 401
    token = http.post(url + "/identity/oauth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                           "client_secret": CLIENT_SECRET}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    results, offset = [], 0
    while True:
        page = http.get(url + "/rest/v1/campaign-results", params={"offset": offset, "limit": 250},
                        headers=headers).json()
        results += page["data"]
        offset += 250
        if offset >= page["meta"]["total"]:
            break
    assert len(results) == 600 and len({r["id"] for r in results}) == 600
    since = results[500]["updated_at"]
    newer = http.get(url + "/rest/v1/campaign-results", params={"updated_since": since}, headers=headers).json()
    assert newer["meta"]["total"] == 100
    leads = {"action": "createOrUpdate", "lookupField": "email",
             "input": [{"email": "a@x.example", "firstName": "A"}, {"firstName": "no email"}]}
    out = http.post(url + "/rest/v1/leads", json=leads, headers=headers).json()
    assert out["success"] is True
    assert [r["status"] for r in out["result"]] == ["created", "skipped"]
    again = http.post(url + "/rest/v1/leads", json={**leads, "action": "createOnly"}, headers=headers).json()
    assert again["result"][0]["status"] == "skipped"
    updated = http.post(url + "/rest/v1/leads", json={"input": [{"email": "a@x.example", "score": 7}]},
                        headers=headers).json()
    assert updated["result"] == [{"id": 1, "status": "updated"}]


def test_telephony_calls_sms_and_call_log(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("telephony")
    auth = (ACCOUNT_SID, AUTH_TOKEN)
    assert http.post(url + "/v1/calls", json={"from": "+49405551000", "to": "+491701234567"}).status_code == 401
    call = http.post(url + "/v1/calls", json={"from": "+49 40 555 1000", "to": "+49 170 1234567",
                                              "crm_contact_id": "CON-0001"}, auth=auth)
    assert call.status_code == 201 and call.json()["to"] == "+491701234567" and call.json()["status"] == "queued"
    assert http.post(url + "/v1/calls", json={"from": "+4940", "to": "12"}, auth=auth).status_code == 422
    sms = http.post(url + "/v1/messages", json={"to": "+491701234567", "body": "x" * 200}, auth=auth).json()
    assert sms["segments"] == 2
    assert http.post(url + "/v1/messages", json={"to": "+491701234567", "body": "x" * 1601},
                     auth=auth).status_code == 422
    log = http.get(url + "/v1/calls", params={"per_page": 500}, auth=auth).json()
    assert log["meta"]["total"] == 201 and log["data"][-1]["sid"] == call.json()["sid"]
    assert [e["operation"] for e in received(http, url)] == ["call.create", "sms.send"]


def test_documents_are_versioned_by_external_id(sandbox: SandboxCluster, http: httpx.Client) -> None:
    url = sandbox.url("documents")
    headers = {"Authorization": f"Bearer {DOCS_TOKEN}"}
    pdf = b"%PDF-1.4 quote Q-00001"
    doc = {"name": "Quote Q-00001.pdf", "content_type": "application/pdf", "external_id": "quote:Q-00001",
           "content_base64": base64.b64encode(pdf).decode(), "metadata": {"account_id": "ACC-0001"}}
    first = http.post(url + "/api/v1/documents", json=doc, headers=headers)
    assert first.status_code == 201
    assert first.json()["sha256"] == hashlib.sha256(pdf).hexdigest() and first.json()["version"] == 1
    for bad in (None, "not base64!"):
        response = http.post(url + "/api/v1/documents", json={**doc, "content_base64": bad}, headers=headers)
        assert response.status_code == 422 and response.json()["error"]["details"][0]["field"] == "content_base64"
    second = http.post(url + "/api/v1/documents", json={k: v for k, v in doc.items() if k != "content_base64"}
                       | {"text": "v2"}, headers=headers)
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"] and second.json()["version"] == 2
    listing = http.get(url + "/api/v1/documents", params={"account_id": "ACC-0001"}, headers=headers).json()
    assert [d["version"] for d in listing["data"]] == [2]
    assert http.post(url + "/api/v1/documents", json={"name": "x", "content_type": "text/plain"},
                     headers=headers).status_code == 422
    log = received(http, url)
    assert len(log) == 2 and "content_base64" not in log[0]["body"] and log[0]["body"]["size"] == len(pdf)

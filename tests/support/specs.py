"""Spec text for tests, built from a few parts so that each test states only what it varies.

Every builder returns YAML text exactly as a test would write it by hand (one document, ending in a newline);
`documents()` joins several into one multi-document file."""

from __future__ import annotations

from collections.abc import Sequence

ORDER_MAP = "{order_ref: id, lines: lines[].{sku: sku, quantity: qty}}"
CUSTOMER_MAP = "{id: id, email: contact.email, name: name, vip: tier == 'gold'}"


def documents(*docs: str) -> str:
    """Several YAML documents as one file."""
    return "---\n".join(docs)


def bearer(token_env: str) -> str:
    return f'{{type: bearer, token: "${{env:{token_env}}}"}}'


def api_key(key_env: str, header: str = "X-API-Key") -> str:
    return f'{{type: api-key, header: {header}, key: "${{env:{key_env}}}"}}'


def system(name: str, owner: str, url_env: str | None = None, *, style: str = "rest", role: str | None = None,
           auth: str | None = None) -> str:
    api = [f"style: {style}"]
    if url_env:
        api.append(f'base_url: "${{env:{url_env}}}"')
    if auth:
        api.append(f"auth: {auth}")
    lines = ["kind: system", f"name: {name}", f"owner: {owner}", *([f"role: {role}"] if role else []),
             "api: {" + ", ".join(api) + "}"]
    return "\n".join(lines) + "\n"


def owner(name: str, email: str) -> str:
    return f"kind: owner\nname: {name}\ncontacts: {{email: {email}}}\n"


CRM = system("crm", "crm-team", "CRM_URL", role="crm", auth=bearer("CRM_TOKEN"))
# the simulated CRM, operations and e-mail systems with the credentials of `SandboxCluster.env()`
SANDBOX_SYSTEMS = documents(CRM, system("operations", "ops", "OPERATIONS_URL", auth=api_key("OPERATIONS_API_KEY")),
                            system("email", "ops", "EMAIL_URL", auth=bearer("EMAIL_TOKEN")))


def integration(name: str, owner: str, *, target: str | None = None, targets: Sequence[str] = (),
                source: str = "crm", per_day: int = 500, coupling: str = "tight", body: str = "") -> str:
    """A push integration's head (one `target` or several `targets`), then `body` (trigger, steps, deliver …)."""
    to = f"target: {target}" if target else f"targets: [{', '.join(targets)}]"
    return (f"kind: integration\nname: {name}\nowner: {owner}\nsource: {source}\n{to}\ndirection: push\n"
            f"timing: near-real-time\nvolume: {{records_per_transaction: 1, transactions_per_day: {per_day}}}\n"
            f"coupling: {coupling}\n{body}")


def signed_webhook(path: str) -> str:
    """A webhook trigger checking GitHub-style signatures with `${env:HOOK_SECRET}`."""
    return f'trigger:\n  webhook: {{path: {path}, signature: {{scheme: github, secret: "${{env:HOOK_SECRET}}"}}}}\n'


def delivery(retries: int, backoff: tuple[str, str], circuit_breaker: str | None = None) -> str:
    breaker = f", circuit_breaker: {circuit_breaker}" if circuit_breaker else ""
    return f"delivery: {{retries: {retries}, backoff: {{initial: {backoff[0]}, max: {backoff[1]}}}{breaker}}}\n"


def route(target: str, path: str, *, when: str | None = None, map_: str | None = None) -> str:
    """One `deliver:` entry: an HTTP POST to `target`, optionally filtered by `when` and reshaped by `map_`."""
    text = f"  - target: {target}\n"
    if when:
        text += f'    when: "{when}"\n'
    if map_:
        text += f'    steps:\n      - map: "{map_}"\n'
    return text + f"    http: {{method: POST, path: {path}}}\n"


def ship_orders(mapping: str = ORDER_MAP, *, owner: str = "ops", coerce: bool = False, retries: int = 4,
                backoff: tuple[str, str] = ("50ms", "200ms"), circuit_breaker: str | None = None,
                slo: str | None = None) -> str:
    """Point to point: CRM orders from a signed webhook to the operations system, keyed by order_ref.
    `coerce` adds a step requiring order_ref (a record without an id then fails its transform)."""
    steps = f'steps:\n  - map: "{mapping}"\n'
    if coerce:
        steps += "  - coerce: {order_ref: {type: str, required: true}}\n"
    body = (signed_webhook("/hooks/orders") + steps + "idempotency_key: order_ref\n"
            + delivery(retries, backoff, circuit_breaker)
            + "deliver:\n" + route("operations", "/v1/fulfillment-orders") + (f"slo: {slo}\n" if slo else ""))
    return integration("ship-orders", owner, target="operations", body=body)


def customer_sync(*, owner: str = "ops", retries: int = 6, backoff: tuple[str, str] = ("50ms", "200ms")) -> str:
    """Hub and spoke: CRM customers to e-mail (those with an address) and operations (a kit for gold tier)."""
    welcome = "{to: email, from: 'crm@acme.example', subject: join(' ', ['Welcome', name]), text: 'Hello'}"
    kit = "{order_ref: join('-', ['VIP-KIT', id]), lines: [{sku: 'WELCOME-KIT', quantity: `1`}]}"
    body = (signed_webhook("/hooks/customers") + f'steps:\n  - map: "{CUSTOMER_MAP}"\n' + "idempotency_key: id\n"
            + delivery(retries, backoff) + "deliver:\n"
            + route("email", "/v3/mail/send", when="email != null", map_=welcome)
            + route("operations", "/v1/fulfillment-orders", when="vip", map_=kit))
    return integration("customer-sync", owner, targets=("operations", "email"), body=body)

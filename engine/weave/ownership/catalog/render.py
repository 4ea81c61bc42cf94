"""HTML for one catalog page each: integration, system, event, owner. Everything escaped; links relative."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from weave.ownership.catalog.assets import CSS
from weave.ownership.catalog.model import Catalog, IntegrationEntry, Step, slug

CONTACT_LABELS = (("email", "E-mail"), ("chat_webhook", "Chat webhook"), ("webhook", "Webhook"),
                  ("pagerduty_routing_key", "PagerDuty"), ("oncall", "On call"), ("handle", "Review handle"),
                  ("timezone", "Time zone"))


def e(value: Any) -> str:
    return escape("" if value is None else str(value))


def link(kind: str, name: str, depth: int = 1, label: str | None = None) -> str:
    prefix = "../" * depth
    return f'<a href="{prefix}{kind}/{escape(slug(name))}.html">{e(label or name)}</a>'


def page(title: str, body: str, depth: int = 1) -> str:
    up = "../" * depth
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1"><title>{e(title)} · weave catalog</title>'
            f'<style>{CSS}</style></head><body><header><a class="brand" href="{up}index.html">weave catalog</a>'
            f'<a href="{up}index.html#integrations">Integrations</a><a href="{up}index.html#systems">Systems</a>'
            f'<a href="{up}index.html#events">Events</a><a href="{up}index.html#owners">Owners</a>'
            f'<form action="{up}index.html" method="get"><input name="q" placeholder="Search the catalog" '
            f'aria-label="Search"></form></header><main>{body}</main></body></html>\n')


def table(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>" if body else \
        '<p class="muted">None.</p>'


def contacts_html(contacts: Mapping[str, Any]) -> str:
    rows = [(e(label), f"<code>{e(contacts[key])}</code>") for key, label in CONTACT_LABELS if contacts.get(key)]
    return table(("channel", "where"), rows) if rows else '<p class="muted">No contacts declared: no alert can ' \
        'reach this owner.</p>'


def owner_card(catalog: Catalog, owner: str | None, depth: int = 1) -> str:
    if not owner:
        return '<p><strong>No owner.</strong></p>'
    spec = catalog.project.owners.get(owner)
    esc = (spec.raw.get("escalation") or {}) if spec else {}
    escalation = (f"<p>Escalation after <strong>{e(esc.get('after', '?'))}</strong>:</p>"
                  + contacts_html(esc.get("contacts") or {})) if esc else ""
    return (f'<div class="card"><p>Owner: <strong>{link("owners", owner, depth)}</strong>'
            + (f' <span class="muted">{e(spec.raw.get("description"))}</span>' if spec and spec.raw.get("description")
               else ' <span class="muted">(not declared with <code>kind: owner</code>)</span>' if not spec else "")
            + "</p>" + contacts_html(spec.contacts if spec else {}) + escalation + "</div>")


def _steps(steps: tuple[Step, ...]) -> str:
    if not steps:
        return '<p class="muted">No transform steps.</p>'
    out = []
    for n, step in enumerate(steps, 1):
        fields = table(("field", "from"), [(f"<code>{e(k)}</code>", f"<code>{e(v)}</code>") for k, v in step.fields]) \
            if step.fields else ""
        out.append(f'<div class="card"><p><strong>{n}. {e(step.kind)}</strong></p><pre>{e(step.text)}</pre>{fields}</div>')
    return "".join(out)


def _decisions(entry: IntegrationEntry) -> str:
    item = entry.plan
    if item is None:
        return '<p class="muted">Not planned.</p>'
    out = []
    if item.override is not None:
        out.append(f'<p>Pattern set by the spec: <strong>{e(item.override.pattern)}</strong> — '
                   f'{e(item.override.reason or "")} '
                   f'({"the framework agrees" if item.override.agrees else "the framework would choose otherwise"})</p>')
    for decision in item.decisions:
        rows = [(f"<code>{e(c.rule.id)}</code>", e(c.rule.condition), f"<em>{e(c.rule.cites)}</em>",
                 e(", ".join(f"{p} {v:+d}" for p, v in c.points if v) or c.rule.note))
                for c in decision.contributions]
        scores = " ".join(f'<span class="pill">{e(p)} {s}</span>' for p, s in decision.scores)
        runner = (f"<p>Runner-up: {e(decision.runner_up.pattern)} ({decision.runner_up.score} vs "
                  f"{decision.runner_up.winner_score})</p>") if decision.runner_up else ""
        out.append(f"<h3>{e(decision.side)} side → {e(decision.pattern)}</h3><p>Scores: {scores}</p>{runner}"
                   + table(("rule", "condition", "the article says", "votes"), rows))
    return "".join(out)


def integration_page(catalog: Catalog, entry: IntegrationEntry) -> str:
    spec, item = entry.spec, entry.plan
    patterns = " ".join(f'<span class="pill">{e(p)}</span>' for p in (item.patterns if item else ()))
    targets = ", ".join(link("systems", t) for t in spec.targets) or (
        f"event {link('events', spec.publishes)}" if spec.publishes else "—")
    trigger = (f"<p>Trigger: <strong>{e(entry.trigger[0])}</strong></p><pre>{e(json.dumps(entry.trigger[1], indent=2))}</pre>"
               if entry.trigger else '<p class="muted">No runtime trigger declared (framework spec only).</p>')
    schedule = (entry.trigger[1] if entry.trigger and entry.trigger[0] == "schedule" else None) or \
        ((spec.raw.get("batch") or {}).get("schedule") if isinstance(spec.raw.get("batch"), dict) else None)
    if schedule:
        trigger += f"<p>Schedule: <code>{e(json.dumps(schedule))}</code></p>"
    events = []
    if spec.publishes:
        events.append(f"<p>Publishes {link('events', spec.publishes)}</p>")
    if spec.subscribes_to:
        events.append(f"<p>Subscribes to {link('events', spec.subscribes_to)}</p>")
    for name in (spec.publishes, spec.subscribes_to):
        event = catalog.project.events.get(name or "")
        if event is not None:
            events.append(f"<p>Schema of <code>{e(name)}</code> v{event.version}:</p>"
                          f"<pre>{e(json.dumps(event.schema, indent=2))}</pre>")
    deliveries = "".join(
        f'<div class="card"><p>→ {link("systems", str(d["target"]))}'
        + (f' when <code>{e(d["when"])}</code>' if d["when"] else "") + "</p>"
        + (f'<pre>{e(json.dumps(d["operation"], indent=2))}</pre>' if d["operation"] else "")
        + (_steps(d["steps"]) if d["steps"] else "") + "</div>" for d in entry.deliveries)
    slos = table(("SLO", "objective", "from"), [(f"<code>{e(s.kind)}</code>", e(s.describe), e(s.source))
                                                 for s in entry.slos])
    deps = table(("integration", "owner", "via", "path"), [
        (link("integrations", d["name"]), link("owners", d["owner"]) if d["owner"] else "—", e(d["via"]),
         e(d["path"])) for d in entry.dependents])
    body = (f"<h1>{e(entry.name)}</h1><p>{patterns}</p>"
            + (f"<p>{e(spec.raw.get('description'))}</p>" if spec.raw.get("description") else "")
            + owner_card(catalog, spec.owner)
            + f"<h2>Source and targets</h2><p>{link('systems', spec.source)} → {targets}</p>"
            + f"<p class='muted'>{e(spec.direction)} · {e(spec.timing)} · {e(spec.coupling)} coupling · "
            f"{spec.records_per_transaction} records/transaction · {spec.transactions_per_day} transactions/day</p>"
            + f"<h2>Pattern and the planner's reasons</h2>{_decisions(entry)}"
            + f"<h2>Trigger and schedule</h2>{trigger}"
            + f"<h2>Transform steps</h2>{_steps(entry.steps)}"
            + (f"<h2>Delivery</h2>{deliveries}" if deliveries else "")
            + ("<h2>Events</h2>" + "".join(events) if events else "")
            + f"<h2>SLOs</h2>{slos}"
            + f"<h2>What depends on it</h2>{deps}"
            + f'<p class="muted">Spec: <code>{e(spec.doc.file)}</code></p>')
    return page(entry.name, body)


def system_page(catalog: Catalog, name: str, impacted: list[dict[str, Any]]) -> str:
    spec = catalog.project.systems.get(name)
    api = (spec.raw.get("api") or {}) if spec else {}
    users = catalog.system_users.get(name, [])
    rows = []
    for integration, role in sorted(users):
        owner = catalog.project.integrations[integration].owner
        owner_spec = catalog.project.owners.get(owner or "")
        call = ", ".join(f"{e(v)}" for k, v in (owner_spec.contacts if owner_spec else {}).items()
                         if k in ("email", "oncall") and v) or "—"
        rows.append((link("integrations", integration), e(role), link("owners", owner) if owner else "—", call))
    body = (f"<h1>{e(name)}</h1>"
            + (f"<p>{e(spec.raw.get('description'))}</p>" if spec and spec.raw.get("description") else "")
            + (f"<p><span class='pill'>{e(api.get('style', '?'))}</span> auth <code>{e((api.get('auth') or {}).get('type', 'none'))}</code>"
               f" · base URL <code>{e(api.get('base_url', ''))}</code> · role {e(spec.role)}</p>" if spec
               else "<p class='muted'>Named by integrations, not declared as a system.</p>")
            + owner_card(catalog, spec.owner if spec else None)
            + "<h2>Integrations touching it — who to call</h2>"
            + table(("integration", "role", "owner", "call"), rows)
            + "<h2>Impact of a change to its API</h2>"
            + table(("integration", "owner", "via", "path"), [
                (link("integrations", i["name"]), link("owners", i["owner"]) if i["owner"] else "—", e(i["via"]),
                 e(i["path"])) for i in impacted]))
    return page(name, body)


def event_page(catalog: Catalog, name: str) -> str:
    spec = catalog.project.events.get(name)
    pubs = catalog.publishers.get(name, [])
    subs = catalog.subscribers.get(name, [])
    def rows(names: list[str]) -> list[tuple[str, str]]:
        owners = [catalog.project.integrations[n].owner for n in names]
        return [(link("integrations", n), link("owners", o) if o else "—") for n, o in zip(names, owners, strict=True)]
    versions = table(("version", "key", "retention", "schema"), [
        (f"v{spec.version}", f"<code>{e(spec.raw.get('key', ''))}</code>", e(spec.raw.get("retention", "7d")),
         f"<pre>{e(json.dumps(spec.schema, indent=2))}</pre>")]) if spec else \
        '<p class="muted">Not declared in the event catalog.</p>'
    body = (f"<h1>{e(name)}</h1>"
            + (f"<p>{e(spec.raw.get('description'))}</p>" if spec and spec.raw.get("description") else "")
            + (f"<p>Published by system {link('systems', spec.publisher)}</p>" if spec and spec.publisher else "")
            + owner_card(catalog, spec.owner if spec else None)
            + "<h2>Publishers</h2>" + table(("integration", "owner"), rows(pubs))
            + "<h2>Subscribers</h2>" + table(("integration", "owner"), rows(subs))
            + "<h2>Schema versions</h2>" + versions)
    return page(name, body)


def _patterns(entry: IntegrationEntry) -> tuple[str, ...]:
    return entry.plan.patterns if entry.plan is not None else ()


def owner_page(catalog: Catalog, name: str) -> str:
    owned = [(link("integrations", n), " ".join(f'<span class="pill">{e(p)}</span>' for p in _patterns(entry)))
             for n, entry in catalog.integrations.items() if entry.spec.owner == name]
    systems = [link("systems", s.name) for s in sorted(catalog.project.systems.values(), key=lambda s: s.name)
               if s.owner == name]
    events = [link("events", ev.name) for ev in sorted(catalog.project.events.values(), key=lambda v: v.name)
              if ev.owner == name]
    body = (f"<h1>{e(name)}</h1>" + owner_card(catalog, name)
            + "<h2>Integrations</h2>" + table(("integration", "pattern"), owned)
            + "<h2>Systems</h2>" + (("<p>" + ", ".join(systems) + "</p>") if systems else '<p class="muted">None.</p>')
            + "<h2>Events</h2>" + (("<p>" + ", ".join(events) + "</p>") if events else '<p class="muted">None.</p>'))
    return page(name, body)

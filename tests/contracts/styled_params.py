"""A helpdesk project whose contract has array, object and cookie parameters (tests/contracts/test_styled_params.py,
test_styled_param_diff.py): written to a temporary directory, line for line as here."""

from __future__ import annotations

from pathlib import Path

from .projects import OWNERS, integration_head

CONTRACT = "contracts/helpdesk.openapi.yaml"
SPECS = "specs/integrations.yaml"

HELPDESK = """\
openapi: 3.0.3
info: {title: Helpdesk, version: "1"}
paths:
  /tickets:
    get:
      parameters:
        - {name: status, in: query, style: form, explode: false, schema: {type: array, items: {type: string, enum: [open, closed, pending]}}}
        - {name: kinds, in: query, schema: {type: array, items: {type: string, enum: [bug, task]}}}
        - {name: tags, in: query, schema: {type: array, maxItems: 3, items: {type: string, maxLength: 5}}}
        - {name: ids, in: query, style: pipeDelimited, explode: false, schema: {type: array, items: {type: integer}}}
        - name: filter
          in: query
          style: deepObject
          schema: {type: object, additionalProperties: false, properties: {priority: {type: integer, minimum: 1, maximum: 5}, team: {type: string}}}
        - name: range
          in: query
          explode: false
          schema: {type: object, required: [from], properties: {from: {type: string, format: date}, to: {type: string, format: date}}}
        - {name: X-Flags, in: header, schema: {type: array, items: {type: boolean}}}
        - {name: session, in: cookie, required: true, schema: {type: string, pattern: "^[a-f0-9]{8}$"}}
        - {name: lang, in: cookie, schema: {type: string, enum: [en, de]}}
      responses:
        '200':
          description: tickets
          content:
            application/json:
              schema: {type: object, properties: {data: {type: array, items: {type: object}}}}
  /teams/{ids}:
    get:
      parameters:
        - {name: ids, in: path, required: true, schema: {type: array, items: {type: integer}}}
      responses:
        '200': {description: teams}
  /agents/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, style: label, schema: {type: integer}}
      responses:
        '200': {description: an agent}
  /queues/{ids}:
    get:
      parameters:
        - {name: ids, in: path, required: true, style: matrix, explode: true, schema: {type: array, items: {type: integer}}}
      responses:
        '200': {description: queues}
  /reports:
    get:
      parameters:
        - name: filter
          in: query
          content:
            application/json:
              schema: {type: object, additionalProperties: false, required: [since], properties: {since: {type: string, format: date}, limit: {type: integer, minimum: 1, maximum: 100}}}
        - {name: X-Trace, in: header, content: {text/plain: {schema: {type: string, maxLength: 3}}}}
      responses:
        '200': {description: reports}
"""

SYSTEMS = """\
kind: system
name: helpdesk
owner: team-a
api: {style: rest, base_url: "${env:HELPDESK_URL}", auth: {type: bearer, token: "${env:HELPDESK_TOKEN}"}, contract: ../contracts/helpdesk.openapi.yaml}
---
kind: system
name: warehouse
owner: team-a
api: {style: rest, base_url: "${env:WAREHOUSE_URL}"}
"""


def reader(name: str, http: str) -> str:
    """A nightly read of helpdesk (`http` is the inside of the extract's `http:` block, indented 4)."""
    return (integration_head(name, "warehouse", source="helpdesk") + 'trigger: {schedule: {cron: "0 2 * * *"}}\n'
            + "extract:\n  http:\n" + http + "    records: data\n"
            "deliver:\n  - target: warehouse\n    http: {method: POST, path: /tickets}\n")


INTEGRATIONS = "---\n".join([
    reader("clean", """\
    path: "/tickets?kinds=bug&kinds=task&tags=a&tags=b"
    params: {status: "open,closed", ids: "1|2", "filter[priority]": 3, range: "from,2024-01-01,to,2024-02-01"}
    headers: {Cookie: "session=deadbeef; lang=en", X-Flags: "true,false"}
"""),
    reader("bad-arrays", """\
    path: "/tickets?tags=ok&tags=toolongtag"
    params: {status: "open,archived", ids: "1|x"}
    headers: {Cookie: "session=deadbeef", X-Flags: "true,maybe"}
"""),
    reader("exploded-commas", """\
    path: "/tickets?kinds=bug,task&tags=a&tags=b&tags=c&tags=d"
    headers: {Cookie: "session=deadbeef"}
"""),
    reader("bad-objects", """\
    path: /tickets
    params: {"filter[priority]": 9, "filter[colour]": red, range: "to,2024-02-30"}
    headers: {Cookie: "session=deadbeef"}
"""),
    reader("no-cookie", """\
    path: /tickets
    headers: {X-Flags: "true"}
"""),
    reader("templated-cookie", """\
    path: /tickets
    headers: {Cookie: "session={{ state.session }}; lang=de"}
"""),
    reader("bad-cookie", """\
    path: /tickets
    headers: {Cookie: "session=XYZ; lang=fr"}
"""),
    reader("team-path", """\
    path: /teams/1,x
"""),
    reader("label-clean", """\
    path: /agents/.5
"""),
    reader("label-path", """\
    path: /agents/5
"""),
    reader("matrix-path", """\
    path: /queues/;ids=1;ids=x
"""),
    reader("content-clean", """\
    path: /reports
    params: {filter: '{"since": "2024-01-01", "limit": 10}'}
    headers: {X-Trace: "not read: text/plain"}
"""),
    reader("content-bad", """\
    path: /reports
    params: {filter: '{"since": "2024-02-30", "limit": 0, "colour": "red"}'}
"""),
    reader("content-not-json", """\
    path: /reports
    params: {filter: "since=2024-01-01"}
"""),
])


def helpdesk_project(root: Path) -> Path:
    (root / "specs").mkdir(parents=True)
    (root / "contracts").mkdir()
    (root / "specs" / "owners.yaml").write_text(OWNERS)
    (root / "specs" / "systems.yaml").write_text(SYSTEMS)
    (root / SPECS).write_text(INTEGRATIONS)
    (root / CONTRACT).write_text(HELPDESK)
    return root

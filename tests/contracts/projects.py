"""Small projects written to a temporary directory: systems with contracts and integrations that exercise
every step kind and every contract check. Line numbers in the tests refer to these texts; the builders
(`integration_head`, `nightly`, `portal`, `ledger_openapi` …) return the YAML line for line as written by
hand, so a test can count on where each line lands."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tests.support.specs import documents

OWNERS = """\
kind: owner
name: team-a
type: team
contacts: {email: team-a@acme.example, handle: "@acme/team-a"}
"""

SYSTEMS = """\
kind: system
name: shop
owner: team-a
api: {style: rest, base_url: "${env:SHOP_URL}", auth: {type: bearer, token: "${env:SHOP_TOKEN}"}, contract: ../contracts/shop.openapi.yaml}
---
kind: system
name: ledger
owner: team-a
api: {style: rest, base_url: "${env:LEDGER_URL}", contract: ../contracts/ledger.openapi.yaml}
---
kind: system
name: oldsoap
owner: team-a
api: {style: soap, base_url: "${env:OLD_URL}", contract: ../contracts/old.wsdl}
---
kind: system
name: broken
owner: team-a
api: {style: rest, base_url: "${env:BROKEN_URL}", contract: ../contracts/missing.yaml}
"""

SHOP_OPENAPI = """\
openapi: 3.0.3
info: {title: Shop, version: "1.2"}
paths:
  /orders:
    get:
      parameters:
        - {name: cursor, in: query, schema: {type: string}}
        - {$ref: "#/components/parameters/since"}
      responses:
        '200':
          description: orders
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {$ref: "shop-schemas.yaml#/Order"}}
                  meta: {type: object}
components:
  parameters:
    since: {name: updated_since, in: query, schema: {type: string}}
"""

SHOP_SCHEMAS = """\
Order:
  type: object
  properties:
    id: {type: string}
    status: {type: string, enum: [new, paid]}
    total: {type: number}
    number: {type: string}
    qty: {type: integer}
    customer: {$ref: "#/Customer"}
    paid_at: {type: string}
    ref: {type: string}
    internal_notes: {type: string}
    lines: {type: array, items: {$ref: "#/Line"}}
Customer:
  type: object
  properties:
    name: {type: string}
    country: {type: string}
    parent: {$ref: "#/Customer"}
Line:
  type: object
  properties:
    sku: {type: string}
    quantity: {type: integer}
    unit_price: {type: number}
"""


def ledger_openapi(version: str, required: str, fields: dict[str, str], *, paths: str = "") -> str:
    """The ledger's OpenAPI 3.1 contract: `paths` (other path items), then POST /entries writing a closed Entry
    with `fields` (name → schema) of which `required` (a YAML flow list's inside) are required."""
    properties = "".join(f"        {name}: {schema}\n" for name, schema in fields.items())
    return ("openapi: 3.1.0\n"
            f'info: {{title: Ledger, version: "{version}"}}\n'
            "paths:\n"
            f"{paths}"
            """\
  /entries:
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: "#/components/schemas/Entry"}
      responses:
        '201': {description: created}
components:
  schemas:
    Entry:
      type: object
      additionalProperties: false
"""
            f"      required: [{required}]\n"
            "      properties:\n"
            f"{properties}")


LEDGER_OPENAPI = ledger_openapi("7", "sku, qty, order", {
    "sku": "{type: string}", "qty": "{type: integer}", "order": "{type: string}", "price": "{type: number}",
    "currency": "{type: string, enum: [EUR, USD]}"})

OLD_WSDL = """\
<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema"
    xmlns:tns="urn:old" targetNamespace="urn:old">
  <wsdl:types>
    <xs:schema targetNamespace="urn:old">
      <xs:complexType name="Base"><xs:sequence><xs:element name="Id" type="xs:string"/></xs:sequence></xs:complexType>
      <xs:complexType name="Item">
        <xs:complexContent><xs:extension base="tns:Base"><xs:sequence>
          <xs:element name="Qty" type="xs:int"/>
          <xs:element name="Kind" type="tns:Kind" minOccurs="0"/>
        </xs:sequence></xs:extension></xs:complexContent>
      </xs:complexType>
      <xs:simpleType name="Kind"><xs:restriction base="xs:string">
        <xs:enumeration value="A"/><xs:enumeration value="B"/></xs:restriction></xs:simpleType>
      <xs:element name="PutItems"><xs:complexType><xs:sequence>
        <xs:element name="Item" type="tns:Item" maxOccurs="unbounded"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="PutItemsResponse"><xs:complexType><xs:sequence>
        <xs:element name="Count" type="xs:int"/></xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="PutItemsIn"><wsdl:part name="p" element="tns:PutItems"/></wsdl:message>
  <wsdl:message name="PutItemsOut"><wsdl:part name="p" element="tns:PutItemsResponse"/></wsdl:message>
  <wsdl:portType name="Old">
    <wsdl:operation name="PutItems"><wsdl:input message="tns:PutItemsIn"/><wsdl:output message="tns:PutItemsOut"/></wsdl:operation>
  </wsdl:portType>
</wsdl:definitions>
"""

ENVELOPE = """\
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:o="urn:old">
  <soapenv:Body>
    <o:PutItems>
{%- for item in items %}
      <o:Item><o:Id>{{ item.id }}</o:Id><o:Qty>{{ item.qty }}</o:Qty><o:Colour>{{ item.colour }}</o:Colour></o:Item>
{%- endfor %}
    </o:PutItems>
  </soapenv:Body>
</soapenv:Envelope>
"""

LIBRARY = """\
kind: transform
name: line-to-ledger
description: one order line as a ledger entry
steps:
  - map: "{sku: sku, qty: quantity, order: order_id, price: unit_price}"
fixtures:
  - name: a line
    input: {sku: A, quantity: 2, order_id: O1, unit_price: 1.5}
    expect: {sku: A, qty: 2, order: O1, price: 1.5}
---
kind: table
name: countries
mapping: {DE: Germany, FR: France}
"""


def integration_head(name: str, target: str | None = "ledger", *, source: str = "shop", direction: str = "push",
                     timing: str = "batch", volume: tuple[int, int] = (10, 1)) -> str:
    """An integration's head, owned by team-a and loosely coupled; `volume` is (records per transaction,
    transactions per day); `target=None` leaves the target out (a publisher)."""
    to = f"target: {target}\n" if target else ""
    return (f"kind: integration\nname: {name}\nowner: team-a\nsource: {source}\n{to}direction: {direction}\n"
            f"timing: {timing}\nvolume: {{records_per_transaction: {volume[0]}, transactions_per_day: {volume[1]}}}\n"
            "coupling: loose\n")


def soap_systems(name: str, contract: str) -> str:
    """A REST `shop` and a SOAP system `name` described by `contracts/<contract>` (from specs/)."""
    return ("kind: system\nname: shop\nowner: team-a\napi: {style: rest, base_url: \"${env:SHOP_URL}\"}\n---\n"
            f"kind: system\nname: {name}\nowner: team-a\napi: {{style: soap, base_url: \"${{env:{name.upper().replace('-', '_')}"
            f"_URL}}\", contract: ../contracts/{contract}}}\n")


def soap_sync(name: str, target: str, operation: str, mapping: str) -> str:
    """A real-time webhook integration from `shop` that maps each record with the JMESPath `mapping` (written in
    single quotes) and calls `operation` of the SOAP system `target`."""
    return (integration_head(name, target, timing="real-time", volume=(1, 100))
            + f"trigger: {{webhook: {{path: /hooks/{name}}}}}\nsteps:\n  - map: '{mapping}'\n"
            f"deliver:\n  - target: {target}\n    soap: {{operation: {operation}}}\n")


def post(path: str = "/entries", *, method: str = "POST", target: str = "ledger") -> str:
    """One `deliver:` entry: an HTTP call to `target`."""
    return f"  - target: {target}\n    http: {{method: {method}, path: {path}}}\n"


def soap(operation: str, *, envelope: str | None = None, target: str = "oldsoap") -> str:
    """One `deliver:` entry: a SOAP call to `target`, with its envelope template if given."""
    with_envelope = f", envelope: {envelope}" if envelope else ""
    return f"  - target: {target}\n    soap: {{operation: {operation}{with_envelope}}}\n"


def nightly(name: str, *steps: str, target: str = "ledger", extract: str | None = None,
            deliver: Sequence[str] = (post(),)) -> str:
    """A batch integration from shop run at 02:00: `extract` is the inside of its `http:` mapping, each of
    `steps` one step (after `- `), `deliver` its entries."""
    text = integration_head(name, target) + 'trigger: {schedule: {cron: "0 2 * * *"}}\n'
    if extract:
        text += f"extract:\n  http: {{{extract}}}\n"
    if steps:
        text += "steps:\n" + "".join(f"  - {step}\n" for step in steps)
    return text + "deliver:\n" + "".join(deliver)


ORDERS_ROUTE = "    - {method: GET, path: /p/orders, upstream: {system: shop, path: /orders}}\n"


def portal(*routes: str) -> str:
    """The partner gateway `portal` over shop, with `routes` (entries of `gateway.routes`, indented 4)."""
    head = integration_head("portal", direction="pull", timing="real-time", volume=(1, 10))
    return head + "exposure: partner\ntrigger: {gateway: {}}\ngateway:\n  routes:\n" + "".join(routes)


READ_ORDERS = "method: GET, path: /orders, records: data"
COPY = 'map: "{sku: sku, qty: qty, order: id}"'

# Every step kind, in an order where each one still sees the source record (see test_usage.py).
ALL_STEPS = nightly(
    "all-steps",
    "filter: \"status == 'paid'\"",
    'set: {total_cents: "to_number(total)", label: {template: "Order {{ number }}"}, origin: {value: shop},'
    ' double: {expression: "qty * 2"}}',
    'template: {field: summary, template: "{{ customer.name }} owes {{ total }}"}',
    "coerce: {paid_at: datetime}",
    "rename: {ref: external_ref}",
    "drop: [internal_notes]",
    "validate: {schema: {type: object, required: [id]}}",
    "lookup: {table: countries, key: customer.country, into: country_name}",
    "split: {items: lines, with: {order_id: id}}",
    "use: line-to-ledger",
    extract=READ_ORDERS)


def write_project(root: Path, integrations: str, *, envelope: bool = False) -> Path:
    (root / "specs").mkdir(parents=True, exist_ok=True)
    (root / "contracts").mkdir(exist_ok=True)
    (root / "transforms").mkdir(exist_ok=True)
    (root / "specs" / "owners.yaml").write_text(OWNERS)
    (root / "specs" / "systems.yaml").write_text(SYSTEMS)
    (root / "specs" / "integrations.yaml").write_text(integrations)
    (root / "contracts" / "shop.openapi.yaml").write_text(SHOP_OPENAPI)
    (root / "contracts" / "shop-schemas.yaml").write_text(SHOP_SCHEMAS)
    (root / "contracts" / "ledger.openapi.yaml").write_text(LEDGER_OPENAPI)
    (root / "contracts" / "old.wsdl").write_text(OLD_WSDL)
    (root / "transforms" / "library.yaml").write_text(LIBRARY)
    if envelope:
        (root / "transforms" / "put-items.xml.j2").write_text(ENVELOPE)
    return root / "specs"


# One integration per contract check; the tests name the expected code, file, line and column.
CHECKS = documents(
    nightly("bad-path", COPY, deliver=[post("/entrys")]),
    nightly("bad-method", COPY, deliver=[post(method="PUT")]),
    nightly("extra-field", 'map: "{sku: sku, qty: qty, order: id, colour: colour}"'),
    nightly("missing-required", 'map: "{sku: sku, order: id}"'),
    nightly("bad-reads", 'filter: "totl > `0`"',
            "map: >-\n      {sku: number, qty: to_number(customer),\n       order: id, price: sum(lines[].sku)}",
            extract=READ_ORDERS),
    nightly("bad-records", COPY, extract="method: GET, path: /orders, records: items"),
    nightly("bad-literals", "map: \"{sku: sku, qty: 'three', order: to_number(id), currency: 'GBP'}\""),
    nightly("soap-calls", 'map: "{items: lines[].{id: sku, qty: quantity, colour: colour}}"', target="oldsoap",
            deliver=[soap("PutItems", envelope="put-items.xml.j2"), soap("PutItem")]),
    nightly("bad-query", 'map: "{sku: number, qty: qty, order: id}"',
            extract="method: GET, path: /orders, params: {limt: 10}, pagination: {type: cursor}"),
    nightly("bad-coerce", COPY, "coerce: {qty: str}"),
    nightly("copied-type", "split: {items: lines, with: {order: id}}",
            'map: "{sku: sku, qty: unit_price, order: order, price: quantity}"', extract=READ_ORDERS),
    nightly("copied-type-bad", "split: {items: lines, with: {order: id}}", "rename: {sku: code}",
            'map: "{sku: code, qty: code, order: order}"', extract=READ_ORDERS),
)

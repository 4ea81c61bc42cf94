"""Small projects written to a temporary directory: systems with contracts and integrations that exercise
every step kind and every contract check. Line numbers in the tests refer to these texts."""

from __future__ import annotations

from pathlib import Path

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

LEDGER_OPENAPI = """\
openapi: 3.1.0
info: {title: Ledger, version: "7"}
paths:
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
      required: [sku, qty, order]
      properties:
        sku: {type: string}
        qty: {type: integer}
        order: {type: string}
        price: {type: number}
        currency: {type: string, enum: [EUR, USD]}
"""

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

HEADER = """\
kind: integration
name: {name}
owner: team-a
source: shop
target: {target}
direction: push
timing: batch
volume: {{records_per_transaction: 10, transactions_per_day: 1}}
coupling: loose
"""

# Every step kind, in an order where each one still sees the source record (see test_usage.py).
ALL_STEPS = HEADER.format(name="all-steps", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract:
  http: {method: GET, path: /orders, records: data}
steps:
  - filter: "status == 'paid'"
  - set: {total_cents: "to_number(total)", label: {template: "Order {{ number }}"}, origin: {value: shop}, double: {expression: "qty * 2"}}
  - template: {field: summary, template: "{{ customer.name }} owes {{ total }}"}
  - coerce: {paid_at: datetime}
  - rename: {ref: external_ref}
  - drop: [internal_notes]
  - validate: {schema: {type: object, required: [id]}}
  - lookup: {table: countries, key: customer.country, into: country_name}
  - split: {items: lines, with: {order_id: id}}
  - use: line-to-ledger
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
"""


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
CHECKS = (
    HEADER.format(name="bad-path", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{sku: sku, qty: qty, order: id}"
deliver:
  - target: ledger
    http: {method: POST, path: /entrys}
---
""" + HEADER.format(name="bad-method", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{sku: sku, qty: qty, order: id}"
deliver:
  - target: ledger
    http: {method: PUT, path: /entries}
---
""" + HEADER.format(name="extra-field", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{sku: sku, qty: qty, order: id, colour: colour}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="missing-required", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{sku: sku, order: id}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="bad-reads", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract:
  http: {method: GET, path: /orders, records: data}
steps:
  - filter: "totl > `0`"
  - map: >-
      {sku: number, qty: to_number(customer),
       order: id, price: sum(lines[].sku)}
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="bad-records", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract:
  http: {method: GET, path: /orders, records: items}
steps:
  - map: "{sku: sku, qty: qty, order: id}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="bad-literals", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{sku: sku, qty: 'three', order: to_number(id), currency: 'GBP'}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="soap-calls", target="oldsoap") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{items: lines[].{id: sku, qty: quantity, colour: colour}}"
deliver:
  - target: oldsoap
    soap: {operation: PutItems, envelope: put-items.xml.j2}
  - target: oldsoap
    soap: {operation: PutItem}
---
""" + HEADER.format(name="bad-query", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract:
  http: {method: GET, path: /orders, params: {limt: 10}, pagination: {type: cursor}}
steps:
  - map: "{sku: number, qty: qty, order: id}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="bad-coerce", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
steps:
  - map: "{sku: sku, qty: qty, order: id}"
  - coerce: {qty: str}
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="copied-type", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract:
  http: {method: GET, path: /orders, records: data}
steps:
  - split: {items: lines, with: {order: id}}
  - map: "{sku: sku, qty: unit_price, order: order, price: quantity}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
---
""" + HEADER.format(name="copied-type-bad", target="ledger") + """\
trigger: {schedule: {cron: "0 2 * * *"}}
extract:
  http: {method: GET, path: /orders, records: data}
steps:
  - split: {items: lines, with: {order: id}}
  - rename: {sku: code}
  - map: "{sku: code, qty: code, order: order}"
deliver:
  - target: ledger
    http: {method: POST, path: /entries}
""")

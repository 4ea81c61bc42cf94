"""Deterministic seed data for Acme Industrial's CRM: the same seed gives byte-identical records."""

from __future__ import annotations

import functools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from weave.sandbox._http import ISO_FORMAT

BASE_TIME = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
CURRENCY = "EUR"

_PREFIXES = ["Nordwerk", "Baltic", "Helix", "Ferrum", "Rhein", "Alpen", "Vector", "Kestrel", "Orion", "Granite",
             "Meridian", "Polar", "Cobalt", "Tessla", "Atlas", "Falke", "Boreal", "Quarz", "Lumen", "Sigma"]
_SUFFIXES = ["Maschinenbau GmbH", "Industries Ltd", "Manufacturing Inc", "Werke AG", "Fabrication AB",
             "Engineering BV", "Systems SA"]
_INDUSTRIES = ["machinery", "automotive", "chemicals", "food processing", "energy", "logistics"]
_PLACES = [("DE", "Hamburg", "20095"), ("DE", "Stuttgart", "70173"), ("AT", "Linz", "4020"),
           ("NL", "Rotterdam", "3011"), ("SE", "Gothenburg", "41103"), ("FR", "Lyon", "69002"),
           ("GB", "Sheffield", "S1 2HE"), ("US", "Cleveland", "44114")]
_FIRST = ["Anna", "Jonas", "Maria", "Lukas", "Sofia", "Emil", "Clara", "Noah", "Ida", "Felix", "Lea", "Oskar"]
_LAST = ["Schneider", "Berg", "Lindqvist", "Moreau", "Novak", "Okafor", "Tanaka", "Weber", "Keller", "Brandt"]
_TITLES = ["Purchasing Manager", "Plant Manager", "Maintenance Lead", "CFO", "Procurement Officer", "Engineer"]
_REPS = ["j.hartmann@acme.example", "s.okoro@acme.example", "m.lind@acme.example"]
PRODUCTS = [  # sku, name, category, list price, cost price
    ("AI-PUMP-100", "Centrifugal pump CP-100", "pumps", 1890.00, 1102.50),
    ("AI-PUMP-250", "Centrifugal pump CP-250", "pumps", 3450.00, 2001.00),
    ("AI-VALVE-20", "Ball valve DN20 stainless", "valves", 84.50, 31.20),
    ("AI-VALVE-50", "Butterfly valve DN50", "valves", 212.00, 96.40),
    ("AI-MOTOR-7K", "IE4 motor 7.5 kW", "motors", 1275.00, 803.25),
    ("AI-MOTOR-15K", "IE4 motor 15 kW", "motors", 2240.00, 1411.20),
    ("AI-SENS-PT", "Pressure transmitter 0-16 bar", "sensors", 329.00, 142.80),
    ("AI-SENS-FL", "Electromagnetic flow meter", "sensors", 1480.00, 688.00),
    ("AI-GEAR-H3", "Helical gearbox H3", "drives", 2690.00, 1640.90),
    ("AI-SEAL-KIT", "Mechanical seal kit", "spares", 145.00, 38.50),
    ("AI-FILTER-10", "Cartridge filter 10 micron (pack of 10)", "spares", 96.00, 27.10),
    ("AI-SERV-DAY", "Field service engineer, per day", "services", 1150.00, 610.00),
]
PRICE_LISTS = [  # id, name, discount applied to list price
    ("PL-STD", "Standard 2025", 0.0),
    ("PL-KEY", "Key accounts 2025", 0.08),
    ("PL-PARTNER", "Partner net 2025", 0.15),
]
_ORDER_STATUS = ["submitted", "confirmed", "confirmed", "shipped", "shipped", "invoiced"]
_CASE_SUBJECTS = ["Pump vibration after restart", "Invoice does not match order", "Spare part delivery late",
                  "Request for maintenance visit", "Sensor reading drifts", "Warranty claim for motor"]
_CASE_STATUS = ["new", "open", "open", "pending", "resolved", "closed"]
_STAGES = [("prospecting", 10), ("qualification", 25), ("proposal", 50), ("negotiation", 75),
           ("closed_won", 100), ("closed_lost", 0)]


def ts(moment: datetime) -> str:
    return moment.strftime(ISO_FORMAT)


def money(value: float) -> float:
    return round(value + 1e-9, 2)


def price_for(sku_price: float, discount: float) -> float:
    return money(sku_price * (1 - discount))


def _stamps(rng: random.Random, index: int, spacing_minutes: int) -> tuple[str, str]:
    created = BASE_TIME + timedelta(minutes=index * spacing_minutes + rng.randint(0, spacing_minutes - 1))
    updated = created + timedelta(minutes=rng.randint(0, 3 * 24 * 60), seconds=rng.randint(0, 59))
    return ts(created), ts(updated)


def products() -> list[dict[str, Any]]:
    out = []
    for i, (sku, name, category, list_price, cost) in enumerate(PRODUCTS, 1):
        out.append({"id": f"PRD-{i:03d}", "sku": sku, "name": name, "category": category, "currency": CURRENCY,
                    "list_price": list_price, "cost_price": cost, "margin_pct": money((1 - cost / list_price) * 100),
                    "supplier_id": f"SUP-{(i * 7) % 5 + 1:02d}", "active": True,
                    "created_at": ts(BASE_TIME), "updated_at": ts(BASE_TIME + timedelta(minutes=i))})
    return out


def price_lists() -> list[dict[str, Any]]:
    out = []
    for i, (pid, name, discount) in enumerate(PRICE_LISTS):
        items = [{"sku": p[0], "price": price_for(p[3], discount), "cost_price": p[4]} for p in PRODUCTS]
        out.append({"id": pid, "name": name, "currency": CURRENCY, "discount_pct": money(discount * 100),
                    "items": items, "created_at": ts(BASE_TIME), "updated_at": ts(BASE_TIME + timedelta(hours=i))})
    return out


def seed_crm(seed: int = 42, accounts: int = 40, orders: int = 150) -> dict[str, list[dict[str, Any]]]:
    """All CRM collections, each sorted by (updated_at, id); fresh top-level dicts on every call."""
    return {name: [dict(r) for r in records] for name, records in _seed_crm(seed, accounts, orders).items()}


@functools.lru_cache(maxsize=8)
def _seed_crm(seed: int, accounts: int, orders: int) -> dict[str, list[dict[str, Any]]]:
    rng = random.Random(seed)
    data: dict[str, list[dict[str, Any]]] = {"products": products(), "price_lists": price_lists()}
    accs: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []
    for i in range(1, accounts + 1):
        country, city, postal = _PLACES[rng.randrange(len(_PLACES))]
        tier = rng.choice(["standard", "standard", "key", "partner"])
        created, updated = _stamps(rng, i, 240)
        name = f"{_PREFIXES[(i - 1) % len(_PREFIXES)]} {_SUFFIXES[rng.randrange(len(_SUFFIXES))]}"
        domain = name.split()[0].lower() + ".example"
        accs.append({
            "id": f"ACC-{i:04d}", "name": name, "industry": rng.choice(_INDUSTRIES), "tier": tier,
            "price_list_id": {"standard": "PL-STD", "key": "PL-KEY", "partner": "PL-PARTNER"}[tier],
            "vat_id": f"{country}{rng.randint(100000000, 999999999)}", "email": f"billing@{domain}",
            "phone": f"+49 40 {rng.randint(1000000, 9999999)}", "owner": rng.choice(_REPS),
            "annual_revenue": rng.randint(2, 400) * 250_000,
            "billing_address": {"street": f"{rng.choice(['Hafenstrasse', 'Main Road', 'Industrieweg'])} "
                                          f"{rng.randint(1, 180)}", "city": city, "postal_code": postal,
                                "country": country},
            "erp_customer_number": f"C{100000 + i}" if i % 4 else None,
            "created_at": created, "updated_at": updated,
        })
        for _ in range(rng.randint(2, 4)):
            c_created, c_updated = _stamps(rng, i, 240)
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            contacts.append({
                "id": f"CON-{len(contacts) + 1:04d}", "account_id": f"ACC-{i:04d}", "first_name": first,
                "last_name": last, "email": f"{first.lower()}.{last.lower()}{len(contacts) + 1}@{domain}",
                "phone": f"+49 170 {rng.randint(1000000, 9999999)}", "title": rng.choice(_TITLES),
                "marketing_opt_in": rng.random() < 0.6, "created_at": c_created, "updated_at": c_updated,
            })
    data["accounts"], data["contacts"] = accs, contacts
    by_account: dict[str, list[dict[str, Any]]] = {}
    for c in contacts:
        by_account.setdefault(c["account_id"], []).append(c)
    discounts = {pid: d for pid, _, d in PRICE_LISTS}
    order_list = []
    for i in range(1, orders + 1):
        acc = accs[rng.randrange(len(accs))]
        lines: list[dict[str, Any]] = []
        for sku, _, _, list_price, _ in rng.sample(PRODUCTS, rng.randint(1, 4)):
            qty = rng.randint(1, 12)
            unit = price_for(list_price, discounts[acc["price_list_id"]])
            lines.append({"sku": sku, "quantity": qty, "unit_price": unit, "amount": money(unit * qty)})
        created, updated = _stamps(rng, i, 90)
        order_list.append({
            "id": f"ORD-{i:06d}", "account_id": acc["id"], "contact_id": rng.choice(by_account[acc["id"]])["id"],
            "status": rng.choice(_ORDER_STATUS), "currency": CURRENCY, "lines": lines,
            "total": money(sum(line["amount"] for line in lines)), "shipping_address": acc["billing_address"],
            "created_at": created, "updated_at": updated,
        })
    data["orders"] = order_list
    data["cases"] = [_case(rng, i, accs, by_account) for i in range(1, 41)]
    data["opportunities"] = [_opportunity(rng, i, accs) for i in range(1, 51)]
    data["quotes"] = []
    for key, records in data.items():
        data[key] = sorted(records, key=lambda r: (r["updated_at"], r["id"]))
    return data


def _case(rng: random.Random, i: int, accs: list[dict[str, Any]],
          by_account: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    acc = accs[rng.randrange(len(accs))]
    created, updated = _stamps(rng, i, 300)
    return {"id": f"CASE-{i:04d}", "account_id": acc["id"], "contact_id": rng.choice(by_account[acc["id"]])["id"],
            "subject": rng.choice(_CASE_SUBJECTS), "status": rng.choice(_CASE_STATUS),
            "priority": rng.choice(["low", "normal", "normal", "high", "urgent"]),
            "channel": rng.choice(["email", "phone", "portal"]), "description": "Reported by customer.",
            "created_at": created, "updated_at": updated}


def _opportunity(rng: random.Random, i: int, accs: list[dict[str, Any]]) -> dict[str, Any]:
    acc = accs[rng.randrange(len(accs))]
    stage, probability = rng.choice(_STAGES)
    created, updated = _stamps(rng, i, 200)
    close = (BASE_TIME + timedelta(days=30 + i * 3)).date().isoformat()
    return {"id": f"OPP-{i:04d}", "account_id": acc["id"], "name": f"{acc['name'].split()[0]} line upgrade {i}",
            "stage": stage, "probability": probability, "amount": rng.randint(4, 120) * 1000.0,
            "currency": CURRENCY, "close_date": close, "owner": acc["owner"], "created_at": created,
            "updated_at": updated}


def erp_customers(seed: int, count: int) -> list[dict[str, Any]]:
    """The ERP's customer master: C100001… with a CRM link for most of them."""
    rng = random.Random(seed + 1)
    out = []
    for i in range(1, count + 1):
        country, city, postal = _PLACES[rng.randrange(len(_PLACES))]
        out.append({"CustomerNumber": f"C{100000 + i}",
                    "Name": f"{_PREFIXES[(i - 1) % len(_PREFIXES)]} {_SUFFIXES[rng.randrange(len(_SUFFIXES))]}",
                    "CrmId": f"ACC-{i:04d}" if i % 4 and i <= 40 else "", "VatId": f"{country}{rng.randint(100000000, 999999999)}",
                    "Country": country, "City": city, "PostalCode": postal,
                    "Email": f"ap{i}@customer{i}.example", "CreditLimit": f"{rng.randint(1, 50) * 5000}.00",
                    "PaymentTerms": rng.choice(["NET30", "NET45", "NET60"]), "Blocked": "false",
                    "ModifiedAt": ts(BASE_TIME + timedelta(hours=i * 3, minutes=rng.randint(0, 59)))})
    return out

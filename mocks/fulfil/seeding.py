"""``POST /_mock/seed`` and ``GET /_mock/state`` for the Fulfil mock.

Seed body (every key optional; validated whole before anything changes)::

    {"warehouses": [{"name": "Main", "code": "MAIN"}],        # or "locations": [{"id", "name"}]
     "channels": [{"name": "Shopify", "code": "shopify"}],
     "products": [{"code": "SKU1", "name": "Tee", "list_price": "19.99",
                   "stock": {"MAIN": 25}}],              # by warehouse code (or id as text)
     # "items": [{"sku", "on_hand": {"1": 5}}] (the ERP mock's spelling) is read the same
     "parties": [{"name": "Ada", "email": "ada@example.com", "phone": "+15550001"}]}

State (ground truth for checkers; money as plain decimal strings, times as ``*_ts`` floats)::

    {"products": [{"id", "code", "name", "list_price", "on_hand", "reserved", "available",
                   "locations": [{"location_id", "on_hand", "reserved", "assigned",
                                  "available"}]}],
     "sales": [{..., "state", "lines": [...], "untaxed_amount", "tax_amount", "total_amount",
                "payment_gateway", "payment_transaction_id", "payment_fees", "shipments"}],
     "shipments": [{"id", "number", "sale", "state", "carrier", "tracking_number", ...}],
     "parties": [...], "warehouses": [...], "channels": [...], "webhooks": [...],
     "stats": {...}}
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.admin import SeedError
from mocks.common.money import MoneyError, to_money
from mocks.fulfil.records import Channel, Location

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel


def _list(payload: dict[str, Any], key: str) -> list[dict[str, Any]]:
    raw = payload.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise SeedError(f"{key} must be a list of objects")
    return raw


def _text(item: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = item.get(key, default)
    if not isinstance(value, str) or not value:
        raise SeedError(f"{where}.{key} must be a non-empty string, got {value!r}")
    return value


def _money(item: dict[str, Any], key: str, where: str) -> Decimal:
    value = item.get(key, "0")
    try:
        return to_money(value, field=f"{where}.{key}")
    except MoneyError as exc:
        raise SeedError(str(exc)) from None


def _erp_item(item: dict[str, Any]) -> dict[str, Any]:
    """The ERP mock's seed spelling (``sku``, ``on_hand``) read as ours (``code``, ``stock``),
    so the same scenario seed serves either back office."""
    out = dict(item)
    if "code" not in out and "sku" in out:
        out["code"] = out.pop("sku")
    if "stock" not in out and "on_hand" in out:
        out["stock"] = out.pop("on_hand")
    return out


def seed_payload(m: FulfilModel, payload: dict[str, Any]) -> dict[str, Any]:
    """Validate, then add warehouses, channels, products (with stock) and parties."""
    keys = {"warehouses", "locations", "channels", "products", "items", "parties"}
    unknown = set(payload) - keys
    if unknown:
        raise SeedError(f"unknown seed key(s): {', '.join(sorted(unknown))}")
    warehouses = _list(payload, "warehouses") + _list(payload, "locations")
    products = [_erp_item(p) for p in _list(payload, "products") + _list(payload, "items")]
    channels, parties = (_list(payload, k) for k in ("channels", "parties"))
    by_code = {loc.code: loc.id for loc in m.locations.values()}
    new_codes = [
        _text(w, "code", f"warehouses[{i}]", str(w.get("id", w.get("name"))))
        for i, w in enumerate(warehouses)
    ]
    known = set(by_code) | set(new_codes) | {str(i) for i in m.locations}
    seen_skus: set[str] = set()
    for i, p in enumerate(products):
        code = _text(p, "code", f"products[{i}]")
        if code in m.products_by_code or code in seen_skus:
            raise SeedError(f"products[{i}].code {code!r} already exists")
        seen_skus.add(code)
        _money(p, "list_price", f"products[{i}]")
        stock = p.get("stock", {})
        if not isinstance(stock, dict):
            raise SeedError(f"products[{i}].stock must be an object of warehouse code -> units")
        for loc, units in stock.items():
            if loc not in known:
                raise SeedError(f"products[{i}].stock: unknown warehouse {loc!r}")
            if isinstance(units, bool) or not isinstance(units, int) or units < 0:
                raise SeedError(f"products[{i}].stock[{loc!r}] must be an integer >= 0")
    for i, party in enumerate(parties):
        _text(party, "name", f"parties[{i}]")
    for i, ch in enumerate(channels):
        _text(ch, "name", f"channels[{i}]")

    out: dict[str, Any] = {"warehouses": [], "channels": [], "products": [], "parties": []}
    for w, code in zip(warehouses, new_codes, strict=True):
        if code not in by_code:
            loc = Location(id=m.next_id("stock.location"), name=str(w.get("name", code)), code=code)
            m.locations[loc.id] = loc
            by_code[code] = loc.id
        out["warehouses"].append({"id": by_code[code], "code": code})
    for ch in channels:
        channel = Channel(
            id=m.next_id("sale.channel"), name=ch["name"], code=str(ch.get("code", ch["name"]))
        )
        m.channels[channel.id] = channel
        out["channels"].append({"id": channel.id, "code": channel.code})
    for p in products:
        values = {
            "code": p["code"],
            "name": p.get("name") or p["code"],
            "list_price": str(_money(p, "list_price", "product")),
            "cost_price": str(_money(p, "cost_price", "product")),
        }
        pid = m.orm_create("product.product", values)
        for loc, units in p.get("stock", {}).items():
            loc_id = by_code[loc] if loc in by_code else int(loc)
            m.stock.on_hand[(pid, loc_id)] = units
        out["products"].append({"id": pid, "code": values["code"]})
    for party in parties:
        mechanisms = [
            {"type": kind, "value": party[kind]} for kind in ("email", "phone") if party.get(kind)
        ]
        values = {"name": party["name"], "contact_mechanisms": [["create", mechanisms]]}
        if party.get("code"):
            values["code"] = party["code"]
        out["parties"].append({"id": m.orm_create("party.party", values), "name": party["name"]})
    return out


def _line(m: FulfilModel, line_id: int) -> dict[str, Any]:
    line = m.sale_lines[line_id]
    return {
        "id": line.id,
        "product": line.product,
        "sku": None if line.product is None else m.products[line.product].code,
        "quantity": line.quantity,
        "unit_price": str(line.unit_price),
        "amount": str(line.amount),
        "tax_amount": str(line.tax_amount),
        "description": line.description,
        "options": line.options,
    }


def snapshot(m: FulfilModel) -> dict[str, Any]:
    """Every product's stock, every sale, shipment, party; subscriptions and stats."""
    products = []
    for p in m.products.values():
        rows = []
        for loc in sorted(m.locations):
            key = (p.id, loc)
            rows.append(
                {
                    "location_id": loc,
                    "on_hand": m.stock.on_hand.get(key, 0),
                    "reserved": m.stock.reserved.get(key, 0),
                    "assigned": m.stock.assigned.get(key, 0),
                    "available": m.stock.available(key),
                }
            )
        products.append(
            {
                "id": p.id,
                "code": p.code,
                "name": p.name,
                "list_price": str(p.list_price),
                "on_hand": sum(r["on_hand"] for r in rows),
                "reserved": sum(r["reserved"] for r in rows),
                "available": sum(r["available"] for r in rows),
                "locations": rows,
            }
        )
    sales = []
    for s in m.sales.values():
        lines = [_line(m, i) for i in s.lines]
        untaxed = sum((Decimal(ln["amount"]) for ln in lines), Decimal(0))
        tax = sum((Decimal(ln["tax_amount"]) for ln in lines), Decimal(0))
        sales.append(
            {
                "id": s.id,
                "reference": s.reference,
                "number": s.number,
                "state": str(s.state),
                "channel": s.channel,
                "channel_identifier": s.channel_identifier,
                "party": s.party,
                "warehouse": s.warehouse,
                "currency": s.currency,
                "lines": lines,
                "untaxed_amount": str(untaxed),
                "tax_amount": str(tax),
                "total_amount": str(untaxed + tax),
                "payment_gateway": s.payment_gateway,
                "payment_transaction_id": s.payment_transaction_id,
                "payment_fees": str(s.payment_fees),
                "shipments": list(s.shipments),
                "create_ts": s.create_ts,
                "confirmed_ts": s.confirmed_ts,
            }
        )
    shipments = [
        {
            "id": sh.id,
            "number": sh.number,
            "sale": sh.sale,
            "state": str(sh.state),
            "warehouse": sh.warehouse,
            "carrier": sh.carrier,
            "tracking_number": sh.tracking_number,
            "moves": [
                {
                    "product": m.moves[i].product,
                    "sku": m.products[m.moves[i].product].code,
                    "quantity": m.moves[i].quantity,
                }
                for i in sh.moves
            ],
            "create_ts": sh.create_ts,
            "assigned_ts": sh.assigned_ts,
            "packed_ts": sh.packed_ts,
            "done_ts": sh.done_ts,
        }
        for sh in m.shipments.values()
    ]
    parties = []
    for party in m.parties.values():
        mechs = [m.contact_mechanisms[i] for i in party.contact_mechanisms]
        parties.append(
            {
                "id": party.id,
                "name": party.name,
                "code": party.code,
                "contact_mechanisms": [{"type": c.type, "value": c.value} for c in mechs],
            }
        )
    return {
        "products": products,
        "sales": sales,
        "shipments": shipments,
        "parties": parties,
        "warehouses": [{"id": w.id, "name": w.name, "code": w.code} for w in m.locations.values()],
        "channels": [{"id": c.id, "name": c.name, "code": c.code} for c in m.channels.values()],
        "webhooks": [s.as_dict() for s in m.subscriptions.values()],
        "stats": m.stats(),
    }

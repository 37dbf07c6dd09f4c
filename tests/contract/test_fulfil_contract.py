"""Fulfil v2 API contract: the same tests in-process and against a live server.

Each test names the Fulfil quirk it pins (PLATFORMS.md section 4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.contract.conftest import Target

M = "/api/v2/model"


def key(target: Target) -> dict[str, str]:
    return {"x-api-key": target.credentials["api_key"]}


def dec(value: str) -> dict[str, str]:
    return {"__class__": "Decimal", "decimal": value}


def call(target: Target, model: str, method: str, *args: Any) -> httpx.Response:
    return target.request("PUT", f"{M}/{model}/{method}", headers=key(target), json=list(args))


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def find(target: Target, model: str, **params: Any) -> list[dict[str, Any]]:
    query = {k: json.dumps(v) if k in ("filter", "order") else v for k, v in params.items()}
    result: list[dict[str, Any]] = ok(
        target.request("GET", f"{M}/{model}", headers=key(target), params=query)
    )
    return result


def seed(target: Target, stock: int = 10, **extra: Any) -> dict[str, Any]:
    body = {
        "warehouses": [{"name": "Main", "code": "MAIN"}, {"name": "East", "code": "EAST"}],
        "products": [
            {"code": "SKU1", "name": "Tee", "list_price": "19.99", "stock": {"MAIN": stock}},
            {"code": "SKU2", "name": "Mug", "list_price": "8.50", "stock": {"MAIN": 3, "EAST": 4}},
            {"code": "HAT-RED", "name": "Red hat", "list_price": "25.00", "stock": {}},
        ],
        "parties": [{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15550001"}],
        **extra,
    }
    response = target.request("POST", "/_mock/seed", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def new_sale(target: Target, *, sku: str = "SKU1", quantity: int = 2, **fields: Any) -> int:
    values = {
        "party": 1,
        "reference": "WEB-1001",
        "lines": [
            [
                "create",
                [
                    {
                        "product": sku,
                        "quantity": quantity,
                        "unit_price": dec("19.99"),
                        "tax_amount": dec("3.20"),
                    }
                ],
            ]
        ],
        **fields,
    }
    (sale_id,) = ok(call(target, "sale.sale", "create", [values]))
    return int(sale_id)


def product(target: Target, code: str, **params: Any) -> dict[str, Any]:
    (row,) = find(target, "product.product", filter=[["code", "=", code]], **params)
    return row


def sale_state(target: Target, sale_id: int) -> str:
    state: str = ok(target.request("GET", f"{M}/sale.sale/{sale_id}", headers=key(target)))["state"]
    return state


# --------------------------------------------------------------------------- auth, limits
def test_x_api_key_in_any_case_or_bearer_else_401(fulfil: Target) -> None:
    api_key = fulfil.credentials["api_key"]
    path = f"{M}/product.product"
    for headers in ({"x-api-key": api_key}, {"X-API-KEY": api_key}, {"X-Api-Key": api_key}):
        assert fulfil.request("GET", path, headers=headers).status_code == 200
    bearer = {"Authorization": f"Bearer {api_key}"}
    assert fulfil.request("GET", path, headers=bearer).status_code == 200
    for headers in ({}, {"x-api-key": "wrong"}, {"Authorization": f"Basic {api_key}"}):
        r = fulfil.request("GET", path, headers=headers)
        assert r.status_code == 401
        assert r.json()["type"] == "AuthenticationError" and r.json()["code"] == 401
    assert fulfil.request("GET", "/_mock/stats").json()["unauthorized"] == 3


def test_rate_limit_429_at_configured_rpm_recovers_after_window(fulfil: Target) -> None:
    rpm = fulfil.request("GET", "/_mock/stats").json()["requests_per_minute"]
    path = f"{M}/stock.location"
    for _ in range(rpm):
        assert fulfil.request("GET", path, headers=key(fulfil)).status_code == 200
    r = fulfil.request("GET", path, headers=key(fulfil))
    assert r.status_code == 429
    assert r.json()["type"] == "RateLimitError" and r.json()["code"] == 429
    retry_after = int(r.headers["Retry-After"])
    assert 0 < retry_after <= 60
    fulfil.advance(retry_after - 1)
    assert fulfil.request("GET", path, headers=key(fulfil)).status_code == 429
    fulfil.advance(1)
    assert fulfil.request("GET", path, headers=key(fulfil)).status_code == 200
    assert fulfil.request("GET", "/_mock/stats").json()["throttled"] == 2


# --------------------------------------------------------------------------- errors
def test_user_error_shape_for_bad_types_never_500(fulfil: Target) -> None:
    seed(fulfil)
    bad_calls = [
        ("sale.sale", "create", [[{"party": "one"}]]),
        ("sale.sale", "create", [[{"party": 1, "lines": [{"product": "SKU1", "quantity": "2"}]}]]),
        ("sale.sale", "create", [[{"party": 1, "payment_fees": 0.1}]]),
        ("sale.sale", "create", [[{"party": 1, "no_such_field": 1}]]),
        ("sale.sale", "search", [[["state", "~", "draft"]]]),
        ("sale.sale", "search", [[["nope", "=", 1]]]),
        ("sale.sale", "read", ["1"]),
    ]
    for model, method, args in bad_calls:
        r = fulfil.request("PUT", f"{M}/{model}/{method}", headers=key(fulfil), json=args)
        assert r.status_code == 400, (args, r.text)
        body = r.json()
        assert body["type"] == "UserError" and body["code"] == 400, body
        assert isinstance(body["message"], str) and body["message"]
        assert "description" in body
    r = fulfil.request("PUT", f"{M}/sale.sale/create", headers=key(fulfil), content=b"[{not json")
    assert r.status_code == 400 and r.json()["type"] == "UserError"
    stats = fulfil.request("GET", "/_mock/stats").json()
    assert stats["user_errors"] == len(bad_calls) + 1


def test_unknown_sku_is_user_error_naming_the_code_and_leaves_no_sale(fulfil: Target) -> None:
    seed(fulfil)
    r = call(
        fulfil,
        "sale.sale",
        "create",
        [{"party": 1, "lines": [["create", [{"product": "GHOST-9", "quantity": 1}]]]}],
    )
    assert r.status_code == 400
    assert r.json()["type"] == "UserError" and "GHOST-9" in r.json()["message"]
    assert ok(call(fulfil, "sale.sale", "search_count", [])) == 0


def test_unknown_model_and_method_are_404(fulfil: Target) -> None:
    r = fulfil.request("GET", f"{M}/no.such.model", headers=key(fulfil))
    assert r.status_code == 404 and r.json()["type"] == "NotFound"
    assert call(fulfil, "sale.sale", "explode", [1]).status_code == 404


# --------------------------------------------------------------------------- search
def test_domain_filters_nested_and_or_in_ilike(fulfil: Target) -> None:
    seed(fulfil)

    def codes(rows: list[dict[str, Any]]) -> list[str]:
        return sorted(r["code"] for r in rows)

    assert codes(find(fulfil, "product.product", filter=[["code", "in", ["SKU2", "X"]]])) == [
        "SKU2"
    ]
    assert codes(find(fulfil, "product.product", filter=[["name", "ilike", "%HAT%"]])) == [
        "HAT-RED"
    ]
    assert codes(find(fulfil, "product.product", filter=[["code", "not like", "SKU%"]])) == [
        "HAT-RED"
    ]
    nested = [
        "OR",
        ["AND", ["code", "like", "SKU%"], ["list_price", "<", dec("10")]],
        ["code", "=", "HAT-RED"],
    ]
    assert codes(find(fulfil, "product.product", filter=nested)) == ["HAT-RED", "SKU2"]
    assert codes(find(fulfil, "product.product", filter=[["list_price", ">=", "19.99"]])) == [
        "HAT-RED",
        "SKU1",
    ]
    bad = fulfil.request(
        "GET", f"{M}/product.product", headers=key(fulfil), params={"filter": '["AND", 3]'}
    )
    assert bad.status_code == 400 and bad.json()["type"] == "UserError"


def test_party_found_by_contact_mechanism(fulfil: Target) -> None:
    seed(fulfil)
    rows = find(
        fulfil,
        "party.party",
        filter=[["contact_mechanisms.value", "ilike", "ADA@EXAMPLE.COM"]],
        fields="name,email,phone",
    )
    assert rows == [
        {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15550001"}
    ]
    (new_id,) = ok(
        call(
            fulfil,
            "party.party",
            "create",
            [
                {
                    "name": "Bo",
                    "contact_mechanisms": [["create", [{"type": "email", "value": "bo@x.io"}]]],
                }
            ],
        )
    )
    assert ok(call(fulfil, "party.party", "search", [["email", "=", "bo@x.io"]])) == [new_id]


def test_find_pages_with_per_page_fields_and_order(fulfil: Target) -> None:
    seed(fulfil)
    for i in range(12):
        new_sale(fulfil, quantity=1, reference=f"R{i:02d}", channel_identifier=str(i))
    first = find(fulfil, "sale.sale")
    assert len(first) == 10  # per_page defaults to 10
    pages = [
        find(
            fulfil,
            "sale.sale",
            page=p,
            per_page=5,
            fields="reference",
            order=[["reference", "DESC"]],
        )
        for p in (1, 2, 3)
    ]
    assert [len(p) for p in pages] == [5, 5, 2]
    refs = [row["reference"] for page in pages for row in page]
    assert refs == [f"R{i:02d}" for i in range(11, -1, -1)]
    assert set(pages[0][0]) == {"id", "reference"}
    too_big = fulfil.request(
        "GET", f"{M}/sale.sale", headers=key(fulfil), params={"per_page": "501"}
    )
    assert too_big.status_code == 400 and "500" in too_big.json()["message"]


def test_search_read_search_count_and_read(fulfil: Target) -> None:
    seed(fulfil)
    a = new_sale(fulfil, reference="A", channel_identifier="a")
    b = new_sale(fulfil, reference="B", channel_identifier="b")
    ok(call(fulfil, "sale.sale", "quote", [b]))
    domain = [["state", "in", ["draft", "quotation"]]]
    assert ok(call(fulfil, "sale.sale", "search_count", domain)) == 2
    assert ok(call(fulfil, "sale.sale", "search", domain, 0, 1, [["id", "DESC"]])) == [b]
    rows = ok(
        call(fulfil, "sale.sale", "search_read", domain, 0, None, None, ["state", "party.name"])
    )
    assert rows == [
        {"id": a, "state": "draft", "party.name": "Ada Lovelace"},
        {"id": b, "state": "quotation", "party.name": "Ada Lovelace"},
    ]
    (line,) = ok(call(fulfil, "sale.sale", "read", [a], ["lines.product.code", "total_amount"]))
    assert line["lines.product.code"] == ["SKU1"]
    assert line["total_amount"] == dec("43.18")  # 2 x 19.99 + 3.20 tax


# --------------------------------------------------------------------------- workflow
def test_full_sale_workflow_and_shipment_states_on_the_clock(fulfil: Target) -> None:
    seed(fulfil, stock=10)
    sale = new_sale(fulfil, quantity=2)
    assert sale_state(fulfil, sale) == "draft"
    ok(call(fulfil, "sale.sale", "quote", [sale]))
    assert sale_state(fulfil, sale) == "quotation"
    ok(fulfil.request("PUT", f"{M}/sale.sale/{sale}/confirm", headers=key(fulfil)))
    assert sale_state(fulfil, sale) == "confirmed"
    # Many clients POST the RPC routes; the mock is lenient like the gateway.
    ok(fulfil.request("POST", f"{M}/sale.sale/process", headers=key(fulfil), json=[[sale]]))
    assert sale_state(fulfil, sale) == "processing"
    (shipment_id,) = ok(fulfil.request("GET", f"{M}/sale.sale/{sale}", headers=key(fulfil)))[
        "shipments"
    ]

    def shipment() -> dict[str, Any]:
        row: dict[str, Any] = ok(
            fulfil.request("GET", f"{M}/stock.shipment.out/{shipment_id}", headers=key(fulfil))
        )
        return row

    assert shipment()["state"] == "waiting" and shipment()["tracking_number"] is None
    fulfil.advance(60)  # assign_after_seconds
    assert shipment()["state"] == "assigned"
    fulfil.advance(300)  # pack_after_seconds
    assert shipment()["state"] == "packed"
    assert sale_state(fulfil, sale) == "processing"
    fulfil.advance(600)  # ship_after_seconds
    done = shipment()
    assert done["state"] == "done"
    assert done["carrier"] in ("UPS", "FedEx", "USPS") and done["tracking_number"]
    assert sale_state(fulfil, sale) == "done"
    row = product(fulfil, "SKU1")
    assert (row["quantity_on_hand"], row["quantity_available"]) == (8, 8)
    state = fulfil.request("GET", "/_mock/state").json()
    (truth,) = state["shipments"]
    assert truth["tracking_number"] == done["tracking_number"] and truth["state"] == "done"
    assert truth["done_ts"] - truth["create_ts"] == 960


def test_shipment_waits_without_stock_and_assigns_when_stock_arrives(fulfil: Target) -> None:
    seed(fulfil, stock=1)
    sale = new_sale(fulfil, quantity=3)
    for button in ("quote", "confirm", "process"):
        ok(call(fulfil, "sale.sale", button, [sale]))
    fulfil.advance(3600)
    (ship,) = fulfil.request("GET", "/_mock/state").json()["shipments"]
    assert ship["state"] == "waiting"  # not an error: it waits for stock
    assert product(fulfil, "SKU1")["quantity_available"] == -2  # oversold, visible
    r = fulfil.request(
        "POST",
        "/_sim/stock-movement",
        json={"sku": "SKU1", "location_id": 1, "delta": 5, "reason": "receipt"},
    )
    assert r.status_code == 200 and r.json()["available"] == 3
    (ship,) = fulfil.request("GET", "/_mock/state").json()["shipments"]
    assert ship["state"] == "assigned"
    fulfil.advance(900)
    assert sale_state(fulfil, sale) == "done"
    assert product(fulfil, "SKU1")["quantity_on_hand"] == 3


def test_available_is_on_hand_minus_reserved_and_cancel_releases(fulfil: Target) -> None:
    seed(fulfil, stock=10)
    sale = new_sale(fulfil, quantity=4)
    ok(call(fulfil, "sale.sale", "quote", [sale]))
    assert product(fulfil, "SKU1")["quantity_available"] == 10  # quotations reserve nothing
    ok(call(fulfil, "sale.sale", "confirm", [sale]))
    row = product(fulfil, "SKU1")
    assert (row["quantity_on_hand"], row["quantity_available"]) == (10, 6)
    main_only = product(fulfil, "SKU2", context=json.dumps({"locations": [2]}))
    assert (main_only["quantity_on_hand"], main_only["quantity_available"]) == (4, 4)
    other = fulfil.request(
        "POST",
        "/_sim/stock-movement",
        json={"sku": "SKU1", "location_id": 1, "delta": -7, "reason": "other_channel"},
    )
    assert other.status_code == 409 and other.json()["available"] == 6
    ok(call(fulfil, "sale.sale", "cancel", [sale]))
    assert sale_state(fulfil, sale) == "cancelled"
    row = product(fulfil, "SKU1")
    assert (row["quantity_on_hand"], row["quantity_available"]) == (10, 10)
    truth = fulfil.request("GET", "/_mock/state").json()["products"][0]
    assert (truth["on_hand"], truth["reserved"], truth["available"]) == (10, 0, 10)


def test_wrong_state_transition_is_user_error_and_changes_nothing(fulfil: Target) -> None:
    seed(fulfil)
    draft = new_sale(fulfil, reference="D", channel_identifier="d")
    quoted = new_sale(fulfil, reference="Q", channel_identifier="q")
    ok(call(fulfil, "sale.sale", "quote", [quoted]))
    r = call(fulfil, "sale.sale", "confirm", [quoted, draft])
    assert r.status_code == 400
    body = r.json()
    assert body["type"] == "UserError" and "draft" in body["message"]
    assert sale_state(fulfil, quoted) == "quotation"  # checked all before changing any
    assert call(fulfil, "sale.sale", "process", [quoted]).status_code == 400
    r = call(fulfil, "sale.sale", "write", [quoted], {"lines": [["delete", [1]]]})
    assert r.status_code == 400 and r.json()["type"] == "UserError"


def test_payment_fields_and_money_round_trip_exactly(fulfil: Target) -> None:
    seed(fulfil)
    sale = new_sale(
        fulfil,
        currency="EUR",
        payment_gateway="stripe",
        payment_transaction_id="pi_3NzABC",
        payment_fees=dec("1.2345"),
        channel_identifier="SHOP-77",
    )
    row = ok(fulfil.request("GET", f"{M}/sale.sale/{sale}", headers=key(fulfil)))
    assert row["payment_gateway"] == "stripe"
    assert row["payment_transaction_id"] == "pi_3NzABC"
    assert row["payment_fees"] == dec("1.2345")
    assert row["currency"] == "EUR"
    assert Decimal(row["untaxed_amount"]["decimal"]) == Decimal("39.98")
    assert row["tax_amount"] == dec("3.20") and row["total_amount"] == dec("43.18")
    ok(call(fulfil, "sale.sale", "write", [sale], {"payment_fees": "0.30"}))
    (truth,) = fulfil.request("GET", "/_mock/state").json()["sales"]
    assert truth["payment_fees"] == "0.30" and truth["total_amount"] == "43.18"


def test_channel_identifier_is_unique_so_retried_creates_are_found(fulfil: Target) -> None:
    seed(fulfil)
    first = new_sale(fulfil, channel_identifier="ORDER-5")
    r = call(fulfil, "sale.sale", "create", [{"party": 1, "channel_identifier": "ORDER-5"}])
    assert r.status_code == 400 and f"sale.sale,{first}" in r.json()["message"]
    found = ok(call(fulfil, "sale.sale", "search", [["channel_identifier", "=", "ORDER-5"]]))
    assert found == [first]


# --------------------------------------------------------------------------- webhooks
class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def verify_webhook(secret: str, body: bytes, header: str) -> bool:
    """fulfil_client's verification: HMAC keyed by the base64-*decoded* secret."""
    digest = hmac.new(base64.b64decode(secret), body, hashlib.sha256).digest()
    return hmac.compare_digest(base64.b64encode(digest).decode(), header)


def wait_for(target: Target, events: int) -> list[tuple[dict[str, str], bytes]]:
    for _ in range(200):  # bounded: the live worker delivers on its own
        target.request("POST", "/_mock/webhooks/deliver").raise_for_status()
        if len(_Receiver.received) >= events:
            break
        threading.Event().wait(0.02)
    return list(_Receiver.received)


def test_webhooks_signed_with_base64_decoded_secret(fulfil: Target, receiver: str) -> None:
    seed(fulfil)
    for event in ("sale.sale.confirmed", "stock.shipment.out.done"):
        r = fulfil.request("POST", "/_mock/webhooks", json={"event": event, "url": receiver})
        assert r.status_code == 201
    sale = new_sale(fulfil)
    for button in ("quote", "confirm", "process"):
        ok(call(fulfil, "sale.sale", button, [sale]))
    fulfil.advance(960)
    got = wait_for(fulfil, 2)
    by_event = {h["x-fulfil-event"]: json.loads(body) for h, body in got}
    # Delivery order is not promised (PLATFORMS 4.4), so compare as a set.
    assert sorted(by_event) == ["sale.sale.confirmed", "stock.shipment.out.done"]
    secret = fulfil.credentials["webhook_secret"]
    for headers, body in got:
        assert verify_webhook(secret, body, headers["x-fulfil-hmac-sha256"])
        assert not verify_webhook(secret, body + b" ", headers["x-fulfil-hmac-sha256"])
        naive = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest())
        assert naive.decode() != headers["x-fulfil-hmac-sha256"]  # key is decoded first
    confirmed, shipped = by_event["sale.sale.confirmed"], by_event["stock.shipment.out.done"]
    assert confirmed["id"] == sale and confirmed["data"]["state"] == "confirmed"
    assert shipped["data"]["carrier"] and shipped["data"]["tracking_number"]

"""Shopify's official Python library (ShopifyAPI) against the live mock, unmodified.

The library builds its own URLs, follows ``Link`` pagination, reads the call-limit header and
raises on 429s; if the mock's wire shape were off, this is where it would show.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import shopify
from pyactiveresource.connection import ClientError

from tests.contract.conftest import Target, _live

VERSION = "2026-01"


@pytest.fixture(scope="module")
def live_shopify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    yield from _live("shopify", tmp_path_factory.mktemp("official"))


@pytest.fixture
def session(live_shopify: Target) -> Iterator[Target]:
    live_shopify.reset()
    live_shopify.advance(3600)
    live_shopify.request(
        "POST",
        "/_mock/seed",
        json={
            "locations": [{"name": "WH"}],
            "products": [
                {"sku": f"SKU-{i}", "title": f"P{i}", "price": "9.99", "inventory": {"WH": 100}}
                for i in range(3)
            ],
        },
    ).raise_for_status()
    port = int(live_shopify.base_url.rsplit(":", 1)[1])
    # The library builds "<shop>.<myshopify_domain>:<port>" over <protocol>; these class
    # settings exist for non-production hosts. Shop "127" + domain "0.0.1" = 127.0.0.1.
    saved = (shopify.Session.protocol, shopify.Session.myshopify_domain, shopify.Session.port)
    shopify.Session.protocol, shopify.Session.myshopify_domain = "http", "0.0.1"
    shopify.Session.port = port
    sess = shopify.Session("127", VERSION, live_shopify.credentials["access_token"])
    assert sess.site == f"http://127.0.0.1:{port}/admin/api/{VERSION}"
    shopify.ShopifyResource.activate_session(sess)
    yield live_shopify
    shopify.ShopifyResource.clear_session()
    shopify.Session.protocol, shopify.Session.myshopify_domain, shopify.Session.port = saved


def checkout(target: Target, n: int) -> None:
    for i in range(n):
        r = target.request(
            "POST",
            "/_sim/checkout",
            json={
                "lines": [{"sku": f"SKU-{i % 3}", "quantity": 1}],
                "email": f"buyer{i}@example.com",
            },
        )
        assert r.status_code == 201


def test_library_reads_locations_products_and_call_limits(session: Target) -> None:
    (location,) = shopify.Location.find()
    assert location.name == "WH"
    products = shopify.Product.find()
    assert sorted(v.sku for p in products for v in p.variants) == ["SKU-0", "SKU-1", "SKU-2"]
    assert shopify.Limits.credit_limit() == 40
    assert shopify.Limits.credit_used() >= 2


def test_library_pagination_visits_every_order_once(session: Target) -> None:
    checkout(session, 7)
    page = shopify.Order.find(limit=3, status="any")
    seen = [o.id for o in page]
    while page.has_next_page():
        page = page.next_page()
        seen.extend(o.id for o in page)
    assert len(seen) == 7 and len(set(seen)) == 7
    assert shopify.Order.count(status="any") == 7
    first = shopify.Order.find(seen[0])
    assert first.line_items[0].sku.startswith("SKU-")


def test_library_inventory_adjust_and_set(session: Target) -> None:
    (location,) = shopify.Location.find()
    item_id = shopify.Product.find()[0].variants[0].inventory_item_id
    level = shopify.InventoryLevel.adjust(location.id, item_id, -5)
    assert level.available == 95
    level = shopify.InventoryLevel.set(location.id, item_id, 7)
    assert level.available == 7


def test_library_sees_429_when_the_bucket_is_full(session: Target) -> None:
    with pytest.raises(ClientError) as info:
        for _ in range(60):
            shopify.Order.count(status="any")
    assert info.value.response.code == 429


class _Receiver(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def verify_webhook(data: bytes, hmac_header: str, secret: str) -> bool:
    """Shopify's documented verification (shopify.dev, 'Verify a webhook')."""
    digest = hmac.new(secret.encode("utf-8"), data, hashlib.sha256).digest()
    computed_hmac = base64.b64encode(digest)
    return hmac.compare_digest(computed_hmac, hmac_header.encode("utf-8"))


def test_webhook_subscribed_through_the_library_arrives_signed(session: Target) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Receiver.received = []
    try:
        address = f"http://127.0.0.1:{server.server_address[1]}/hooks"
        hook = shopify.Webhook.create(
            {"topic": "orders/create", "address": address, "format": "json"}
        )
        assert hook.id
        checkout(session, 1)
        for _ in range(100):  # the mock's worker delivers on its own; bounded wait
            if _Receiver.received:
                break
            threading.Event().wait(0.05)
        (headers, body), *_ = _Receiver.received
        headers = {k.lower(): v for k, v in headers.items()}
        assert headers["x-shopify-topic"] == "orders/create"
        assert verify_webhook(
            body, headers["x-shopify-hmac-sha256"], session.credentials["webhook_secret"]
        )
        assert not verify_webhook(
            body + b" ", headers["x-shopify-hmac-sha256"], session.credentials["webhook_secret"]
        )
    finally:
        server.shutdown()
        server.server_close()


def test_library_graphql_client_gets_cost_extensions(session: Target) -> None:
    checkout(session, 2)
    raw = shopify.GraphQL().execute(
        "{ orders(first: 5) { nodes { id name totalPriceSet { shopMoney { amount } } } } }"
    )
    body = json.loads(raw)
    assert len(body["data"]["orders"]["nodes"]) == 2
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] > cost["actualQueryCost"]  # fewer nodes than asked
    assert cost["throttleStatus"]["maximumAvailable"] == 2000.0

"""SHOPLINE Open API (pinned version) as a :class:`ChannelConnector`: ``shopline-rest-<version>``.

Two pinned versions make a connector pair: before v20240901 SHOPLINE spells every
``updated_at`` key ``update_at`` (PLATFORMS.md 2.5), which this connector reads either way.
Lists come oldest first (``since_id`` mode), so the newest order is found by reading on from
the last one seen rather than by asking for page one.

Post-purchase: SHOPLINE's order topics are ``orders/create``, ``orders/update`` (not
``updated``) and ``orders/cancelled``; each body is the order. The refund and payout reads find
nothing (the Open API as mocked here has neither).

**Fulfilment** (:meth:`ShoplineChannel.push_fulfilment`): one read of the order (line items,
status), one of its fulfilments, then one ``POST orders/{id}/fulfillments.json`` with
``{"fulfillment": {"line_items": [{"id", "quantity"}], "tracking_number", "tracking_company",
"tracking_info_list", "notify_customer": false}}`` (SHOPLINE's order-level fulfilment, shaped
like Shopify's legacy REST one; the tracking goes both as the single fields and as a
one-entry ``tracking_info_list``, which replaces them from v20250601). The tracking number is
the idempotency key: when a fulfilment already carries it, a push of every remaining unit
(``lines=None``) sends nothing, and a push of given lines sends only units the fulfilments
under that number do not already cover, so a retry after a lost answer never ships twice.
(sku, quantity) lines map onto the order's line items with that SKU (SHOPLINE allows the same
SKU on two lines), up to what each has left. What cannot ship (cancelled order, unknown SKU,
more units than are left, nothing left at all) is refused before any write as a
:class:`~sync_engine.errors.RecordRejected`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Collection, Mapping
from decimal import Decimal
from typing import Any

from sync_engine.connectors.channel import WebhookEvent
from sync_engine.connectors.http import json_exact
from sync_engine.connectors.shopify_channel import rename
from sync_engine.connectors.shopline_rest import ShoplineRest, order_from_wire
from sync_engine.connectors.webhook_sig import b64_hmac_sha256, verify
from sync_engine.errors import RecordRejected
from sync_engine.model import Order, Payout, Refund

ORDER_TOPICS = ("orders/create", "orders/update", "orders/cancelled")
SHOPLINE_CARRIERS = ("DHL", "FedEx", "UPS", "USPS", "SF Express", "YunExpress", "Other")
VOID_FULFILMENT = frozenset({"cancelled", "error", "failure"})
"""Fulfilment statuses whose units did not ship."""


class ShoplineChannel:
    """One SHOPLINE store."""

    accepted_carriers: Collection[str] = SHOPLINE_CARRIERS

    def __init__(self, name: str, rest: ShoplineRest, *, webhook_secret: str) -> None:
        self.name = name
        self.rest = rest
        self.connector_id = f"shopline-rest-{rest.dest.api_version}"
        self._secret = webhook_secret.encode()
        self._newest = 0

    async def aclose(self) -> None:
        await self.rest.aclose()

    def status(self) -> dict[str, Any]:
        return {"connector": self.connector_id, "budget": self.rest.budget.stats()}

    async def ensure_webhooks(self, address: str) -> None:
        existing = json_exact(await self.rest.request("GET", "webhooks.json"))
        have = {(h.get("topic"), h.get("address")) for h in existing.get("webhooks", [])}
        for topic in ORDER_TOPICS:
            if (topic, address) not in have:
                await self.rest.request(
                    "POST", "webhooks.json", body={"webhook": {"topic": topic, "address": address}}
                )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(b64_hmac_sha256(self._secret, body), headers.get("X-Shopline-Hmac-Sha256"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        event_id = headers.get("X-Shopline-Webhook-Id")
        if not event_id:
            raise ValueError("X-Shopline-Webhook-Id header is missing")
        topic = headers.get("X-Shopline-Topic", "")
        order = None
        if topic.startswith("orders/"):
            order = rename(parse_order_body(body), self.name)
        return WebhookEvent(event_id=event_id, topic=topic, order=order)

    async def fetch_order(self, order_id: str) -> Order:
        response = await self.rest.request("GET", f"orders/{order_id}.json")
        return rename(order_from_wire(json_exact(response)["order"]), self.name)

    async def orders_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Order], str]]:
        since = int(cursor or 0)
        async for page in self.rest.orders_since(str(since) if since else ""):
            if not page:
                return
            since = max(since, *(int(o.order_id) for o in page))
            self._newest = max(self._newest, since)
            yield [rename(o, self.name) for o in page], str(since)

    async def newest_order_seq(self) -> int:
        async for _page, _cursor in self.orders_since(str(self._newest) if self._newest else None):
            pass
        return self._newest

    async def items_by_sku(self) -> dict[str, str]:
        return await self.rest.variants_by_sku()

    async def levels(
        self, item_ids: list[str], location_ids: list[str]
    ) -> dict[tuple[str, str], int]:
        result: dict[tuple[str, str], int] = {}
        for start in range(0, len(item_ids), 50):
            params = {
                "inventory_item_ids": ",".join(item_ids[start : start + 50]),
                "location_ids": ",".join(location_ids),
                "limit": self.rest.dest.page_limit,
            }
            async for page in self.rest.pages("inventory_levels.json", "inventory_levels", params):
                for lv in page:
                    key = (str(lv["inventory_item_id"]), str(lv["location_id"]))
                    result[key] = int(lv["available"])
        return result

    async def adjust(self, item_id: str, location_id: str, delta: int) -> None:
        await self.rest.adjust(item_id, location_id, delta)

    # -- post-purchase -----------------------------------------------------------------------

    async def push_fulfilment(
        self,
        order_id: str,
        *,
        tracking_number: str,
        carrier: str,
        lines: list[tuple[str, int]] | None = None,
    ) -> None:
        """Ship ``lines`` ((sku, quantity); every unit left when None) under ``carrier`` and
        the tracking number, idempotent by that number (see the module docstring)."""
        order = await self.rest.order_resource(order_id)
        fulfillments = await self.rest.fulfillments(order_id)
        items = plan_fulfilment(order, fulfillments, tracking_number=tracking_number, lines=lines)
        if not items:
            return  # already out under this tracking number (or no units asked for)
        tracking = {"tracking_number": tracking_number, "tracking_company": carrier}
        await self.rest.create_fulfillment(
            order_id,
            {
                "line_items": items,
                **tracking,
                "tracking_info_list": [tracking],
                "notify_customer": False,
            },
        )

    async def refunds_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Refund], str]]:
        """Nothing: the SHOPLINE Open API mock has no refunds to read."""
        return
        yield  # an async generator that ends at once

    async def payouts_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Payout], str]]:
        """Nothing: SHOPLINE has no Shopify-Payments-style payouts API."""
        return
        yield  # an async generator that ends at once


def parse_order_body(body: bytes) -> Order:
    """A SHOPLINE ``orders/*`` webhook body; ``ValueError`` naming the problem if not one."""
    try:
        return order_from_wire(json.loads(body, parse_float=Decimal))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise ValueError(f"not a SHOPLINE order: {type(exc).__name__}: {exc}") from exc


# -- fulfilment planning (pure) -----------------------------------------------------------------


def tracking_numbers(fulfillment: Mapping[str, Any]) -> set[str]:
    """Every tracking number a fulfilment carries, in either of SHOPLINE's forms."""
    numbers = {str(n) for n in fulfillment.get("tracking_numbers") or [] if n}
    if fulfillment.get("tracking_number"):
        numbers.add(str(fulfillment["tracking_number"]))
    for info in fulfillment.get("tracking_info_list") or []:
        if info.get("tracking_number"):
            numbers.add(str(info["tracking_number"]))
    return numbers


def shipped_units(
    fulfillments: list[dict[str, Any]], *, tracking_number: str | None = None
) -> Counter[str]:
    """Units per line item id in live fulfilments (only those carrying ``tracking_number``
    when given)."""
    shipped: Counter[str] = Counter()
    for f in fulfillments:
        if f.get("status") in VOID_FULFILMENT:
            continue
        if tracking_number is not None and tracking_number not in tracking_numbers(f):
            continue
        for item in f.get("line_items") or []:
            shipped[str(item["id"])] += int(item["quantity"])
    return shipped


def plan_fulfilment(
    order: Mapping[str, Any],
    fulfillments: list[dict[str, Any]],
    *,
    tracking_number: str,
    lines: list[tuple[str, int]] | None,
) -> list[dict[str, Any]]:
    """The ``line_items`` to send now (empty: nothing to do, the push already went through).

    Refuses (``RecordRejected``, nothing sent) a cancelled order, an unknown SKU, more units
    than the order has left, or ``lines=None`` with nothing left to ship."""
    oid = order.get("id")
    done = shipped_units(fulfillments, tracking_number=tracking_number)
    sku_of = {str(li["id"]): str(li.get("sku") or "") for li in order.get("line_items") or []}
    wanted: Counter[str] = Counter()
    for sku, quantity in lines or []:
        if quantity > 0:
            wanted[sku] += quantity
    already: Counter[str] = Counter()
    for line_id, units in done.items():
        already[sku_of.get(line_id, "")] += units
    if done and (lines is None or all(already[s] >= n for s, n in wanted.items())):
        return []
    if order.get("status") == "cancelled" or order.get("cancelled_at"):
        raise RecordRejected(
            f"shopline order {oid} is cancelled; tracking {tracking_number} not recorded",
            code="SHOPLINE_ORDER_CANCELLED",
        )
    shipped = shipped_units(fulfillments)
    left = {
        str(li["id"]): int(li["quantity"]) - shipped[str(li["id"])]
        for li in order.get("line_items") or []
    }
    if lines is None:
        items = [{"id": i, "quantity": n} for i, n in left.items() if n > 0]
        if not items:
            raise RecordRejected(
                f"shopline order {oid}: nothing left to fulfil (shipped under other tracking "
                f"numbers); tracking {tracking_number} not recorded",
                code="SHOPLINE_NOTHING_TO_FULFIL",
            )
        return items
    items, missing = [], []
    for sku, quantity in wanted.items():
        need = quantity - already[sku]
        for line_id, n in left.items():
            take = min(need, n) if sku_of[line_id] == sku else 0
            if take > 0:
                items.append({"id": line_id, "quantity": take})
                need -= take
        if need > 0:
            missing.append(f"{need} x {sku or '(no sku)'}")
    if missing:
        raise RecordRejected(
            f"shopline order {oid}: {', '.join(missing)} not fulfillable (not on the order, "
            "or more than is left to ship)",
            code="SHOPLINE_UNITS_NOT_FULFILLABLE",
        )
    return items

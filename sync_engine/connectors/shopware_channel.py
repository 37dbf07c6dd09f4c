"""Shopware 6 Admin API as a :class:`ChannelConnector`: ``shopware-admin-<version>``.

A thin adapter over :class:`~sync_engine.connectors.shopware_admin.ShopwareAdmin`: webhooks to
events, Shopware orders to canonical ones, products to the stock protocol.

**Orders** (:func:`order_from_wire`). Shopware order ids are UUIDs, so ``Order.sequence`` is
the ``orderNumber`` (an integer, monotonic per shop: the stock ledger's marker). Amounts are
carried exactly as Shopware gives them. B2C orders are ``taxStatus: gross`` (the mock knows no
other): every line amount, the shipping and the total **include** tax, and ``tax_total`` says
how much of them is tax. Net orders (``net``/``tax-free``) carry net amounts and add tax.
Promotions are lines of their own (kind ``promotion``, no SKU, negative price), so line
``discount`` is always 0 and ``discount_total`` is the (positive) sum taken off by promotion
lines - a figure already *inside* the lines, never to be taken off again. For every
recalculated order::

    gross: sum(line.amount) + shipping == total
           sum(line.amount for non-promotion lines) - discount_total + shipping == total
    net:   sum(line.amount) + shipping + tax_total == total

Containers (bundles) are replaced by their product children, whose amounts sum to the
container's. An order edited without ``recalculate`` keeps stale amounts on Shopware itself;
it is carried as Shopware holds it.

**Stock**: Shopware has one stock per product and no locations; the connector answers for one
pseudo location, :data:`LOCATION_ID` (``"default"``), and every back-office location of a
Shopware channel must map to it. See ``shopware_admin`` for the read-modify-write race.

**Webhooks** are app-system webhooks declared by the app manifest (the mock: its settings,
seed or ``/_mock/webhooks``), not by an Admin API call, so :meth:`ensure_webhooks` only
records the address. ``order.written`` carries ids only: the event names the order and the
ingress fetches it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock, parse_iso_utc
from sync_engine.config import ChannelSettings
from sync_engine.connectors.channel import WebhookEvent
from sync_engine.connectors.shopware_admin import (
    DEFAULT_API_VERSION,
    ShopwareAdmin,
    ShopwareDestination,
)
from sync_engine.connectors.webhook_sig import hex_hmac_sha256, verify
from sync_engine.errors import RecordRejected
from sync_engine.metrics import Metrics
from sync_engine.model import Customer, Order, OrderLine

LOCATION_ID = "default"
"""The one pseudo location of a Shopware shop."""
LIVE_VERSION_ID = "0fa91ce3e96a4bc2be4bd9ce752c3425"
"""Shopware's ``Defaults::LIVE_VERSION``: drafts (order edits in progress) have other ids."""
ORDER_EVENT = "order.written"
ZERO = Decimal("0")
SHOPWARE_CARRIERS = ("DHL", "DPD", "GLS", "Hermes", "UPS", "FedEx", "Deutsche Post", "Other")
"""Free text on Shopware (tracking URLs belong to the shop's shipping methods)."""
LINE_KIND = {
    "product": "product",
    "promotion": "promotion",
    "discount": "promotion",
    "custom": "custom",
    "credit": "credit",
}
"""Shopware line type → canonical kind; unknown (plugin) types become ``custom`` lines, which
the mapping holds unless a custom item is configured."""
ORDER_ASSOCIATIONS: dict[str, Any] = {
    "lineItems": {},
    "deliveries": {},
    "transactions": {},
    "currency": {},
    "stateMachineState": {},
    "orderCustomer": {"associations": {"customer": {}}},
}
"""To-many associations are lazy in Shopware's DAL: a read without them gets ``null``."""


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _taxes(price: Mapping[str, Any] | None) -> Decimal:
    items = (price or {}).get("calculatedTaxes") or []
    return sum((_money(t["tax"]) for t in items), ZERO)


def _line(item: Mapping[str, Any], kind: str) -> OrderLine:
    payload = item.get("payload") or {}
    options = tuple(
        (str(o["group"]), str(o["option"]))
        for o in payload.get("options") or []
        if isinstance(o, Mapping) and "group" in o and "option" in o
    )
    return OrderLine(
        sku=str(payload.get("productNumber") or "") if kind == "product" else "",
        quantity=int(item["quantity"]),
        unit_price=_money(item["unitPrice"]),
        discount=ZERO,
        tax=_taxes(item.get("price")),
        kind=kind,
        name=str(item.get("label") or ""),
        options=options,
    )


def _lines(items: list[Mapping[str, Any]]) -> list[OrderLine]:
    """Top-level lines by position, containers replaced by their children (recursively)."""
    children: dict[str | None, list[Mapping[str, Any]]] = {}
    for item in items:
        children.setdefault(item.get("parentId"), []).append(item)

    def expand(parent: str | None) -> list[OrderLine]:
        out: list[OrderLine] = []
        for item in sorted(children.get(parent, []), key=lambda i: int(i.get("position") or 0)):
            if item.get("type") == "container":
                out.extend(expand(str(item["id"])))
            else:
                out.append(_line(item, LINE_KIND.get(str(item.get("type")), "custom")))
        return out

    return expand(None)


def order_from_wire(wire: Mapping[str, Any], *, channel: str, guest: bool | None = None) -> Order:
    """A Shopware order read with :data:`ORDER_ASSOCIATIONS` as a canonical order.

    ``guest`` comes from the order's customer record (``orderCustomer.customer.guest`` when
    the read nested it); unknown counts as a guest, so distinct buyers are never merged.
    """
    if wire.get("lineItems") is None:
        raise ValueError(f"order {wire.get('id')}: read without the lineItems association")
    number = str(wire["orderNumber"])
    if not number.isdigit():
        raise ValueError(f"order {wire['id']}: orderNumber {number!r} is not an integer")
    lines = tuple(_lines(list(wire["lineItems"])))
    buyer = wire.get("orderCustomer") or {}
    nested = buyer.get("customer") or {}
    if guest is None and "guest" in nested:
        guest = bool(nested["guest"])
    price = wire.get("price") or {}
    state = (wire.get("stateMachineState") or {}).get("technicalName")
    created = wire.get("orderDateTime") or wire["createdAt"]
    return Order(
        channel=channel,
        order_id=str(wire["id"]),
        number=number,
        created_ts=parse_iso_utc(str(created)),
        email=buyer.get("email"),
        currency=str((wire.get("currency") or {}).get("isoCode") or "EUR"),
        lines=lines,
        discount_total=-sum((ln.amount for ln in lines if ln.kind == "promotion"), ZERO),
        tax_total=_taxes(price),
        shipping=_money(wire.get("shippingTotal") or "0"),
        total=_money(wire["amountTotal"]),
        customer=Customer(
            email=buyer.get("email"),
            guest=True if guest is None else guest,
            first_name=str(buyer.get("firstName") or ""),
            last_name=str(buyer.get("lastName") or ""),
        ),
        cancelled=state == "cancelled",
        sequence=int(number),
        taxes_included=str(price.get("taxStatus") or "gross") == "gross",
    )


class ShopwareChannel:
    """One Shopware 6 shop."""

    accepted_carriers: Collection[str] = SHOPWARE_CARRIERS

    def __init__(self, name: str, admin: ShopwareAdmin, *, webhook_secret: str) -> None:
        self.name = name
        self.admin = admin
        self.connector_id = f"shopware-admin-{admin.dest.api_version}"
        self._secret = webhook_secret.encode()
        self.webhook_address: str | None = None

    async def aclose(self) -> None:
        await self.admin.aclose()

    def status(self) -> dict[str, Any]:
        return {
            "connector": self.connector_id,
            "webhook_address": self.webhook_address,
            **self.admin.stats(),
        }

    # -- webhooks ----------------------------------------------------------------------------

    async def ensure_webhooks(self, address: str) -> None:
        """App webhooks come from the app manifest, not the Admin API: nothing to call."""
        self.webhook_address = address

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(hex_hmac_sha256(self._secret, body), headers.get("shopware-shop-signature"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The event id and the first live order the message names.

        One message lists the rows of one write; a checkout writes one order, so one order
        per message is what Shopware sends. Should a bulk write list several, only the first
        is named here and the order poller picks up the rest. Draft-version rows (edits in
        progress) name no order: the merge into the live version sends its own event.
        """
        try:
            message = json.loads(body)
            data, source = message["data"], message.get("source") or {}
            event, rows = str(data["event"]), data.get("payload") or []
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a Shopware webhook: {type(exc).__name__}: {exc}") from exc
        event_id = source.get("eventId") or headers.get("X-Shopware-Event-Id")
        if not event_id:
            raise ValueError("the webhook has no source.eventId and no X-Shopware-Event-Id")
        order_id = None
        if event == ORDER_EVENT:
            for row in rows:
                if not isinstance(row, dict) or row.get("entity") != "order":
                    continue
                key = row.get("primaryKey")
                if isinstance(key, dict):
                    if str(key.get("versionId", LIVE_VERSION_ID)) != LIVE_VERSION_ID:
                        continue
                    key = key.get("id")
                if key:
                    order_id = str(key)
                    break
        return WebhookEvent(event_id=str(event_id), topic=event, order_id=order_id)

    # -- orders ------------------------------------------------------------------------------

    async def _guests(self, orders: list[dict[str, Any]]) -> dict[str, bool]:
        """Customer id → guest flag, for the orders whose read did not nest the customer."""
        wanted = sorted(
            {
                str(o["orderCustomer"]["customerId"])
                for o in orders
                if (o.get("orderCustomer") or {}).get("customerId")
                and "guest" not in ((o.get("orderCustomer") or {}).get("customer") or {})
            }
        )
        if not wanted:
            return {}
        rows = await self.admin.search(
            "customer",
            {"ids": wanted, "limit": len(wanted), "includes": {"customer": ["id", "guest"]}},
        )
        return {str(r["id"]): bool(r.get("guest")) for r in rows}

    async def _orders(self, wires: list[dict[str, Any]]) -> list[Order]:
        guests = await self._guests(wires)
        orders = []
        for wire in wires:
            customer_id = str((wire.get("orderCustomer") or {}).get("customerId"))
            try:
                orders.append(
                    order_from_wire(wire, channel=self.name, guest=guests.get(customer_id))
                )
            except (ValueError, KeyError, TypeError, ArithmeticError) as exc:
                raise RecordRejected(
                    f"shopware order {wire.get('orderNumber') or wire.get('id')} cannot be "
                    f"read: {type(exc).__name__}: {exc}",
                    code="SHOPWARE_ORDER_UNREADABLE",
                ) from exc
        return orders

    async def fetch_order(self, order_id: str) -> Order:
        wires = await self.admin.search(
            "order", {"ids": [order_id], "associations": ORDER_ASSOCIATIONS}
        )
        if not wires:
            raise RecordRejected(
                f"shopware order {order_id} not found", status=404, code="SHOPWARE_ORDER_NOT_FOUND"
            )
        return (await self._orders(wires[:1]))[0]

    async def orders_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Order], str]]:
        """Orders with an ``orderNumber`` above ``cursor``, ascending, a page at a time.

        Keyset paging (each page asks for numbers above the last one seen) stays correct while
        orders arrive. Shopware stores ``orderNumber`` as text: its range filter and sort are
        numeric only while every number has the same number of digits (the default range
        runs 10000-99999).
        """
        after = int(cursor) if cursor else None
        limit = self.admin.dest.page_limit
        while True:
            criteria: dict[str, Any] = {
                "sort": [{"field": "orderNumber", "order": "ASC"}],
                "limit": limit,
                "total-count-mode": 0,
                "associations": ORDER_ASSOCIATIONS,
            }
            if after is not None:
                criteria["filter"] = [
                    {"type": "range", "field": "orderNumber", "parameters": {"gt": str(after)}}
                ]
            wires = await self.admin.search("order", criteria)
            if not wires:
                return
            orders = await self._orders(wires)
            after = max(o.seq for o in orders)
            yield orders, str(after)
            if len(wires) < limit:
                return

    async def newest_order_seq(self) -> int:
        rows = await self.admin.search(
            "order",
            {
                "sort": [{"field": "orderNumber", "order": "DESC"}],
                "limit": 1,
                "total-count-mode": 0,
                "includes": {"order": ["id", "orderNumber"]},
            },
        )
        return int(rows[0]["orderNumber"]) if rows else 0

    # -- inventory ---------------------------------------------------------------------------

    async def items_by_sku(self) -> dict[str, str]:
        """productNumber → product id (unique in Shopware; parents included)."""
        result: dict[str, str] = {}
        criteria = {
            "sort": [{"field": "productNumber", "order": "ASC"}],
            "includes": {"product": ["id", "productNumber"]},
        }
        async for page in self.admin.search_pages("product", criteria):
            for row in page:
                result.setdefault(str(row["productNumber"]), str(row["id"]))
        return result

    @staticmethod
    def _check_location(location_id: str) -> None:
        if location_id != LOCATION_ID:
            raise ValueError(
                f"Shopware has one stock per product: location {location_id!r} is not "
                f"{LOCATION_ID!r} (map every back-office location of a Shopware channel to it)"
            )

    async def levels(
        self, item_ids: list[str], location_ids: list[str]
    ) -> dict[tuple[str, str], int]:
        """``stock`` per product at :data:`LOCATION_ID` (6.6: the real-time sellable level)."""
        for location in location_ids:
            self._check_location(location)
        if not location_ids:
            return {}
        result: dict[tuple[str, str], int] = {}
        limit = self.admin.dest.page_limit
        for start in range(0, len(item_ids), limit):
            chunk = item_ids[start : start + limit]
            rows = await self.admin.search(
                "product",
                {"ids": chunk, "limit": len(chunk), "includes": {"product": ["id", "stock"]}},
            )
            for row in rows:
                result[(str(row["id"]), LOCATION_ID)] = int(row["stock"])
        return result

    async def adjust(self, item_id: str, location_id: str, delta: int) -> None:
        """Read, write ``stock + delta``, read back: see ``ShopwareAdmin.adjust_stock`` for
        the race it cannot close and the errors that surface it."""
        self._check_location(location_id)
        await self.admin.adjust_stock(item_id, delta)

    # -- fulfilment --------------------------------------------------------------------------

    async def push_fulfilment(
        self,
        order_id: str,
        *,
        tracking_number: str,
        carrier: str,
        lines: list[tuple[str, int]] | None = None,
    ) -> None:
        """Put the tracking code on the order's delivery, ship it, and complete the order.

        Each step first checks whether it is already done, so a repeated call (a retried
        flow) changes nothing twice. ``carrier`` is not sent: Shopware has no carrier field;
        the delivery's shipping method owns the tracking URL. Shopware orders have one
        delivery in practice; the first is used.
        """
        wires = await self.admin.search(
            "order",
            {"ids": [order_id], "associations": {"deliveries": {}, "stateMachineState": {}}},
        )
        if not wires:
            raise RecordRejected(
                f"shopware order {order_id} not found", status=404, code="SHOPWARE_ORDER_NOT_FOUND"
            )
        wire = wires[0]
        deliveries = wire.get("deliveries") or []
        if not deliveries:
            raise RecordRejected(
                f"shopware order {wire.get('orderNumber')} has no delivery to ship",
                code="SHOPWARE_NO_DELIVERY",
            )
        delivery = deliveries[0]
        delivery_id = str(delivery["id"])
        codes = [str(c) for c in delivery.get("trackingCodes") or []]
        if tracking_number not in codes:
            await self.admin.request(
                "PATCH",
                f"/api/order-delivery/{delivery_id}",
                body={"trackingCodes": [*codes, tracking_number]},
            )
        shipped = (delivery.get("stateMachineState") or {}).get("technicalName")
        if shipped not in ("shipped", "shipped_partially"):
            await self.admin.request(
                "POST", f"/api/_action/order_delivery/{delivery_id}/state/ship"
            )
        state = (wire.get("stateMachineState") or {}).get("technicalName")
        steps = {"open": ("process", "complete"), "in_progress": ("complete",)}
        for transition in steps.get(str(state), ()):
            await self.admin.request("POST", f"/api/_action/order/{order_id}/state/{transition}")


def build_shopware_channel(
    name: str,
    settings: ChannelSettings,
    clock: Clock,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None,
) -> ShopwareChannel:
    """The registry factory for ``shopware-admin`` (``api_version`` defaults to 6.6)."""
    missing = [f for f in ("client_id", "client_secret") if not getattr(settings, f)]
    if missing:
        raise ValueError(f"channels.{name}.{missing[0]} is required for shopware")
    odd = sorted({loc for loc in settings.location_map.values() if loc != LOCATION_ID})
    if odd:
        raise ValueError(
            f"channels.{name}.location_map: Shopware has one stock per product; map every "
            f"back-office location to {LOCATION_ID!r}, not {', '.join(map(repr, odd))}"
        )
    dest = ShopwareDestination(
        base_url=settings.base_url,
        client_id=str(settings.client_id),
        client_secret=str(settings.client_secret),
        page_limit=settings.page_limit,
        api_version=settings.api_version or DEFAULT_API_VERSION,
    )
    admin = ShopwareAdmin(dest, clock=clock, metrics=metrics, transport=transport)
    return ShopwareChannel(name, admin, webhook_secret=settings.webhook_secret)

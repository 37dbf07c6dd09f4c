"""SHOPLINE Open API (pinned version) as a :class:`ChannelConnector`: ``shopline-rest-<version>``.

Two pinned versions make a connector pair: before v20240901 SHOPLINE spells every
``updated_at`` key ``update_at`` (PLATFORMS.md 2.5), which this connector reads either way.
Lists come oldest first (``since_id`` mode), so the newest order is found by reading on from
the last one seen rather than by asking for page one.

Post-purchase: SHOPLINE's order topics are ``orders/create``, ``orders/update`` (not
``updated``) and ``orders/cancelled``; each body is the order. The Open API as mocked here has
no fulfilment, refund or payout routes, so :meth:`ShoplineChannel.push_fulfilment` refuses
(``UNSUPPORTED``, held for a person) and the refund and payout reads find nothing.
"""

from __future__ import annotations

import json
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
        """Refused: the SHOPLINE Open API mock has no fulfilment route to send it to."""
        raise RecordRejected(
            f"shopline order {order_id}: tracking {tracking_number} ({carrier}) not pushed: "
            "this SHOPLINE connector has no fulfilment call (the mocked Open API offers none)",
            code="UNSUPPORTED",
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

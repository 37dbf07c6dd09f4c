"""NetSuite-style REST record API connector: canonical → sales order, inventory reads."""

from __future__ import annotations

from typing import Any

import httpx

from simclock import Clock, iso_utc
from sync_engine.circuit import CircuitBreaker
from sync_engine.config import ErpDestination
from sync_engine.connectors.http import classify, json_exact, parse_retry_after, send
from sync_engine.errors import ConcurrencyRejected, SyncError
from sync_engine.mapping.order_map import BackOfficeOrder
from sync_engine.metrics import Metrics
from sync_engine.model import StockLevel

DESTINATION = "erp"


def sales_order_payload(order: BackOfficeOrder, *, location_id: str) -> dict[str, Any]:
    """The upsert body. Every line carries its exact ``amount``; ``rate`` is derived."""
    return {
        "externalId": order.external_id,
        "custbody_rh_channel": order.channel,
        "custbody_rh_channel_order_id": order.channel_order_id,
        "otherRefNum": order.number,
        "tranDate": iso_utc(order.created_ts)[:10],
        "currency": {"refName": order.currency},
        "entity": {"externalId": order.customer_key},
        "location": {"id": location_id},
        "item": {
            "items": [
                {
                    "item": {"externalId": line.sku},
                    "quantity": line.quantity,
                    "rate": str(line.rate),
                    "amount": str(line.amount),
                    "discountAmount": str(line.discount),
                    "taxAmount": str(line.tax),
                    **({"description": line.description} if line.description else {}),
                    **(
                        {"custcol_rh_options": [f"{g}: {o}" for g, o in line.options]}
                        if line.options
                        else {}
                    ),
                    **({} if line.inventory else {"custcol_rh_non_inventory": True}),
                }
                for line in order.lines
            ]
        },
        "discountTotal": str(order.discount_total),
        "taxTotal": str(order.tax_total),
        "shippingCost": str(order.shipping),
    }


def _error_code(response: httpx.Response) -> str | None:
    try:
        details = response.json().get("o:errorDetails") or [{}]
        return str(details[0].get("o:errorCode") or "") or None
    except (ValueError, AttributeError, IndexError):
        return None


class NetSuiteRest:
    """Calls to the back office's REST record API."""

    def __init__(
        self,
        dest: ErpDestination,
        *,
        clock: Clock,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.dest = dest
        self.clock = clock
        self.metrics = metrics
        self.breaker = CircuitBreaker(DESTINATION, clock=clock)
        self.client = httpx.AsyncClient(
            base_url=f"{dest.base_url.rstrip('/')}/services/rest/record/v1/",
            headers={"Authorization": f"Bearer {dest.access_token}"},
            transport=transport,
            timeout=httpx.Timeout(dest.request_timeout / clock.time_scale),
            limits=httpx.Limits(max_connections=dest.max_concurrency + 4),
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        request = self.client.build_request(method, url, params=params, json=body)
        response = await send(
            self.client,
            request,
            destination=DESTINATION,
            clock=self.clock,
            metrics=self.metrics,
            breaker=self.breaker,
        )
        if response.is_success:
            return response
        raise self._error(response)

    @staticmethod
    def _error(response: httpx.Response) -> SyncError:
        code = _error_code(response)
        detail = f"erp {response.status_code} {code or ''}: {response.text[:300]}"
        if response.status_code == 429:
            return ConcurrencyRejected(
                detail, retry_after=parse_retry_after(response.headers.get("Retry-After"))
            )
        error = classify(response, detail)
        error.code = code
        return error

    async def upsert_sales_order(self, order: BackOfficeOrder, *, location_id: str) -> None:
        """Idempotent by external id: repeating it never creates a second sales order."""
        await self._call(
            "PUT",
            f"salesOrder/eid:{order.external_id}",
            body=sales_order_payload(order, location_id=location_id),
        )

    async def inventory(self, modified_since: str | None) -> list[tuple[StockLevel, str]]:
        """Every item location's ATS (changed since ``modified_since``, if given).

        Returns each level with the item's ``lastModifiedDate``.
        """
        levels: list[tuple[StockLevel, str]] = []
        offset = 0
        while True:
            params: dict[str, Any] = {"limit": self.dest.query_limit, "offset": offset}
            if modified_since:
                params["q"] = f'lastModifiedDate ON_OR_AFTER "{modified_since}"'
            data = json_exact(await self._call("GET", "inventoryItem", params=params))
            for item in data.get("items", []):
                sku = str(item.get("itemId") or item.get("externalId"))
                for loc in item.get("locations", {}).get("items", []):
                    level = StockLevel(
                        sku=sku,
                        location=str(loc["location"]["id"]),
                        available=int(loc["quantityAvailable"]),
                    )
                    levels.append((level, str(item.get("lastModifiedDate", ""))))
            if not data.get("hasMore"):
                return levels
            offset += int(data.get("count", len(data.get("items", []))))

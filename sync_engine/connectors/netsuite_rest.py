"""NetSuite-style REST record API back office: ``connector_id = netsuite-rest-v1``.

Wire (PLATFORMS.md section 5, ``mocks/erp/CONTRACT.md``): records under
``/services/rest/record/v1/``, written by ``PUT {record}/eid:{external id}`` (idempotent
upsert), edited by ``PATCH``; SuiteQL at ``POST /services/rest/query/v1/suiteql`` with
``Prefer: transient``. Errors are NetSuite's ``o:errorDetails``: 429 is a concurrency
rejection (the orders flow's governor learns the limit from it), a 4xx a
:class:`~sync_engine.errors.RecordRejected` carrying ``o:errorCode``. Nothing here retries.

Where each part lives: sales-order bodies in ``netsuite_orders``, customer matching in
``netsuite_customers``, shipments by SuiteQL in ``netsuite_shipments``, credit memos and
journal entries in ``netsuite_books``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock, iso_utc
from sync_engine.circuit import CircuitBreaker
from sync_engine.config import ErpDestination
from sync_engine.connectors.back_office import JournalLine
from sync_engine.connectors.http import classify, json_exact, parse_retry_after, send
from sync_engine.connectors.netsuite_books import credit_memo_body, journal_body
from sync_engine.connectors.netsuite_customers import CustomerMatcher
from sync_engine.connectors.netsuite_orders import (
    CANCELLED,
    not_found,
    order_edit,
    order_status,
    past_cutoff,
    record_path,
    sales_order_payload,
)
from sync_engine.connectors.netsuite_shipments import read_shipments
from sync_engine.errors import ConcurrencyRejected, RecordRejected, SyncError
from sync_engine.mapping.order_map import BackOfficeOrder
from sync_engine.metrics import Metrics
from sync_engine.model import Refund, Shipment, StockLevel

__all__ = ["CONNECTOR_ID", "DESTINATION", "NetSuiteRest", "sales_order_payload"]

DESTINATION = "erp"
CONNECTOR_ID = "netsuite-rest-v1"


def _error_details(response: httpx.Response) -> tuple[str | None, str]:
    """``o:errorCode`` and the ``detail`` text of a NetSuite error body."""
    try:
        details = response.json().get("o:errorDetails") or [{}]
        first = details[0]
        code = str(first.get("o:errorCode") or "") or None
        return code, str(first.get("detail") or response.text[:300])
    except (ValueError, AttributeError, IndexError):
        return None, response.text[:300]


class NetSuiteRest:
    """The back-office connector on the REST record API and SuiteQL."""

    name = DESTINATION
    connector_id = CONNECTOR_ID

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
        self.suiteql_url = f"{dest.base_url.rstrip('/')}/services/rest/query/v1/suiteql"
        self.calls: Counter[str] = Counter()
        """Requests sent, by kind (``salesOrder.upsert``, ``customer.lookup``, ``suiteql``…)."""
        self.customers = CustomerMatcher(self._call)

    async def aclose(self) -> None:
        await self.client.aclose()

    def status(self) -> dict[str, Any]:
        return {
            "destination": self.name,
            "connector": self.connector_id,
            "circuit": self.breaker.stats(),
            "customers": self.customers.stats(),
            "calls": dict(sorted(self.calls.items())),
        }

    # ------------------------------------------------------------------ wire
    async def _call(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        request = self.client.build_request(method, url, params=params, json=body, headers=headers)
        self.calls[kind] += 1
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
        code, text = _error_details(response)
        detail = f"erp {response.status_code} {code or ''}: {text}"
        if response.status_code == 429:
            return ConcurrencyRejected(
                detail, retry_after=parse_retry_after(response.headers.get("Retry-After"))
            )
        error = classify(response, detail)
        error.code = code
        return error

    async def _suiteql(self, q: str, *, offset: int = 0) -> dict[str, Any]:
        """One page of a SuiteQL query (at most ``query_limit`` rows)."""
        response = await self._call(
            "POST",
            self.suiteql_url,
            kind="suiteql",
            params={"limit": self.dest.query_limit, "offset": offset},
            body={"q": q},
            headers={"Prefer": "transient"},
        )
        page: dict[str, Any] = json_exact(response)
        return page

    async def suiteql_pages(
        self,
        q: str,
        *,
        kind: str = "suiteql",
        before_call: Callable[[], Awaitable[None]] | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a SuiteQL query (``hasMore``/``offset``), one call each, counted as
        ``kind``; ``before_call`` is awaited before each request. Rows come as NetSuite gives
        them: lower-case keys, string values, nulls left out. Reconciliation counts and sums
        sales orders per window with these."""
        offset = 0
        while True:
            if before_call is not None:
                await before_call()
            response = await self._call(
                "POST",
                self.suiteql_url,
                kind=kind,
                params={"limit": self.dest.query_limit, "offset": offset},
                body={"q": q},
                headers={"Prefer": "transient"},
            )
            page = json_exact(response)
            items = list(page.get("items", []))
            yield items
            if not page.get("hasMore") or not items:
                return
            offset += len(items)

    # ------------------------------------------------------------------ sales orders
    async def upsert_sales_order(self, order: BackOfficeOrder, *, location_id: str) -> None:
        """Match the customer (lookup, else create by key), then upsert by external id:
        repeating it never creates a second sales order nor a second customer."""
        customer_id = await self.customers.customer_id(order)
        await self._call(
            "PUT",
            record_path("salesOrder", order.external_id),
            kind="salesOrder.upsert",
            body=sales_order_payload(order, location_id=location_id, customer_id=customer_id),
        )

    async def _sales_order(self, external_id: str) -> dict[str, Any]:
        """The sales order record; ``RecordRejected`` code ``NOT_FOUND`` if there is none."""
        try:
            response = await self._call(
                "GET", record_path("salesOrder", external_id), kind="salesOrder.get"
            )
        except RecordRejected as error:
            if error.status == 404:
                raise not_found(external_id, error) from error
            raise
        record: dict[str, Any] = json_exact(response)
        return record

    async def cancel_sales_order(self, external_id: str) -> None:
        """Cancel (``orderStatus`` C) before fulfilment. Refused after it: ``PAST_CUTOFF``
        with the ERP's message. Cancelling a cancelled order is a no-op; an unknown one is
        ``NOT_FOUND``. One call when it works, two when refused."""
        try:
            await self._call(
                "PATCH",
                record_path("salesOrder", external_id),
                kind="salesOrder.cancel",
                body={"orderStatus": {"id": CANCELLED}},
            )
            return
        except RecordRejected as refused:
            if refused.status == 404:
                raise not_found(external_id, refused) from refused
            # Read why: cancelled already (a retry) is done; fulfilment started is the cut-off.
            record = await self._sales_order(external_id)
            if order_status(record) == CANCELLED:
                return
            blocked = past_cutoff(record, str(refused))
            if blocked is None:
                raise
            raise blocked from refused

    async def update_sales_order(
        self, order: BackOfficeOrder, *, location_id: str | None = None
    ) -> None:
        """Bring the sales order to this version of the order (lines, address, header
        amounts; the location when ``location_id`` is given) before the cut-off; only what
        differs is sent, so a repeat sends nothing.

        Past the cut-off: ``PAST_CUTOFF`` without spending the edit; a cancelled order:
        ``CANCELLED``; an unknown one: ``NOT_FOUND``. Lines are replaced with
        ``?replace=item`` (the ERP re-allocates them); it refuses once credit memos exist.
        """
        record = await self._sales_order(order.external_id)
        body = order_edit(record, order, location_id=location_id)
        if not body:
            return
        status = order_status(record)
        if status == CANCELLED:
            raise RecordRejected(
                f"erp: sales order {record.get('tranId')} for {order.external_id} is "
                "cancelled; the edit was not applied",
                status=400,
                code="CANCELLED",
            )
        blocked = past_cutoff(
            record,
            f"erp: sales order {record.get('tranId')} for {order.external_id} is past the "
            f"picking cut-off (status {status}: fulfilment has started); the edit of "
            f"{', '.join(sorted(body))} was not applied",
        )
        if blocked is not None:
            raise blocked
        try:
            await self._call(
                "PATCH",
                record_path("salesOrder", order.external_id),
                kind="salesOrder.edit",
                params={"replace": "item"} if "item" in body else None,
                body=body,
            )
        except RecordRejected as refused:
            # The warehouse may have started picking between the read and the edit.
            reread = await self._sales_order(order.external_id)
            blocked = past_cutoff(reread, str(refused))
            if blocked is None:
                raise
            raise blocked from refused

    # ------------------------------------------------------------------ stock
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
            data = json_exact(
                await self._call("GET", "inventoryItem", kind="inventory.read", params=params)
            )
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

    # ------------------------------------------------------------------ shipments
    async def shipments_since(self, cursor: str | None) -> tuple[list[Shipment], str | None]:
        """Shipped item fulfilments after ``cursor``, oldest first, each exactly once (by
        SuiteQL; ``netsuite_shipments`` describes the cursor and the calls spent)."""
        return await read_shipments(self._suiteql, cursor)

    # ------------------------------------------------------------------ money
    async def credit_memo(
        self, refund: Refund, *, amount_lines: list[tuple[str, int, Decimal]]
    ) -> None:
        """``PUT creditMemo/eid:{refund.external_id}`` from the refund's sales order: a
        retry never credits twice. Over-refunds and the like are the ERP's ``RecordRejected``
        (``USER_ERROR`` with its figures); see ``netsuite_books.credit_memo_body``."""
        record = await self._sales_order(f"{refund.channel}-{refund.order_id}")
        shipped: Counter[str] = Counter()
        for line in (record.get("item") or {}).get("items", []):
            sku = str((line.get("item") or {}).get("externalId") or "")
            shipped[sku] += int(line.get("quantityFulfilled") or 0)
        body = credit_memo_body(
            refund, amount_lines, tran_date=iso_utc(self.clock.now())[:10], shipped=shipped
        )
        await self._call(
            "PUT",
            record_path("creditMemo", refund.external_id),
            kind="creditMemo.upsert",
            body=body,
        )

    async def journal_entry(
        self, external_id: str, *, date: str, memo: str, currency: str, lines: list[JournalLine]
    ) -> None:
        """``PUT journalEntry/eid:{external_id}`` (a repeat replaces, never adds); an
        unbalanced entry is refused here (``UNBALANCED``) before any call is spent."""
        body = journal_body(external_id, date=date, memo=memo, currency=currency, lines=lines)
        await self._call(
            "PUT",
            record_path("journalEntry", external_id),
            kind="journalEntry.upsert",
            body=body,
        )

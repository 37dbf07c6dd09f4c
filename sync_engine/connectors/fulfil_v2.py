"""Fulfil (fulfil.io, Tryton-based) back office over its v2 API: ``connector_id = fulfil-v2``.

Wire (PLATFORMS.md section 4): ``GET /api/v2/model/{model}`` (find: ``filter`` domain, ``page``,
``per_page``, ``fields``, ``order``, ``context``) and RPC ``PUT /api/v2/model/{model}/{method}``
with a JSON array of positional arguments; ``x-api-key`` auth; values in Tryton's tagged JSON
(``fulfil_wire``). Fulfil meters each API key to ``requests_per_minute`` over a sliding
minute and answers beyond it with 429 ``RateLimitError`` + ``Retry-After``: the connector's
:class:`RequestRateBudget` spends exactly that window, so 429s stay the exception, and
honours ``Retry-After`` when one comes (other clients share the key). Business refusals are
400 ``UserError`` → :class:`~sync_engine.errors.RecordRejected` with ``code`` = Fulfil's error
type. Nothing here retries: the flows do.

What the protocol asks that Fulfil (and its mock) lacks:
- no credit memo / ``account.invoice`` and no negative quantities: a refund is booked as a
  *return sale* (``sale.sale`` with product-less negative lines, ``channel_identifier`` = the
  refund's external id, pushed to done); nothing is restocked through the API;
- no ``account.move``: :meth:`FulfilBackOffice.journal_entry` refuses with ``UNSUPPORTED``;
- no modification stamp on quantities (a product's ``write_date`` does not move when a sale
  reserves or a shipment ships): :meth:`FulfilBackOffice.inventory` reads everything each
  time (1 + 2 per 500 products calls) and stamps levels with the read's start;
- ``sale.channel`` cannot be created through the API: without ``channel_id`` the channel whose
  ``code`` is the engine's channel name is used, else the first one (``Default``).
"""

from __future__ import annotations

import json
import math
from collections import deque
from decimal import Decimal
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from simclock import Clock, iso_utc
from sync_engine.budgets.window import SpendWindow, Ticket
from sync_engine.circuit import CircuitBreaker
from sync_engine.connectors.back_office import JournalLine
from sync_engine.connectors.fulfil_wire import (
    contact_clause,
    error_from,
    holds,
    loads,
    moment,
    parse_cursor,
    party_values,
    return_lines,
    sale_lines,
    sale_values,
    shipment_cursor,
    shipment_from_row,
)
from sync_engine.connectors.http import parse_retry_after, send
from sync_engine.errors import RecordRejected
from sync_engine.mapping.customers import normalise_phone
from sync_engine.mapping.order_map import BackOfficeOrder
from sync_engine.metrics import Metrics
from sync_engine.model import Refund, Shipment, StockLevel

DESTINATION = "fulfil"
CONNECTOR_ID = "fulfil-v2"
_MARGIN = 1e-3
"""Seconds added to a window wait: simulated POSIX times resolve only ~2.4e-7 s, and the
server frees a slot only once its stamp is strictly a window old."""
_EPSILON = 1e-6
NEXT_BUTTON = {"draft": "quote", "quotation": "confirm", "confirmed": "process"}
"""The ``sale.sale`` button that moves each state on, up to ``processing`` (shipment made)."""
AFTER_BUTTON = {"quote": "quotation", "confirm": "confirmed", "process": "processing"}
PAST_CUTOFF_SHIPMENTS = frozenset({"packed", "done"})
"""A sale whose shipment is packed or shipped can no longer be cancelled."""
SALE_FIELDS = [
    "state",
    "number",
    "reference",
    "party",
    "lines",
    "lines.quantity",
    "lines.unit_price",
    "lines.product.code",
    "total_amount",
    "tax_amount",
]


class FulfilDestination(BaseModel):
    """A Fulfil instance the engine writes to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str
    """``https://{subdomain}.fulfil.io`` (``/api/v2`` is appended)."""
    api_key: str = Field(repr=False)
    requests_per_minute: int = Field(1000, ge=1)
    """The key's budget per sliding ``window_seconds`` (Fulfil's figure: 1,000+ per minute)."""
    window_seconds: float = Field(60.0, gt=0)
    headroom: int = Field(5, ge=0)
    """Requests per window left unspent for other users of the key and clock skew."""
    per_page: int = Field(500, ge=1, le=500)
    """Records per ``find`` page (Fulfil's client batches by 500)."""
    channel_id: int | None = Field(None, ge=1)
    """``sale.channel`` every sale is stamped with; None: looked up by channel name."""
    request_timeout: float = Field(60.0, gt=0)
    """Simulated seconds before a request's outcome is treated as unknown."""


class RequestRateBudget:
    """Paces calls to ``limit − headroom`` per sliding ``window`` (per-key requests/minute).

    It keeps the grant time of every call in the last window and makes :meth:`acquire` wait
    until the oldest one that would overflow has left it. A 429 means someone else spends the
    same key: its ``Retry-After`` becomes a floor before the next call.
    """

    def __init__(
        self, *, clock: Clock, limit: int, window: float = 60.0, headroom: int = 0
    ) -> None:
        self.clock = clock
        self.limit = limit
        self.window = window
        self.usable = max(1, limit - headroom)
        self.calls = 0
        self.throttled = 0
        self.waited_total = 0.0
        self._grants: deque[tuple[float, int]] = deque()
        self._seq = 0
        self._not_before = -math.inf
        self._spend = SpendWindow(window)

    def _trim(self, now: float) -> None:
        while self._grants and self._grants[0][0] <= now - self.window:
            self._grants.popleft()

    def wait_time(self) -> float:
        """Simulated seconds until one more call fits in the window."""
        now = self.clock.now()
        self._trim(now)
        wait = self._not_before - now
        if len(self._grants) >= self.usable:
            leaving = self._grants[len(self._grants) - self.usable][0]
            wait = max(wait, leaving + self.window + _MARGIN - now)
        return max(0.0, wait)

    async def acquire(self) -> Ticket:
        """Wait until a call fits, then count it. Never raises, never gives up."""
        started = self.clock.now()
        while (wait := self.wait_time()) > _EPSILON:
            await self.clock.sleep(wait)  # re-checked: another caller may have taken the slot
        now = self.clock.now()
        self._seq += 1
        self._grants.append((now, self._seq))
        self.calls += 1
        self.waited_total += now - started
        self._spend.add(now, 1.0)
        return Ticket(
            seq=self._seq, cost=1.0, cumulative=self.calls, granted_at=now, waited=now - started
        )

    def release(self, ticket: Ticket) -> None:
        """No answer came: the server may have counted the call, so it stays counted."""

    def observe(self, ticket: Ticket, *, status: int, retry_after: float | None = None) -> None:
        """Learn from one answer: a 429 was not counted by the server, and sets a floor."""
        if status != 429:
            return
        self.throttled += 1
        self._grants = deque(g for g in self._grants if g[1] != ticket.seq)
        if retry_after is not None and retry_after > 0:
            self._not_before = max(self._not_before, self.clock.now() + retry_after)

    def utilisation(self) -> float:
        """Calls in the last window ÷ the usable limit (1.0 = budget fully spent)."""
        return self._spend.rate(self.clock.now()) * self.window / self.usable

    def stats(self) -> dict[str, float | int]:
        return {
            "limit": self.limit,
            "usable": self.usable,
            "window_seconds": self.window,
            "in_window": len(self._grants),
            "calls": self.calls,
            "throttled": self.throttled,
            "waited_seconds": round(self.waited_total, 3),
            "utilisation": round(self.utilisation(), 4),
        }


class FulfilBackOffice:
    """The back-office connector on Fulfil's v2 model API."""

    name = DESTINATION
    connector_id = CONNECTOR_ID

    def __init__(
        self,
        dest: FulfilDestination,
        *,
        clock: Clock,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: RequestRateBudget | None = None,
    ) -> None:
        self.dest = dest
        self.clock = clock
        self.metrics = metrics
        self.breaker = CircuitBreaker(DESTINATION, clock=clock)
        self.budget = budget or RequestRateBudget(
            clock=clock,
            limit=dest.requests_per_minute,
            window=dest.window_seconds,
            headroom=dest.headroom,
        )
        """Shared by every flow that calls this Fulfil key."""
        self.client = httpx.AsyncClient(
            base_url=f"{dest.base_url.rstrip('/')}/api/v2/model/",
            headers={"x-api-key": dest.api_key},
            transport=transport,
            timeout=httpx.Timeout(dest.request_timeout / clock.time_scale),
        )
        self._channels: dict[str, int] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    def status(self) -> dict[str, Any]:
        return {
            "destination": self.name,
            "connector": self.connector_id,
            "budget": self.budget.stats(),
            "circuit": self.breaker.stats(),
        }

    # ------------------------------------------------------------------ wire
    async def _request(
        self, method: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None
    ) -> Any:
        """One call once the budget has room; a non-2xx answer becomes the matching error."""
        request = self.client.build_request(method, url, params=params, json=body)
        ticket = await self.budget.acquire()
        try:
            response = await send(
                self.client,
                request,
                destination=DESTINATION,
                clock=self.clock,
                metrics=self.metrics,
                breaker=self.breaker,
            )
        except BaseException:
            self.budget.release(ticket)
            raise
        self.budget.observe(
            ticket,
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        self.metrics.budget_utilisation.labels(DESTINATION).set(self.budget.utilisation())
        if not response.is_success:
            raise error_from(response)
        return loads(response)

    async def rpc(self, model: str, method: str, *args: Any) -> Any:
        """``PUT /model/{model}/{method}`` with positional ``args``."""
        return await self._request("PUT", f"{model}/{method}", body=list(args))

    async def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        limit: int | None = None,
        order: list[list[str]] | None = None,
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await self.rpc(
            model, "search_read", domain, 0, limit, order, fields
        )
        return rows

    async def find(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        order: list[list[str]],
        per_page: int,
    ) -> list[dict[str, Any]]:
        """The first page of a ``find`` (callers page by key, so inserts never shift pages)."""
        params = {
            "filter": json.dumps(domain),
            "fields": ",".join(fields),
            "order": json.dumps(order),
            "per_page": str(per_page),
        }
        rows: list[dict[str, Any]] = await self._request("GET", model, params=params)
        return rows

    # ------------------------------------------------------------------ sales orders
    async def _sale(self, channel_identifier: str, *extra: str) -> dict[str, Any] | None:
        rows = await self.search_read(
            "sale.sale",
            [["channel_identifier", "=", channel_identifier]],
            [*SALE_FIELDS, *extra],
            limit=1,
        )
        return rows[0] if rows else None

    async def upsert_sales_order(self, order: BackOfficeOrder, *, location_id: str) -> None:
        """Find the sale by ``channel_identifier`` = external id, else create it (customer
        matched first), then quote → confirm → process. A found sale past draft keeps its
        lines (Fulfil changes lines only in draft); a different total is ``LOCKED``."""
        lines = sale_lines(order)
        existing = await self._sale(order.external_id)
        if existing is None:
            values = sale_values(
                order,
                party=await self._party(order),
                channel=await self._channel(order.channel),
                warehouse=int(location_id),
                lines=lines,
            )
            try:
                (sale_id,) = await self.rpc("sale.sale", "create", [values])
            except RecordRejected:
                # One sale per channel identifier: an earlier attempt's create may have landed.
                existing = await self._sale(order.external_id)
                if existing is None:
                    raise
            else:
                await self._advance(int(sale_id), "draft")
                return
        await self._update(order, existing, lines)

    async def _update(
        self, order: BackOfficeOrder, sale: dict[str, Any], lines: list[dict[str, Any]]
    ) -> None:
        state = str(sale["state"])
        if state == "draft" and not holds(sale, order, lines):
            # Left by an attempt that stopped half-way: bring the lines to this version.
            changes = [["delete", list(sale["lines"])], ["create", lines]]
            try:
                await self.rpc("sale.sale", "write", [sale["id"]], {"lines": changes})
            except RecordRejected:
                # Another attempt quoted it meanwhile: judge it as it is now.
                reread = await self._sale(order.external_id)
                if reread is None or reread["state"] == "draft":
                    raise
                sale, state = reread, str(reread["state"])
        if state not in ("draft", "cancelled") and (
            sale["total_amount"] != order.total or sale["tax_amount"] != order.tax_total
        ):
            raise RecordRejected(
                f"fulfil: sale {sale['number']} for {order.external_id} is {state}; its total "
                f"{sale['total_amount']} (tax {sale['tax_amount']}) cannot become "
                f"{order.total} (tax {order.tax_total}): lines change only in draft",
                code="LOCKED",
            )
        if sale.get("reference") != order.number:
            await self.rpc("sale.sale", "write", [sale["id"]], {"reference": order.number})
        await self._advance(int(sale["id"]), state)

    async def _advance(self, sale_id: int, state: str) -> None:
        """Press the buttons from ``state`` up to ``processing``; a button refused because
        another attempt pressed it first is read past, anything else is raised."""
        while state in NEXT_BUTTON:
            button = NEXT_BUTTON[state]
            try:
                await self.rpc("sale.sale", button, [sale_id])
            except RecordRejected:
                (row,) = await self.rpc("sale.sale", "read", [sale_id], ["state"])
                if row["state"] == state:
                    raise
                state = str(row["state"])
            else:
                state = AFTER_BUTTON[button]

    async def _channel(self, name: str) -> int:
        if self.dest.channel_id is not None:
            return self.dest.channel_id
        if name not in self._channels:
            rows = await self.search_read("sale.channel", [["code", "=", name]], ["code"], limit=1)
            if not rows:
                rows = await self.search_read("sale.channel", [], ["code"], limit=1)
            if not rows:
                raise RecordRejected("fulfil: no sale.channel to stamp sales with", code="CONFIG")
            self._channels[name] = int(rows[0]["id"])
        return self._channels[name]

    async def _find_party(self, field: str, value: str) -> dict[str, Any] | None:
        rows = await self.search_read(
            "party.party", [contact_clause(field, value)], ["email", "phone"], limit=1
        )
        return rows[0] if rows else None

    async def _party(self, order: BackOfficeOrder) -> int:
        """The customer by e-mail, then phone; a guest (or nobody found) is a new party."""
        kind, _, value = order.customer_key.partition(":")
        if kind in ("email", "phone"):
            email = value if kind == "email" else None
            phone = value if kind == "phone" else normalise_phone(order.customer.phone)
            if email and (party := await self._find_party("email", email)):
                return int(party["id"])
            if phone and (party := await self._find_party("phone", phone)):
                if email and not party.get("email"):
                    # Found by phone: record the e-mail so the next order matches at once.
                    mechanism = {"type": "email", "value": email}
                    await self.rpc(
                        "party.party",
                        "write",
                        [party["id"]],
                        {"contact_mechanisms": [["create", [mechanism]]]},
                    )
                return int(party["id"])
        (party_id,) = await self.rpc("party.party", "create", [party_values(order)])
        return int(party_id)

    async def update_sales_order(self, order: BackOfficeOrder, *, location_id: str) -> None:
        """An edit: Fulfil changes a sale's lines only in draft, and every synced sale is
        confirmed, so a changed total or tax is refused (``LOCKED``) and held; an edit that
        leaves the amounts alone (an address change) is accepted as is."""
        await self.upsert_sales_order(order, location_id=location_id)

    async def cancel_sales_order(self, external_id: str) -> None:
        """Cancel unless a shipment is packed or shipped (``PAST_CUTOFF``); cancelling a
        cancelled sale is a no-op, an unknown one ``NOT_FOUND``."""
        sale = await self._sale(external_id, "shipments.state")
        if sale is None:
            raise RecordRejected(f"fulfil: no sale for {external_id}", code="NOT_FOUND")
        for attempt in range(2):
            if sale["state"] == "cancelled":
                return
            shipped = set(sale["shipments.state"]) & PAST_CUTOFF_SHIPMENTS
            if sale["state"] == "done" or shipped:
                raise RecordRejected(
                    f"fulfil: sale {sale['number']} for {external_id} is past the picking "
                    f"cut-off (state {sale['state']}, shipments {sorted(shipped)})",
                    code="PAST_CUTOFF",
                )
            try:
                await self.rpc("sale.sale", "cancel", [sale["id"]])
                return
            except RecordRejected:
                # The warehouse may have packed it meanwhile: read again and judge once more.
                reread = await self._sale(external_id, "shipments.state")
                if attempt or reread is None or reread == sale:
                    raise
                sale = reread

    # ------------------------------------------------------------------ stock
    async def inventory(self, modified_since: str | None) -> list[tuple[StockLevel, str]]:
        """``quantity_available`` (on hand − reserved) per product and warehouse.

        Fulfil stamps no quantity change, so ``modified_since`` cannot narrow the read: every
        product is read each time, a page of ids at a time, then ``get_product_inventory``
        for the page. Each level carries the read's start time as its stamp."""
        stamp = iso_utc(self.clock.now())
        warehouses = await self.search_read(
            "stock.location", [["type", "=", "warehouse"]], ["code"], order=[["id", "ASC"]]
        )
        warehouse_ids = [int(w["id"]) for w in warehouses]
        levels: list[tuple[StockLevel, str]] = []
        last_id = 0
        while warehouse_ids:
            page = await self.find(
                "product.product",
                [["id", ">", last_id]],
                ["code"],
                order=[["id", "ASC"]],
                per_page=self.dest.per_page,
            )
            if not page:
                break
            ids = [int(p["id"]) for p in page]
            quantities = await self.rpc(
                "product.product", "get_product_inventory", ids, warehouse_ids
            )
            for product in page:
                by_warehouse = quantities[str(product["id"])]
                for wid in warehouse_ids:
                    level = StockLevel(
                        sku=str(product["code"]),
                        location=str(wid),
                        available=int(by_warehouse[str(wid)]["quantity_available"]),
                    )
                    levels.append((level, stamp))
            if len(page) < self.dest.per_page:
                break
            last_id = ids[-1]
        return levels

    # ------------------------------------------------------------------ shipments
    async def shipments_since(self, cursor: str | None) -> tuple[list[Shipment], str | None]:
        """Done ``stock.shipment.out`` after ``cursor`` (done time, then id), oldest first.

        Shipments of sales we did not create (no channel identifier) are passed over."""
        out: list[Shipment] = []
        fields = [
            "effective_date",
            "carrier",
            "tracking_number",
            "sales.channel_identifier",
            "moves.product.code",
            "moves.quantity",
        ]
        while True:
            domain: list[Any] = [["state", "=", "done"]]
            if cursor:
                after, after_id = parse_cursor(cursor)
                at = moment(after)
                domain.append(
                    [
                        "OR",
                        ["effective_date", ">", at],
                        ["AND", ["effective_date", "=", at], ["id", ">", after_id]],
                    ]
                )
            page = await self.find(
                "stock.shipment.out",
                domain,
                fields,
                order=[["effective_date", "ASC"], ["id", "ASC"]],
                per_page=self.dest.per_page,
            )
            for row in page:
                shipment = shipment_from_row(row)
                if shipment is not None:
                    out.append(shipment)
                cursor = shipment_cursor(row["effective_date"], int(row["id"]))
            if len(page) < self.dest.per_page:
                return out, cursor

    # ------------------------------------------------------------------ money
    async def credit_memo(
        self, refund: Refund, *, amount_lines: list[tuple[str, int, Decimal]]
    ) -> None:
        """A return sale (Fulfil has no credit memo in this API): product-less negative
        lines totalling ``-refund.amount``, for the original sale's party, taken to done.
        Idempotent by ``refund.external_id``; nothing is restocked (the API cannot)."""
        original_id = f"{refund.channel}-{refund.order_id}"
        existing = await self._sale(refund.external_id)
        if existing is not None:
            await self._advance(int(existing["id"]), str(existing["state"]))
            return
        original = await self._sale(original_id, "channel", "warehouse", "currency")
        if original is None:
            raise RecordRejected(
                f"fulfil: refund {refund.external_id}: no sale for {original_id}",
                code="NOT_FOUND",
            )
        values = {
            "party": original["party"],
            "channel": original["channel"],
            "warehouse": original["warehouse"],
            "currency": original["currency"],
            "channel_identifier": refund.external_id,
            "reference": f"Return of {original['number'] or original_id}",
            "comment": f"Refund {refund.refund_id} of {original_id}",
            "lines": [["create", return_lines(refund, amount_lines)]],
        }
        try:
            (sale_id,) = await self.rpc("sale.sale", "create", [values])
        except RecordRejected:
            existing = await self._sale(refund.external_id)
            if existing is None:
                raise
            await self._advance(int(existing["id"]), str(existing["state"]))
            return
        await self._advance(int(sale_id), "draft")

    async def journal_entry(
        self, external_id: str, *, date: str, memo: str, currency: str, lines: list[JournalLine]
    ) -> None:
        """Refused: this Fulfil API has no ``account.move`` to post to."""
        raise RecordRejected(
            f"fulfil: journal entry {external_id} not posted: the Fulfil API offers no "
            "account.move (post payouts in the accounting system)",
            code="UNSUPPORTED",
        )

"""Shopware 6 Admin API wire client: OAuth client-credential tokens, paced calls, search, stock.

**Tokens** (PLATFORMS.md 3.1, 3.3): ``POST /api/oauth/token`` with ``client_credentials``
answers a bearer token valid ``expires_in`` (600) seconds and no refresh token. The token is
cached and renewed :data:`REFRESH_MARGIN_SECONDS` before it runs out on the injected clock, and
once more when a call answers 401 (expired early or revoked); a second 401 is
:class:`~sync_engine.errors.AuthFailed`. Renewal is single-flight: concurrent callers wait on
one ``asyncio.Lock`` and share the one new token, so a burst never storms the token route
(10 per minute on Shopware SaaS; its 429 is :class:`~sync_engine.errors.Throttled` with
``retry_after`` from ``meta.parameters.seconds`` or ``Retry-After``).

**Pacing**: the Admin API is not rate limited by default, so the budget is a plain cap on
requests in flight (:data:`DEFAULT_MAX_IN_FLIGHT`), plus a circuit breaker that stops sending to
a shop that keeps failing. Retrying stays with the flows.

**Errors**: Shopware answers ``{"errors": [{"status": "400", "code", "detail", ...}]}``; the
status decides the class (``http.classify``) and ``errors[0].code`` becomes ``SyncError.code``.

**Stock** (6.6 semantics: ``stock`` is the real-time sellable quantity, ``availableStock`` a
write-protected mirror): Shopware has no relative stock write and no compare-and-set, so
:meth:`ShopwareAdmin.adjust_stock` reads the level and writes ``stock = read + delta``, holding
one budget slot for the whole read-write-read so nothing of ours queues in between. A
checkout that lands between the read and the write is overwritten: the shop then shows its
units as still for sale - the *non-conservative* direction (oversell risk). The read-back
detects it: every order placed, cancelled or edited moves ``stock`` and ``sales`` in opposite
directions in one statement (6.6 ``StockStorage::alter``: ``SET stock = stock + :quantity,
sales = sales - :quantity``), so ``stock + sales`` changes only by direct stock writes. If after
the write ``stock + sales`` differs from its value before plus ``delta``, the difference is
what the write overwrote and :class:`StockRaced` (an ``OutcomeUnknown``: the write landed, the
level is not what we think) tells the flow to re-read the level rather than trust its ledger.
If it did not change at all, Shopware ignored the write - its closeout ("Abverkauf") quirk -
and :class:`StockWriteIgnored` (a ``RecordRejected``) says so; a refused write is a
``RecordRejected`` with Shopware's code (``CONTENT__PRODUCT_CLOSEOUT_STOCK_WRITE``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from simclock import Clock
from sync_engine.budgets import ConcurrencyBudget
from sync_engine.circuit import CircuitBreaker
from sync_engine.connectors.http import classify, json_exact, parse_retry_after, send
from sync_engine.errors import AuthFailed, OutcomeUnknown, RecordRejected, SyncError, Throttled
from sync_engine.metrics import Metrics

DESTINATION = "shopware"
DEFAULT_API_VERSION = "6.6"
DEFAULT_MAX_IN_FLIGHT = 8
REFRESH_MARGIN_SECONDS = 30.0
"""A token is renewed this long before Shopware would refuse it (clock skew, slow calls)."""
TOKEN_PATH = "/api/oauth/token"
PRODUCT_STOCK_FIELDS = ["id", "productNumber", "stock", "sales", "isCloseout"]


class StockWriteIgnored(RecordRejected):
    """Shopware accepted a stock write and left the stock as it was (a closeout product on
    sale): the level the engine wanted is not on the shop, and resending will not change it."""


class StockRaced(OutcomeUnknown):
    """The stock write landed, but orders placed between our read and our write were
    overwritten: the shop's level is off by ``lost_units`` (positive: shows too many)."""

    def __init__(self, message: str, *, lost_units: int) -> None:
        super().__init__(message)
        self.lost_units = lost_units


@dataclass(frozen=True, kw_only=True)
class ShopwareDestination:
    """One Shopware 6 shop's Admin API and the integration's credentials."""

    base_url: str
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    """Pinned in the connector id only: Shopware has no version in its URLs since 6.4."""
    page_limit: int = 250
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT
    refresh_margin: float = REFRESH_MARGIN_SECONDS


@dataclass(kw_only=True)
class StockCounters:
    """What stock writes ran into, for ``/status``."""

    writes: int = 0
    races: int = 0
    lost_units: int = 0
    ignored: int = 0
    rejected: int = 0


def error_of(response: httpx.Response) -> SyncError:
    """The engine error for a non-2xx Shopware answer, carrying ``errors[0].code``."""
    first: dict[str, Any] = {}
    try:
        errors = response.json().get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
    except (ValueError, AttributeError):
        pass  # an HTML page from the proxy in front (502/504)
    code = str(first["code"]) if first.get("code") is not None else None
    text = str(first.get("detail") or response.text[:300])
    detail = f"shopware {response.status_code} {code or ''}: {text}".replace("  ", " ")
    if response.status_code == 429:
        params = (first.get("meta") or {}).get("parameters") or {}
        seconds = params.get("seconds") if isinstance(params, dict) else None
        retry_after = (
            float(seconds)
            if isinstance(seconds, (int, float)) and not isinstance(seconds, bool)
            else parse_retry_after(response.headers.get("Retry-After"))
        )
        error: SyncError = Throttled(detail, retry_after=retry_after)
    else:
        error = classify(response, detail)
    error.code = code
    return error


class ShopwareAdmin:
    """Calls to one shop's Admin API with a cached, single-flight OAuth token."""

    def __init__(
        self,
        dest: ShopwareDestination,
        *,
        clock: Clock,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.dest = dest
        self.clock = clock
        self.metrics = metrics
        self.breaker = CircuitBreaker(DESTINATION, clock=clock)
        self.budget = ConcurrencyBudget(
            clock=clock, initial=dest.max_in_flight, maximum=dest.max_in_flight
        )
        self.client = httpx.AsyncClient(
            base_url=dest.base_url.rstrip("/"),
            headers={"Accept": "application/json"},
            transport=transport,
            timeout=httpx.Timeout(30.0),
            limits=httpx.Limits(max_connections=dest.max_in_flight + 2),
        )
        self.stock = StockCounters()
        self.tokens_fetched = 0
        self._token: str | None = None
        self._renew_at = 0.0
        self._token_lock = asyncio.Lock()
        self._product_locks: dict[str, asyncio.Lock] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- token -------------------------------------------------------------------------------

    def _fresh(self) -> str | None:
        if self._token is not None and self.clock.now() < self._renew_at:
            return self._token
        return None

    async def _fetch_token(self) -> str:
        """One token call (the caller holds the lock)."""
        request = self.client.build_request(
            "POST",
            TOKEN_PATH,
            data={
                "grant_type": "client_credentials",
                "client_id": self.dest.client_id,
                "client_secret": self.dest.client_secret,
            },
        )
        started = self.clock.now()
        response = await send(
            self.client,
            request,
            destination=DESTINATION,
            clock=self.clock,
            metrics=self.metrics,
            breaker=self.breaker,
        )
        if not response.is_success:
            raise error_of(response)
        body = json_exact(response)
        self.tokens_fetched += 1
        lifetime = float(body.get("expires_in") or 600)
        margin = min(self.dest.refresh_margin, lifetime / 2)
        self._token = str(body["access_token"])
        self._renew_at = started + lifetime - margin
        return self._token

    async def access_token(self) -> str:
        """The cached token, renewed (once, for every waiting caller) when it is due."""
        token = self._fresh()
        if token is not None:
            return token
        async with self._token_lock:
            return self._fresh() or await self._fetch_token()

    async def _renew_after_401(self, refused: str) -> str:
        """A new token unless another caller already replaced the refused one."""
        async with self._token_lock:
            if self._token is not None and self._token != refused and self._fresh():
                return self._token
            self._token = None
            return await self._fetch_token()

    # -- calls -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """One place in the in-flight cap, held for the body of the ``async with``."""
        await self.budget.acquire()
        started = self.clock.now()
        ok = False
        try:
            yield
            ok = True
        finally:
            self.budget.release(ok=ok, latency=self.clock.now() - started)
            self.metrics.budget_utilisation.labels(DESTINATION).set(self.budget.utilisation())

    async def call(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One authenticated call without taking a slot (the caller holds one)."""
        token = await self.access_token()
        for attempt in (1, 2):
            request = self.client.build_request(
                method,
                url,
                json=body,
                params=dict(params) if params else None,
                headers={"Authorization": f"Bearer {token}"},
            )
            response = await send(
                self.client,
                request,
                destination=DESTINATION,
                clock=self.clock,
                metrics=self.metrics,
                breaker=self.breaker,
            )
            if response.status_code == 401 and attempt == 1:
                token = await self._renew_after_401(token)
                continue
            if response.is_success:
                return response
            error = error_of(response)
            if response.status_code == 401:
                raise AuthFailed(f"{error} (after a fresh token)", status=401)
            raise error
        raise AssertionError("unreachable")  # pragma: no cover

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        """One call within the in-flight cap; a non-2xx becomes the matching error."""
        async with self.slot():
            return await self.call(method, url, body=body, params=params)

    async def search(self, entity: str, criteria: Mapping[str, Any]) -> list[dict[str, Any]]:
        """``POST /api/search/{entity}``: the ``data`` rows."""
        response = await self.request("POST", f"/api/search/{entity}", body=dict(criteria))
        return list(json_exact(response).get("data") or [])

    async def search_pages(
        self, entity: str, criteria: Mapping[str, Any]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every page of a search, 1-indexed, with ``total-count-mode`` 2 (``total`` counts
        rows from this page on, so more than ``limit`` means there is a next page)."""
        limit = self.dest.page_limit
        page = 1
        while True:
            body = {**criteria, "page": page, "limit": limit, "total-count-mode": 2}
            response = await self.request("POST", f"/api/search/{entity}", body=body)
            result = json_exact(response)
            rows = list(result.get("data") or [])
            yield rows
            if len(rows) < limit or int(result.get("total") or 0) <= limit:
                return
            page += 1

    # -- stock -------------------------------------------------------------------------------

    async def _stock_row(self, product_id: str) -> dict[str, Any]:
        response = await self.call(
            "POST",
            "/api/search/product",
            body={"ids": [product_id], "includes": {"product": PRODUCT_STOCK_FIELDS}},
        )
        rows = json_exact(response).get("data") or []
        if not rows:
            raise RecordRejected(
                f"shopware product {product_id} not found",
                status=404,
                code="FRAMEWORK__RESOURCE_NOT_FOUND",
            )
        row: dict[str, Any] = rows[0]
        return row

    async def adjust_stock(self, product_id: str, delta: int) -> int:
        """``stock += delta`` by read, write and read-back; returns the stock read back.

        Raises :class:`StockWriteIgnored` when the shop left the stock alone, ``RecordRejected``
        when it refused the write, :class:`StockRaced` when the write overwrote orders.
        """
        lock = self._product_locks.setdefault(product_id, asyncio.Lock())
        async with lock, self.slot():
            before = await self._stock_row(product_id)
            stock0 = int(before["stock"])
            if delta == 0:
                return stock0
            try:
                await self.call(
                    "PATCH", f"/api/product/{product_id}", body={"stock": stock0 + delta}
                )
            except RecordRejected:
                self.stock.rejected += 1
                raise
            self.stock.writes += 1
            after = await self._stock_row(product_id)
        return self._judge_write(product_id, delta, before, after)

    def _judge_write(
        self, product_id: str, delta: int, before: dict[str, Any], after: dict[str, Any]
    ) -> int:
        stock0, stock1 = int(before["stock"]), int(after["stock"])
        sales0, sales1 = before.get("sales"), after.get("sales")
        number = before.get("productNumber") or product_id
        closeout = " (a closeout product: Shopware keeps its stock while on sale)"
        why = closeout if before.get("isCloseout") else ""
        if sales0 is None or sales1 is None:
            # No ``sales`` to tell orders from writes: only an unchanged level is telling.
            if stock1 == stock0:
                self.stock.ignored += 1
                raise StockWriteIgnored(
                    f"shopware ignored stock {stock0}{delta:+d} on {number}{why}",
                    code="SHOPWARE_STOCK_WRITE_IGNORED",
                )
            return stock1
        moved = (stock1 + int(sales1)) - (stock0 + int(sales0))
        if moved == 0 and int(sales1) != int(sales0) and stock1 == stock0 + delta:
            # A checkout of exactly the units we removed landed in between: either our write
            # was ignored or it overwrote that checkout. Only a re-read can tell, so it is a
            # race (the caller re-reads), never a frozen SKU.
            self.stock.races += 1
            raise StockRaced(
                f"shopware stock write on {number} raced a checkout of {int(sales1) - int(sales0)} "
                f"units: stock is {stock1}; re-read the level",
                lost_units=0,
            )
        if moved == 0:
            self.stock.ignored += 1
            raise StockWriteIgnored(
                f"shopware ignored stock {stock0}{delta:+d} on {number}{why}: stock is {stock1}",
                code="SHOPWARE_STOCK_WRITE_IGNORED",
            )
        lost = moved - delta
        if lost:
            self.stock.races += 1
            self.stock.lost_units += lost
            raise StockRaced(
                f"shopware stock write on {number} overwrote {lost:+d} units of orders placed "
                f"between read and write: stock is {stock1}; re-read the level",
                lost_units=lost,
            )
        return stock1

    def stats(self) -> dict[str, Any]:
        """Budget, circuit, token and stock figures for ``/status``."""
        return {
            "budget": self.budget.stats(),
            "in_flight": self.budget.in_flight,
            "circuit": self.breaker.stats(),
            "tokens_fetched": self.tokens_fetched,
            "stock": vars(self.stock).copy(),
        }

"""The two clients the benchmark drives against each mock: our engine's and a naive one.

*Ours* goes through the engine's connectors and budgets with several calls in flight, exactly
as the engine would; a throttled call is sent again through the budget (the flows' retry, with
the budget doing the pacing). *Naive* sends one call at a time and, on a 429 / THROTTLED /
concurrency rejection, sleeps ``Retry-After`` or 1 s and sends it again: the client most
integrations start with. Both record every call in simulated time.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from scenarios.bench_measure import Call, Outcome
from simclock import ScaledClock
from sync_engine.budgets import ConcurrencyBudget
from sync_engine.config import ErpDestination, ShopifyDestination
from sync_engine.connectors.http import parse_retry_after
from sync_engine.connectors.netsuite_rest import NetSuiteRest, sales_order_payload
from sync_engine.connectors.shopify_graphql import (
    MUTATION_COST,
    SET_QUANTITIES,
    QuantitySet,
    ShopifyGraphQL,
)
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.connectors.shopline_rest import ShoplineDestination, ShoplineRest
from sync_engine.errors import ConcurrencyRejected, SyncError, Throttled
from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.skus import ANY_SKU
from sync_engine.metrics import Metrics
from sync_engine.model import Order, OrderLine

NAIVE_DEFAULT_WAIT = 1.0
"""What a naive client (and Shopify's own libraries) waits when no Retry-After is given."""
SHOPIFY_VERSION = "2026-01"
SHOPLINE_VERSION = "v20250301"
ERP_LOCATION = "1"


@dataclass(frozen=True, kw_only=True)
class Target:
    """A seeded mock to drive: where it is, how to log in, what to touch."""

    base_url: str
    token: str
    items: list[str]
    """Inventory item ids (Shopify, SHOPLINE) or SKUs (ERP), used round-robin."""
    location: str
    clock: ScaledClock
    n: int
    concurrency: int


Op = Callable[[int], Awaitable[None]]


async def _ours(target: Target, op: Op, *, units: float = 1.0) -> list[Call]:
    """``concurrency`` workers send calls ``0..n-1``; a throttled one is sent again."""
    clock, calls = target.clock, []
    counter = itertools.count()

    async def worker() -> None:
        while (i := next(counter)) < target.n:
            while True:
                started = clock.now()
                outcome: Outcome = "ok"
                try:
                    await op(i)
                except Throttled:
                    outcome = "throttled"
                except SyncError:
                    outcome = "error"
                calls.append(
                    Call(started=started, finished=clock.now(), outcome=outcome, units=units)
                )
                if outcome == "ok":
                    break

    await asyncio.gather(*(worker() for _ in range(target.concurrency)))
    return calls


async def _naive(
    target: Target,
    send: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]],
    *,
    throttled: Callable[[httpx.Response], bool],
    units: float = 1.0,
) -> list[Call]:
    """One call at a time; on throttling sleep Retry-After (or 1 s) and send it again."""
    clock, calls = target.clock, []
    async with httpx.AsyncClient(base_url=target.base_url, timeout=60.0) as client:
        for i in range(target.n):
            while True:
                started = clock.now()
                response = await send(client, i)
                is_throttled = throttled(response)
                outcome: Outcome = (
                    "throttled" if is_throttled else "ok" if response.is_success else "error"
                )
                calls.append(
                    Call(started=started, finished=clock.now(), outcome=outcome, units=units)
                )
                if outcome == "ok":
                    break
                wait = parse_retry_after(response.headers.get("Retry-After"))
                await clock.sleep(NAIVE_DEFAULT_WAIT if wait is None else wait)
    return calls


def _status_429(response: httpx.Response) -> bool:
    return response.status_code == 429


# -- (a) Shopify REST -------------------------------------------------------------------------


def _shopify_dest(target: Target) -> ShopifyDestination:
    return ShopifyDestination(
        base_url=target.base_url,
        access_token=target.token,
        webhook_secret="unused",
        api_version=SHOPIFY_VERSION,
    )


async def shopify_rest_ours(target: Target) -> tuple[list[Call], dict[str, Any]]:
    rest = ShopifyRest(_shopify_dest(target), clock=target.clock, metrics=Metrics())

    async def op(i: int) -> None:
        await rest.adjust(int(target.items[i % len(target.items)]), int(target.location), 1)

    try:
        return await _ours(target, op), rest.budget.stats()
    finally:
        await rest.aclose()


async def shopify_rest_naive(target: Target) -> tuple[list[Call], dict[str, Any]]:
    headers = {"X-Shopify-Access-Token": target.token}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {
            "inventory_item_id": int(target.items[i % len(target.items)]),
            "location_id": int(target.location),
            "available_adjustment": 1,
        }
        return await client.post(
            f"/admin/api/{SHOPIFY_VERSION}/inventory_levels/adjust.json", json=body, headers=headers
        )

    return await _naive(target, send, throttled=_status_429), {}


# -- (b) Shopify GraphQL ----------------------------------------------------------------------


def _set_input(target: Target, i: int) -> dict[str, Any]:
    item = target.items[i % len(target.items)]
    return {
        "name": "available",
        "reason": "correction",
        "ignoreCompareQuantity": True,
        "quantities": [
            {
                "inventoryItemId": f"gid://shopify/InventoryItem/{item}",
                "locationId": f"gid://shopify/Location/{target.location}",
                "quantity": 1000 + i,
            }
        ],
    }


async def shopify_graphql_ours(target: Target) -> tuple[list[Call], dict[str, Any]]:
    gql = ShopifyGraphQL(_shopify_dest(target), clock=target.clock, metrics=Metrics())

    async def op(i: int) -> None:
        item = int(target.items[i % len(target.items)])
        await gql.inventory_set(
            [QuantitySet(item_id=item, location_id=int(target.location), quantity=1000 + i)]
        )

    try:
        return await _ours(target, op, units=MUTATION_COST), gql.budget.stats()
    finally:
        await gql.aclose()


def _graphql_throttled(response: httpx.Response) -> bool:
    errors = response.json().get("errors") or []
    return any((e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


async def shopify_graphql_naive(target: Target) -> tuple[list[Call], dict[str, Any]]:
    headers = {"X-Shopify-Access-Token": target.token}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {"query": SET_QUANTITIES, "variables": {"input": _set_input(target, i)}}
        return await client.post(
            f"/admin/api/{SHOPIFY_VERSION}/graphql.json", json=body, headers=headers
        )

    calls = await _naive(target, send, throttled=_graphql_throttled, units=MUTATION_COST)
    return calls, {}


# -- (c) SHOPLINE -----------------------------------------------------------------------------


async def shopline_ours(target: Target) -> tuple[list[Call], dict[str, Any]]:
    dest = ShoplineDestination(
        base_url=target.base_url, access_token=target.token, api_version=SHOPLINE_VERSION
    )
    rest = ShoplineRest(dest, clock=target.clock, metrics=Metrics())

    async def op(i: int) -> None:
        await rest.adjust(target.items[i % len(target.items)], target.location, 1)

    try:
        return await _ours(target, op), rest.budget.stats()
    finally:
        await rest.aclose()


async def shopline_naive(target: Target) -> tuple[list[Call], dict[str, Any]]:
    headers = {"Authorization": f"Bearer {target.token}"}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        body = {
            "inventory_item_id": target.items[i % len(target.items)],
            "location_id": target.location,
            "available_adjustment": 1,
        }
        return await client.post(
            f"/admin/openapi/{SHOPLINE_VERSION}/inventory_levels/adjust.json",
            json=body,
            headers=headers,
        )

    return await _naive(target, send, throttled=_status_429), {}


# -- (d) the ERP's concurrency limit ----------------------------------------------------------


def bench_order(i: int, sku: str) -> Order:
    """A small, valid order to upsert (money in Decimal, as everywhere)."""
    price = Decimal("19.99")
    return Order(
        channel="bench",
        order_id=str(i + 1),
        number=f"B{i + 1}",
        created_ts=1_764_000_000.0,
        email=f"bench{i % 50}@example.com",
        currency="USD",
        lines=(
            OrderLine(
                sku=sku, quantity=1, unit_price=price, discount=Decimal("0"), tax=Decimal("0")
            ),
        ),
        discount_total=Decimal("0"),
        tax_total=Decimal("0"),
        shipping=Decimal("0"),
        total=price,
    )


async def erp_ours(target: Target) -> tuple[list[Call], dict[str, Any]]:
    dest = ErpDestination(
        base_url=target.base_url,
        access_token=target.token,
        initial_concurrency=4,
        max_concurrency=64,
    )
    erp = NetSuiteRest(dest, clock=target.clock, metrics=Metrics())
    budget = ConcurrencyBudget(
        clock=target.clock,
        initial=dest.initial_concurrency,
        maximum=dest.max_concurrency,
        decrease_factor=dest.decrease_factor,
    )
    clock, calls = target.clock, []
    counter = itertools.count()

    async def worker() -> None:
        while (i := next(counter)) < target.n:
            order = bench_order(i, target.items[i % len(target.items)])
            while True:
                sent_with = await budget.acquire()
                started = clock.now()
                try:
                    await erp.upsert_sales_order(
                        map_order(order, MappingRules(), ANY_SKU), location_id=target.location
                    )
                except ConcurrencyRejected:
                    budget.release(ok=False, rejected=True, sent_with=sent_with)
                    calls.append(Call(started=started, finished=clock.now(), outcome="throttled"))
                    continue
                except SyncError:
                    budget.release(ok=False)
                    calls.append(Call(started=started, finished=clock.now(), outcome="error"))
                    continue
                budget.release(ok=True, latency=clock.now() - started)
                calls.append(Call(started=started, finished=clock.now(), outcome="ok"))
                break

    try:
        await asyncio.gather(*(worker() for _ in range(int(dest.max_concurrency))))
        return calls, budget.stats()
    finally:
        await erp.aclose()


async def erp_naive(target: Target) -> tuple[list[Call], dict[str, Any]]:
    headers = {"Authorization": f"Bearer {target.token}"}

    async def send(client: httpx.AsyncClient, i: int) -> httpx.Response:
        order = bench_order(i, target.items[i % len(target.items)])
        return await client.put(
            f"/services/rest/record/v1/salesOrder/eid:{order.external_id}",
            json=sales_order_payload(
                map_order(order, MappingRules(), ANY_SKU), location_id=target.location
            ),
            headers=headers,
        )

    return await _naive(target, send, throttled=_status_429), {}

"""Several engines share one PostgreSQL queue and drain one backlog into one ERP, once each.

The engines are ``Engine`` objects in one process, each with its own lease owner and its own
database connection, rather than separate processes: that way they share one virtual clock
and one in-process ERP mock whose counters (``upserts.created`` / ``updated``) are exact
ground truth, and a run is deterministic and takes seconds. What makes engines on different
machines safe is the database, not the process boundary: every engine leases through its own
connection, exactly as a remote one would. Real lock contention between connections
(``FOR UPDATE SKIP LOCKED`` racing in parallel) is exercised by the threaded case in
``tests/unit/test_store_contract.py``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sync_engine.app import create_app as create_engine_app
from sync_engine.engine import Engine
from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.skus import ANY_SKU
from sync_engine.model import Order
from sync_engine.store.postgres import PostgresStore
from sync_engine.store.testing import scratch_schema
from tests.harness import ERP_CREDS, System, build
from tests.unit.test_store_contract import pg_url

pytestmark = pytest.mark.postgres

N_ORDERS = 210
N_ENGINES = 3
SKUS = {"A": 10_000, "B": 10_000, "HOT": 10_000}
# Long enough that no lease runs out while its request is in flight: with the virtual clock's
# autojump, every concurrent request's latency adds to simulated time.
REQUEST_TIMEOUT = 3_600.0


@pytest.fixture
def store_url() -> Iterator[str]:
    with scratch_schema(pg_url(), prefix="multi") as url:
        yield url


class Fleet:
    """N engines on one store, one Shopify mock, one ERP mock; counts each engine's upserts."""

    def __init__(self, system: System, engines: list[Engine]) -> None:
        self.system = system
        self.engines = engines
        self.apps = [create_engine_app(e, run_loops=False) for e in engines]
        self.upserts_by_engine: Counter[str] = Counter()
        self.upserted: list[str] = []
        for engine in engines:
            self._count(engine)

    def _count(self, engine: Engine) -> None:
        send = engine.erp.upsert_sales_order

        async def counted(order: Order, **kw: Any) -> None:
            await send(order, **kw)
            self.upserts_by_engine[engine.engine_id] += 1  # reached only when it succeeded
            self.upserted.append(order.external_id)

        engine.erp.upsert_sales_order = counted  # type: ignore[method-assign]

    async def deliver(self, engine_index: int, hook: Any) -> str:
        app = self.apps[engine_index % len(self.apps)]
        async with self.system.client(app, "http://engine.test") as c:
            r = await c.post("/webhooks/shopify", content=hook.body, headers=hook.headers)
        r.raise_for_status()
        return str(r.json()["status"])

    async def drain(self) -> None:
        await asyncio.gather(*(e.orders.drain() for e in self.engines))

    async def erp_state(self) -> dict[str, Any]:
        _, erp = await self.system.states()
        return erp

    async def stop(self) -> None:
        for engine in self.engines:
            await engine.stop()


async def start_fleet(url: str, n: int = N_ENGINES) -> Fleet:
    erp = {
        "base_url": "http://erp.test",
        "access_token": ERP_CREDS["access_token"],
        "initial_concurrency": 4,
        "request_timeout": REQUEST_TIMEOUT,
    }
    system = await build(
        skus=SKUS, engine_overrides={"store_url": url, "engine_id": "engine-0", "erp": erp}
    )
    engines = [system.engine]
    for i in range(1, n):
        config = system.engine.config.model_copy(update={"engine_id": f"engine-{i}"})
        engines.append(
            Engine(
                config,
                clock=system.clock,
                shopify_transport=httpx.ASGITransport(app=system.shopify),
                erp_transport=httpx.ASGITransport(app=system.erp),
            )
        )
    return Fleet(system, engines)


async def backlog(fleet: Fleet, n: int = N_ORDERS) -> None:
    """``n`` checkouts; each webhook reaches one engine, and a redelivery reaches another."""
    skus = list(SKUS)
    for i in range(n):
        assert await fleet.system.checkout([{"sku": skus[i % len(skus)], "quantity": 1}]) == 201
    hooks = await fleet.system.flush_webhooks()
    assert len(hooks) == n
    for i, hook in enumerate(hooks):
        assert await fleet.deliver(i, hook) == "accepted"
        assert await fleet.deliver(i + 1, hook) == "duplicate"  # the shared inbox dedupes
    assert fleet.engines[0].store.order_counts()["pending"] == n


def assert_each_order_once(erp: dict[str, Any], n: int) -> None:
    ids = [so["externalId"] for so in erp["sales_orders"]]
    assert len(ids) == len(set(ids)) == n
    assert erp["stats"]["upserts"]["created"] == n


def test_three_engines_drain_one_backlog_with_no_duplicate_effect(store_url: str) -> None:
    async def go() -> None:
        fleet = await start_fleet(store_url)
        await backlog(fleet)
        await fleet.drain()
        erp = await fleet.erp_state()
        assert_each_order_once(erp, N_ORDERS)
        # Not one order was even sent twice: a second send would show as an update.
        assert erp["stats"]["upserts"]["updated"] == 0
        assert len(fleet.upserted) == len(set(fleet.upserted)) == N_ORDERS
        # The work was shared: every engine synced some of the backlog.
        assert set(fleet.upserts_by_engine) == {e.engine_id for e in fleet.engines}
        for engine in fleet.engines:
            assert engine.store.order_counts() == {
                "pending": 0,
                "synced": N_ORDERS,
                "exception": 0,
            }
        findings = await fleet.system.findings()
        assert findings.lost == 0 and findings.duplicated == 0
        await fleet.stop()

    asyncio.run(go())


def test_orders_leased_by_a_crashed_engine_are_taken_over_once_its_lease_runs_out(
    store_url: str,
) -> None:
    """An engine claims 30 orders, sends 12 of them to the ERP and dies before recording it."""

    async def go() -> None:
        fleet = await start_fleet(store_url)
        await backlog(fleet)
        clock = fleet.system.clock
        crashed_at, crash_lease = clock.now(), 90.0
        doomed = PostgresStore(store_url)
        leased = doomed.lease_due_orders("crashed", crashed_at, 30, crash_lease, scarce_below=0)
        assert len(leased) == 30
        erp_location = next(iter(fleet.system.location_map))
        for due in leased[:12]:
            mapped = map_order(due.order, MappingRules(), ANY_SKU)
            await fleet.engines[0].erp.upsert_sales_order(mapped, location_id=erp_location)
        doomed.close()  # no mark_synced, no release: the process is gone
        fleet.upserted.clear()
        fleet.upserts_by_engine.clear()

        await fleet.drain()
        assert clock.now() >= crashed_at + crash_lease  # the survivors had to wait it out
        erp = await fleet.erp_state()
        assert_each_order_once(erp, N_ORDERS)
        # The 12 whose outcome died with the engine were sent again, as idempotent updates.
        assert erp["stats"]["upserts"]["updated"] == 12
        taken_over = {d.order.external_id for d in leased}
        assert taken_over <= set(fleet.upserted)
        assert len(fleet.upserted) == len(set(fleet.upserted)) == N_ORDERS
        assert fleet.engines[1].store.order_counts()["synced"] == N_ORDERS
        await fleet.stop()

    asyncio.run(go())

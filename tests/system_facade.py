"""The whole system behind a synchronous facade, for Hypothesis state machines.

Shopify and Shopware sell one catalogue into the NetSuite-style ERP; the mocks and the engine
meet over ``httpx.ASGITransport`` on one :class:`~simclock.VirtualClock` (autojump: back-offs
and latencies cost no wall time). One event loop per mock set; ``run(coro)`` runs a coroutine
on it to completion, so every rule of a machine is a plain function.

The engine's loops are not started: the facade offers each loop's body as a step (``sync
orders``, ``poll the channels``, ``push stock``, ``run the jobs``) so a machine decides the
interleaving. Webhooks are captured, not delivered; the machine decides their fate.

A **crash** is what SIGKILL does to an engine process: the engine's in-flight requests are
cancelled part-way, its leases stay taken, its in-memory state (stock ledger estimates,
budgets, cursors not yet written) is gone, and webhooks sent while it is down are lost to it
(Shopify would retry; the captured deliveries here do not, so the poller must find them). A
**restart** builds a new engine, under a new lease owner name, on the same store.

**Speed.** Building the three mock apps costs more than a whole example (FastAPI builds each
route's validators on its first request), so a :class:`MockSet` (apps, event loop, clock) is
built once per process and settings and *reset* between facades: ``/_mock/reset`` on every
mock (catalogue, orders, outbox, fault plan, counters), Shopware's issued tokens and webhook
sequence forgotten, the clock back to ``START`` (first), every random generator back at its
first state, leftover tasks cancelled, then seeded again (the no-leak tests in
``tests/unit/test_system_facade_reset.py`` hold a reused set to a fresh one). The store is
``memory://`` by default, one instance outliving the engines built on it: every store method is
atomic, so a SIGKILL loses no committed write, as with SQLite's WAL; ``store="sqlite"`` keeps
the SQLite file. Invariants read each mock's model (``model.state()``, the dict
``/_mock/state`` serves) instead of JSON over ASGI.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import random
import shutil
import sys
import tempfile
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import httpx

from mocks.common.fault_middleware import ConnectionDropped
from mocks.erp.api import create_app as create_erp
from mocks.shopify.api import create_app as create_shopify
from mocks.shopware.api import create_app as create_shopware
from scenarios.invariants import Findings, check_channels
from scenarios.invariants_channels import read_back_office, read_channel
from simclock import VirtualClock
from sync_engine.app import create_app as create_engine_app
from sync_engine.config import EngineConfig
from sync_engine.engine import Engine
from sync_engine.errors import SyncError
from sync_engine.store import Store, open_store

T = TypeVar("T")

if importlib.util.find_spec("sniffio") is None:
    # httpx's ASGITransport tries ``import sniffio`` on every request (to detect trio); when
    # it is not installed, each failed import scans sys.path, which cost more than the
    # request itself (~2 ms under pytest). A None entry makes the import fail at once.
    sys.modules["sniffio"] = None  # type: ignore[assignment]

CHANNELS = ("shopify", "shopware")
SHOPIFY = {"access_token": "shpat_machine", "webhook_secret": "whsec_machine"}
SHOPWARE = {
    "client_id": "SWIAMACHINE",
    "client_secret": "sw_machine",
    "webhook_secret": "sw_shop_machine",
}
ERP = {"access_token": "erp_machine"}
ADMIN = "/admin/api/2026-01"
PRICE = "19.99"
START = 1_764_000_000.0
HANG_SECONDS = 120.0


@dataclass
class Hook:
    """One captured webhook delivery."""

    channel: str
    headers: dict[str, str]
    body: bytes


class EngineDown(RuntimeError):
    """A step needs the engine while it is crashed."""


class MachineClock(VirtualClock):
    """The one virtual clock a :class:`MockSet`'s apps hold, rewound for each facade."""

    def rewind(self) -> None:
        """Back to ``START``: no sleepers, nothing slept (the state of a new clock)."""
        VirtualClock.__init__(self, START)


class MockSet:
    """Shopify, Shopware and the ERP on one event loop and one clock, built once, reset often.

    Webhooks the channels send are appended to ``hooks`` (the facade using the set reads and
    replaces that list).
    """

    def __init__(self, *, erp_settings: dict[str, Any], seed: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.clock = MachineClock(START)
        self.hooks: list[Hook] = []
        self.apps: dict[str, Any] = {
            "shopify": create_shopify(
                settings={},
                clock=self.clock,
                credentials=SHOPIFY,
                seed=seed,
                webhook_transport=self._capture("shopify"),
            ),
            "shopware": create_shopware(
                settings={},
                clock=self.clock,
                credentials=SHOPWARE,
                seed=seed,
                webhook_transport=self._capture("shopware"),
            ),
            "erp": create_erp(
                settings={"write_latency_median": 0.5, **erp_settings},
                clock=self.clock,
                credentials=ERP,
                seed=seed,
            ),
        }
        states = [app.state for app in self.apps.values()]
        self._rngs = [(rng, rng.getstate()) for rng in random_generators(states)]

    def _capture(self, channel: str) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            self.hooks.append(Hook(channel, dict(request.headers), request.content))
            return httpx.Response(200)

        return httpx.MockTransport(handler)

    def reset(self) -> None:
        """As if just built: no task left on the loop, clock at ``START``, every mock reset,
        every random generator the apps were built with back at its first state (ids, tokens
        and fault draws repeat, so Hypothesis can replay an example)."""
        # First the clock: a reset stamps ``now`` (fault plan origin, bucket refills), and a
        # stamp from the last example's late clock would be in the new example's future.
        self.clock.rewind()

        async def go() -> None:
            current = asyncio.current_task()
            leftovers = [t for t in asyncio.all_tasks() if t is not current]
            for task in leftovers:
                task.cancel()
            await asyncio.gather(*leftovers, return_exceptions=True)
            for name, app in self.apps.items():
                async with _client(app, name) as c:
                    r = await c.post("/_mock/reset")
                    assert r.status_code == 200, r.text

        self.loop.run_until_complete(go())
        # Shopware keeps issued OAuth tokens and its X-Shopware-Sequence across /_mock/reset
        # (an engine may outlive a reset of a long-running mock); an example starts without.
        shopware = self.apps["shopware"].state.model
        shopware.tokens.reset()
        shopware.notifier.sequence = 0
        for rng, first in self._rngs:
            rng.setstate(first)
        self.hooks = []


def random_generators(roots: Any, *, depth: int = 12) -> Iterator[random.Random]:
    """Every ``random.Random`` reachable from ``roots`` (apps, their ``state``, models) through
    attributes, dicts and sequences, each once."""
    seen: set[int] = set()
    stack: list[tuple[Any, int]] = [(root, 0) for root in roots]
    while stack:
        obj, level = stack.pop()
        if id(obj) in seen or level > depth or isinstance(obj, (type, str, bytes)):
            continue
        seen.add(id(obj))
        if isinstance(obj, random.Random):
            yield obj
            continue
        if isinstance(obj, dict):
            children: list[Any] = list(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            children = list(obj)
        else:
            children = list(getattr(obj, "__dict__", {}).values())
        stack.extend((child, level + 1) for child in children)


_MOCK_SETS: dict[str, MockSet] = {}


def mock_set(*, erp_settings: dict[str, Any], seed: int) -> MockSet:
    """The process's :class:`MockSet` for these settings, reset (built on first use)."""
    key = json.dumps({"erp": erp_settings, "seed": seed}, sort_keys=True)
    mocks = _MOCK_SETS.get(key)
    if mocks is None:
        mocks = _MOCK_SETS[key] = MockSet(erp_settings=erp_settings, seed=seed)
    else:
        mocks.reset()
    return mocks


def _client(app: Any, name: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test")


class SystemFacade:
    """Mocks and engine in one process, driven step by step through synchronous calls."""

    def __init__(
        self,
        *,
        skus: dict[str, int],
        buffer: int = 0,
        erp_settings: dict[str, Any] | None = None,
        seed: int = 1,
        store: Literal["memory", "sqlite"] = "memory",
        fresh: bool = False,
    ) -> None:
        """``fresh`` builds new mock apps instead of resetting this process's shared set."""
        self.skus = dict(skus)
        self.buffer = buffer
        settings = dict(erp_settings or {})
        self.mocks = (
            MockSet(erp_settings=settings, seed=seed)
            if fresh
            else mock_set(erp_settings=settings, seed=seed)
        )
        self.owns_mocks = fresh
        self.loop = self.mocks.loop
        self.clock: VirtualClock = self.mocks.clock
        self.apps = self.mocks.apps
        self.workdir = Path(tempfile.mkdtemp(prefix="rehearsal-machine-"))
        self.store_url = str(self.workdir / "engine.sqlite") if store == "sqlite" else "memory://"
        self.store: Store = open_store(self.store_url)
        self.engine: Engine | None = None
        self.engine_app: Any = None
        self.crashes = 0
        self.run(self._seed())
        self.config = self._config()
        self.start_engine()

    # -- plumbing ----------------------------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on this facade's event loop to completion.

        On the autojump clock nothing waits on wall time, so a step that is still running
        after ``HANG_SECONDS`` of wall time is a livelock (an endless retry), not a slow step.
        """
        try:
            return self.loop.run_until_complete(asyncio.wait_for(coro, HANG_SECONDS))
        except TimeoutError:
            raise AssertionError(
                f"a step never finished ({HANG_SECONDS} s of wall time, "
                f"{self.clock.now() - START:.0f} simulated s since the start): a livelock"
            ) from None

    @property
    def hooks(self) -> list[Hook]:
        """Captured webhook deliveries not yet handed to the engine."""
        return self.mocks.hooks

    @hooks.setter
    def hooks(self, value: list[Hook]) -> None:
        self.mocks.hooks = value

    def client(self, name: str) -> httpx.AsyncClient:
        return _client(self.engine_app if name == "engine" else self.apps[name], name)

    def request(self, name: str, method: str, path: str, **kw: Any) -> httpx.Response:
        """One call to a mock (``shopify`` admin paths get the access token). A connection
        the fault plan drops comes back as status 0 (what a browser would show: nothing)."""

        async def go() -> httpx.Response:
            async with self.client(name) as c:
                headers = {"X-Shopify-Access-Token": SHOPIFY["access_token"]}
                if name == "shopify" and path.startswith("/admin/"):
                    kw.setdefault("headers", headers)
                try:
                    return await c.request(method, path, **kw)
                except (httpx.TransportError, ConnectionDropped):
                    return httpx.Response(0, json={"error": "connection dropped"})

        return self.run(go())

    def state(self, name: str) -> dict[str, Any]:
        """A mock's ground truth: what its ``/_mock/state`` serves, read from the model."""
        result: dict[str, Any] = self.apps[name].state.model.state()
        return result

    async def _seed(self) -> None:
        async def seed(name: str, body: dict[str, Any]) -> dict[str, Any]:
            async with self.client(name) as c:
                r = await c.post("/_mock/seed", json=body)
                assert r.status_code == 200, r.text
                result: dict[str, Any] = r.json()
                return result

        await seed(
            "erp",
            {
                "locations": [{"id": "1", "name": "WH"}],
                "items": [{"sku": s, "on_hand": {"1": n}} for s, n in self.skus.items()],
            },
        )
        shop = await seed(
            "shopify",
            {
                "locations": [{"name": "WH"}],
                "products": [
                    {"sku": s, "title": s, "price": PRICE, "inventory": {"WH": n}}
                    for s, n in self.skus.items()
                ],
            },
        )
        self.shopify_location = str(shop["locations"][0]["id"])
        await seed(
            "shopware",
            {
                "products": [
                    {"productNumber": s, "name": s, "stock": n, "price": "23.79"}
                    for s, n in self.skus.items()
                ],
                "webhooks": [
                    {
                        "event": "order.written",
                        "url": "http://engine.test/webhooks/shopware",
                        "onlyLiveVersion": True,
                    }
                ],
            },
        )

    def _config(self) -> EngineConfig:
        return EngineConfig.model_validate(
            {
                "store_url": self.store_url,
                "stock_buffer": self.buffer,
                "channels": {
                    "shopify": {
                        "platform": "shopify",
                        "base_url": "http://shopify.test",
                        **SHOPIFY,
                        "location_map": {"1": self.shopify_location},
                    },
                    "shopware": {
                        "platform": "shopware",
                        "base_url": "http://shopware.test",
                        **SHOPWARE,
                        "location_map": {"1": "default"},
                    },
                },
                "erp": {"base_url": "http://erp.test", **ERP, "initial_concurrency": 4},
                "webhook_address": "http://engine.test/webhooks",
                "reconcile": {"enabled": False},
            }
        )

    # -- the engine's life -------------------------------------------------------------------

    @property
    def up(self) -> bool:
        return self.engine is not None

    def live(self) -> Engine:
        if self.engine is None:
            raise EngineDown("the engine is down")
        return self.engine

    def start_engine(self) -> None:
        """A fresh engine process on the same store: subscribes, reads stock, pushes."""
        engine = Engine(
            self.config,
            clock=self.clock,
            erp_transport=httpx.ASGITransport(app=self.apps["erp"]),
            channel_transports={n: httpx.ASGITransport(app=self.apps[n]) for n in CHANNELS},
            store=self.store,
        )
        self.engine_app = None  # built by the first delivery (most engines never get one)
        self.run(engine.prepare())
        self.engine = engine

    def crash(self, after_steps: int) -> None:
        """SIGKILL mid-sync: let ``orders.drain`` run ``after_steps`` loop turns, then drop
        everything the process held in memory. Leases stay taken; nothing is released."""
        engine = self.live()

        async def go() -> None:
            task = asyncio.create_task(engine.orders.drain())
            for _ in range(after_steps):
                if task.done():
                    break
                await asyncio.sleep(0)
            doomed = [task, *engine.orders.in_flight.values()]
            for t in doomed:
                t.cancel()
            await asyncio.gather(*doomed, return_exceptions=True)
            # Sockets die with the process; the store connection goes without a commit.
            for channel in engine.channels.values():
                with contextlib.suppress(Exception):
                    await channel.aclose()
            with contextlib.suppress(Exception):
                await engine.erp.aclose()

        self.run(go())
        engine.store.close()
        if self.store_url != "memory://":
            self.store = open_store(self.store_url)
        self.engine = None
        self.engine_app = None
        self.crashes += 1

    def close(self) -> None:
        if self.engine is not None:
            self.run(self.engine.stop())
            self.engine = None
        self.store.close()
        if self.owns_mocks:
            self.loop.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # -- webhooks ----------------------------------------------------------------------------

    def flush_outboxes(self) -> None:
        """Let every channel's outbox send what is due (into the capture)."""

        async def go() -> None:
            for name in CHANNELS:
                await self.apps[name].state.outbox.deliver_due()

        self.run(go())

    def deliver(self, hooks: list[Hook]) -> list[int]:
        """Hand ``hooks`` to the engine in this order; statuses (0 = engine down, lost)."""
        if self.engine is None:
            return [0 for _ in hooks]
        if not hooks:
            return []
        if self.engine_app is None:
            self.engine_app = create_engine_app(self.engine, run_loops=False)

        async def go() -> list[int]:
            out = []
            async with self.client("engine") as c:
                for hook in hooks:
                    r = await c.post(
                        f"/webhooks/{hook.channel}", content=hook.body, headers=hook.headers
                    )
                    out.append(r.status_code)
            return out

        return self.run(go())

    # -- engine steps (each one turn of one of the engine's loops) ---------------------------

    def step(self, coro: Coroutine[Any, Any, Any]) -> str:
        """Run one engine step; a platform error ends the step as the loop would ("failed")."""
        try:
            self.run(coro)
        except SyncError as error:
            return f"failed ({type(error).__name__})"
        return "ok"

    def sync_orders(self) -> str:
        return self.step(self.live().orders.drain())

    def poll_channels(self) -> str:
        return self.step(self.live().poller.poll_once())

    def sync_stock(self) -> str:
        engine = self.live()

        async def go() -> None:
            if engine.inventory.full_sync_needed or engine.inventory.quiet_sync_due():
                await engine.inventory.full_sync()
            else:
                await engine.inventory.poll_erp()
            await engine.inventory.push_once()

        return self.step(go())

    def run_jobs(self) -> str:
        engine = self.live()

        async def go() -> None:
            for flow in engine.job_flows:
                with contextlib.suppress(SyncError):
                    await flow.discover()
                await flow.work_once()

        return self.step(go())

    # -- ground truth ------------------------------------------------------------------------

    def findings(self, exception_keys: set[tuple[str, str]] | None = None) -> Findings:
        """The invariants module's findings over every mock's ``/_mock/state``."""
        held: set[tuple[str, str]] = set(exception_keys or set())
        if self.engine is not None:
            held |= {(str(r["channel"]), str(r["order_id"])) for r in self.held_records()}
        return check_channels(
            [read_channel(n, n, self.state(n)) for n in CHANNELS],
            read_back_office("erp", self.state("erp")),
            buffers={n: self.buffer for n in CHANNELS},
            location_maps={
                "shopify": {"1": self.shopify_location},
                "shopware": {"1": "default"},
            },
            exception_keys=held,
        )

    def held_records(self) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = self.live().store.held_records()
        return records

    def quiesce(self, rounds: int = 12, *, keep_faults: frozenset[str] = frozenset()) -> None:
        """Faults off (except on ``keep_faults``), engine up, every hook delivered, every loop
        run until nothing moves."""
        for name in (*CHANNELS, "erp"):
            if name not in keep_faults:
                self.request(name, "DELETE", "/_mock/faults")
        if not self.up:
            self.start_engine()
        engine = self.live()
        for _ in range(rounds):
            self.flush_outboxes()
            pending, self.hooks = self.hooks, []
            self.deliver(pending)
            # Settled only after a poll that worked: a poll refused by an open circuit (or a
            # fault's last seconds) has not looked for orders whose webhooks were lost, and the
            # engine's poller loop would try again a few seconds later.
            polled = self.poll_channels() == "ok"
            self.sync_orders()
            self.run_jobs()
            self.clock.advance(engine.config.timing.retry_cap)
            self.sync_orders()
            self.run_jobs()
            self.sync_stock()
            if polled and self._settled(engine):
                break
            self.clock.advance(engine.config.timing.quiet_full_sync_after)
        self.clock.advance(engine.config.timing.quiet_full_sync_after)
        self.step(engine.inventory.full_sync())
        self.step(engine.inventory.push_once())

    def _settled(self, engine: Engine) -> bool:
        jobs = engine.store.job_counts()
        busy = any(
            n for counts in jobs.values() for state, n in counts.items() if state == "pending"
        )
        return (
            not self.hooks
            and engine.store.order_counts()["pending"] == 0
            and not engine.orders.in_flight
            and not engine.inventory.pending_pushes()
            and not busy
        )

"""The whole system in one process: both mocks and the engine over httpx.ASGITransport.

Webhooks from the Shopify mock are captured instead of delivered, so a test decides their
fate (deliver, duplicate, reorder, drop) and replays them to the engine itself.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mocks.erp.api import create_app as create_erp
from mocks.shopify.api import create_app as create_shopify
from scenarios.invariants import Findings, check
from simclock import VirtualClock
from sync_engine.app import create_app as create_engine_app
from sync_engine.config import EngineConfig
from sync_engine.engine import Engine

SHOPIFY_CREDS = {"access_token": "shpat_test", "webhook_secret": "whsec_test"}
ERP_CREDS = {"access_token": "erp_test"}


@dataclass
class Captured:
    headers: dict[str, str]
    body: bytes


@dataclass
class System:
    clock: VirtualClock
    shopify: Any
    erp: Any
    engine: Engine
    engine_app: Any
    location_map: dict[str, int]
    captured: list[Captured] = field(default_factory=list)
    workdir: Path | None = None

    def client(self, app: Any, base: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base)

    async def checkout(self, lines: list[dict[str, Any]], email: str = "a@example.com") -> int:
        async with self.client(self.shopify, "http://shopify.test") as c:
            r = await c.post("/_sim/checkout", json={"lines": lines, "email": email})
            return r.status_code

    async def flush_webhooks(self) -> list[Captured]:
        """Let the outbox send everything due; returns what it sent since the last call."""
        before = len(self.captured)
        await self.shopify.state.outbox.deliver_due()
        return self.captured[before:]

    async def deliver(self, hook: Captured, *, tamper: bool = False) -> httpx.Response:
        body = hook.body + (b" " if tamper else b"")
        async with self.client(self.engine_app, "http://engine.test") as c:
            return await c.post("/webhooks/shopify", content=body, headers=hook.headers)

    async def states(self) -> tuple[dict[str, Any], dict[str, Any]]:
        async with (
            self.client(self.shopify, "http://shopify.test") as s,
            self.client(self.erp, "http://erp.test") as e,
        ):
            return (await s.get("/_mock/state")).json(), (await e.get("/_mock/state")).json()

    async def findings(self) -> Findings:
        shop, erp = await self.states()
        exceptions = {str(r["order_id"]) for r in self.engine.store.held_records()}
        return check(
            shop,
            erp,
            stock_buffer=self.engine.config.stock_buffer,
            location_map=self.location_map,
            exception_keys=exceptions,
        )


async def build(
    *,
    skus: dict[str, int],
    erp_settings: dict[str, Any] | None = None,
    shopify_settings: dict[str, Any] | None = None,
    engine_overrides: dict[str, Any] | None = None,
    workdir: Path | None = None,
) -> System:
    """Seed both mocks with ``skus`` (sku → on hand) and prepare the engine."""
    clock = VirtualClock()
    captured: list[Captured] = []

    def capture(request: httpx.Request) -> httpx.Response:
        captured.append(Captured(dict(request.headers), request.content))
        return httpx.Response(200)

    shopify = create_shopify(
        settings=shopify_settings or {},
        clock=clock,
        credentials=SHOPIFY_CREDS,
        seed=1,
        webhook_transport=httpx.MockTransport(capture),
    )
    erp = create_erp(
        settings={"write_latency_median": 1.0, **(erp_settings or {})},
        clock=clock,
        credentials=ERP_CREDS,
        seed=1,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=erp), base_url="http://erp.test"
    ) as c:
        r = await c.post(
            "/_mock/seed",
            json={
                "locations": [{"id": "1", "name": "WH"}],
                "items": [{"sku": s, "on_hand": {"1": n}} for s, n in skus.items()],
            },
        )
        r.raise_for_status()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=shopify), base_url="http://shopify.test"
    ) as c:
        r = await c.post(
            "/_mock/seed",
            json={
                "locations": [{"name": "WH"}],
                "products": [
                    {"sku": s, "title": s, "price": "19.99", "inventory": {"WH": n}}
                    for s, n in skus.items()
                ],
            },
        )
        r.raise_for_status()
        location_id = int(r.json()["locations"][0]["id"])
    workdir = workdir or Path(tempfile.mkdtemp(prefix="rehearsal-test-"))
    config = EngineConfig.model_validate(
        {
            "db_path": str(workdir / "engine.sqlite"),
            "shopify": {"base_url": "http://shopify.test", **SHOPIFY_CREDS},
            "erp": {
                "base_url": "http://erp.test",
                "access_token": ERP_CREDS["access_token"],
                "initial_concurrency": 4,
            },
            "location_map": {"1": location_id},
            "webhook_address": "http://engine.test/webhooks/shopify",
            **(engine_overrides or {}),
        }
    )
    engine = Engine(
        config,
        clock=clock,
        shopify_transport=httpx.ASGITransport(app=shopify),
        erp_transport=httpx.ASGITransport(app=erp),
    )
    engine_app = create_engine_app(engine, run_loops=False)
    await engine.prepare()
    return System(
        clock=clock,
        shopify=shopify,
        erp=erp,
        engine=engine,
        engine_app=engine_app,
        location_map={"1": location_id},
        captured=captured,
        workdir=workdir,
    )

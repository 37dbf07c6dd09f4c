"""Several channels and one back office in one process (httpx.ASGITransport, one virtual
clock): Shopify and Shopware selling the same catalogue into the NetSuite-style ERP.

Webhooks from every channel mock are captured, not delivered, so a test decides their fate
and hands them to the engine's ``/webhooks/{channel}`` route itself.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mocks.erp.api import create_app as create_erp
from mocks.shopify.api import create_app as create_shopify
from mocks.shopware.api import create_app as create_shopware
from simclock import VirtualClock
from sync_engine.app import create_app as create_engine_app
from sync_engine.config import EngineConfig
from sync_engine.engine import Engine

SHOPIFY = {"access_token": "shpat_multi", "webhook_secret": "whsec_multi"}
SHOPWARE = {
    "client_id": "SWIAMULTI",
    "client_secret": "sw_multi",
    "webhook_secret": "sw_shop_multi",
}
ERP = {"access_token": "erp_multi"}


@dataclass
class Hook:
    channel: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Multi:
    clock: VirtualClock
    apps: dict[str, Any]
    engine: Engine
    engine_app: Any
    hooks: list[Hook] = field(default_factory=list)

    def client(self, name: str) -> httpx.AsyncClient:
        app = self.engine_app if name == "engine" else self.apps[name]
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=f"http://{name}.test"
        )

    async def post(self, name: str, path: str, body: dict[str, Any]) -> httpx.Response:
        async with self.client(name) as c:
            return await c.post(path, json=body)

    async def state(self, name: str) -> dict[str, Any]:
        async with self.client(name) as c:
            result: dict[str, Any] = (await c.get("/_mock/state")).json()
            return result

    async def deliver_all(self) -> list[httpx.Response]:
        """Let every channel's outbox send what is due, and hand it all to the engine."""
        for name in ("shopify", "shopware"):
            await self.apps[name].state.outbox.deliver_due()
        answers = []
        pending, self.hooks = self.hooks, []
        async with self.client("engine") as c:
            for hook in pending:
                answers.append(
                    await c.post(
                        f"/webhooks/{hook.channel}", content=hook.body, headers=hook.headers
                    )
                )
        return answers


async def build_multi(
    *,
    skus: dict[str, int],
    shopware_products: list[dict[str, Any]] | None = None,
    engine_overrides: dict[str, Any] | None = None,
) -> Multi:
    """ERP stock ``skus`` (sku → on hand), the same SKUs on Shopify and Shopware."""
    clock = VirtualClock()
    hooks: list[Hook] = []

    def capture(channel: str) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            hooks.append(Hook(channel, dict(request.headers), request.content))
            return httpx.Response(200)

        return httpx.MockTransport(handler)

    apps: dict[str, Any] = {
        "shopify": create_shopify(
            settings={},
            clock=clock,
            credentials=SHOPIFY,
            seed=1,
            webhook_transport=capture("shopify"),
        ),
        "shopware": create_shopware(
            settings={},
            clock=clock,
            credentials=SHOPWARE,
            seed=1,
            webhook_transport=capture("shopware"),
        ),
        "erp": create_erp(
            settings={"write_latency_median": 0.5}, clock=clock, credentials=ERP, seed=1
        ),
    }

    async def seed(name: str, body: dict[str, Any]) -> dict[str, Any]:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=apps[name]), base_url=f"http://{name}.test"
        ) as c:
            r = await c.post("/_mock/seed", json=body)
            assert r.status_code == 200, r.text
            result: dict[str, Any] = r.json()
            return result

    await seed(
        "erp",
        {
            "locations": [{"id": "1", "name": "WH"}],
            "items": [{"sku": s, "on_hand": {"1": n}} for s, n in skus.items()],
        },
    )
    shop = await seed(
        "shopify",
        {
            "locations": [{"name": "WH"}],
            "products": [
                {"sku": s, "title": s, "price": "19.99", "inventory": {"WH": n}}
                for s, n in skus.items()
            ],
        },
    )
    await seed(
        "shopware",
        {
            "products": shopware_products
            or [
                {"productNumber": s, "name": s, "stock": n, "price": "23.79"}
                for s, n in skus.items()
            ],
            "promotions": [{"code": "FIVEOFF", "type": "absolute", "value": "5.00"}],
            "webhooks": [
                {
                    "event": "order.written",
                    "url": "http://engine.test/webhooks/shopware",
                    "onlyLiveVersion": True,
                }
            ],
        },
    )
    workdir = Path(tempfile.mkdtemp(prefix="rehearsal-multi-"))
    config = EngineConfig.model_validate(
        {
            "db_path": str(workdir / "engine.sqlite"),
            "channels": {
                "shopify": {
                    "platform": "shopify",
                    "base_url": "http://shopify.test",
                    **SHOPIFY,
                    "location_map": {"1": str(shop["locations"][0]["id"])},
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
            **(engine_overrides or {}),
        }
    )
    engine = Engine(
        config,
        clock=clock,
        erp_transport=httpx.ASGITransport(app=apps["erp"]),
        channel_transports={n: httpx.ASGITransport(app=apps[n]) for n in ("shopify", "shopware")},
    )
    engine_app = create_engine_app(engine, run_loops=False)
    await engine.prepare()
    return Multi(clock=clock, apps=apps, engine=engine, engine_app=engine_app, hooks=hooks)

"""Catches orders whose webhooks never came: lists the channel's orders past a durable cursor."""

from __future__ import annotations

from simclock import Clock
from sync_engine.config import EngineConfig
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.errors import SyncError, Throttled
from sync_engine.store import Store

CURSOR = "shopify_orders_since_id"


class OrderPoller:
    """Every ``order_poll_interval``, ingest orders newer than the last one polled."""

    def __init__(
        self, *, config: EngineConfig, store: Store, shopify: ShopifyRest, clock: Clock
    ) -> None:
        self.config = config
        self.store = store
        self.shopify = shopify
        self.clock = clock
        self.recovered = 0
        """Orders first seen by the poller, i.e. whose webhook was lost or late."""

    async def poll_once(self) -> int:
        since = int(self.store.get(CURSOR) or 0)
        new = 0
        async for page in self.shopify.orders_since(since):
            if not page:
                break
            new += self.store.ingest_orders(
                page, now=self.clock.now(), sales_location=self.config.channel_sales_location
            )
            since = max(since, *(int(o.order_id) for o in page))
            self.store.put(CURSOR, str(since))
        self.recovered += new
        return new

    async def run(self) -> None:
        interval = self.config.timing.order_poll_interval
        while True:
            await self.clock.sleep(interval)
            try:
                await self.poll_once()
            except Throttled as exc:
                await self.clock.sleep(exc.retry_after if exc.retry_after is not None else 1.0)
            except SyncError:
                continue

"""Catches orders whose webhooks never came: lists each channel's orders past a durable cursor."""

from __future__ import annotations

from simclock import Clock
from sync_engine.config import EngineConfig
from sync_engine.connectors.channel import ChannelConnector
from sync_engine.errors import SyncError, Throttled
from sync_engine.flows.inventory import ledger_key
from sync_engine.mapping.order_norm import normalise_order
from sync_engine.store import Store


def cursor_key(channel: str) -> str:
    return f"{channel}_orders_cursor"


class OrderPoller:
    """Every ``order_poll_interval``, ingest each channel's orders newer than the last polled."""

    def __init__(
        self,
        *,
        config: EngineConfig,
        store: Store,
        channels: dict[str, ChannelConnector],
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.channels = channels
        self.clock = clock
        self.recovered = 0
        """Orders first seen by the poller, i.e. whose webhook was lost or late."""

    async def poll_once(self) -> int:
        """Poll every channel; one channel's failure (an outage, an open circuit) does not
        leave the others unpolled. The first failure is raised once all have been tried."""
        new = 0
        failure: SyncError | None = None
        for name, settings in self.config.all_channels.items():
            try:
                new += await self._poll_channel(name, ledger_key(name, settings.sales_location))
            except SyncError as exc:
                failure = failure or exc
        self.recovered += new
        if failure is not None:
            raise failure
        return new

    async def _poll_channel(self, name: str, sales_key: str) -> int:
        new = 0
        async for page, cursor in self.channels[name].orders_since(
            self.store.get(cursor_key(name))
        ):
            orders = [normalise_order(o, self.config.mapping) for o in page]
            new += self.store.ingest_orders(orders, now=self.clock.now(), sales_location=sales_key)
            self.store.put(cursor_key(name), cursor)
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

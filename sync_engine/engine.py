"""One engine: its store, connectors and flows, wired from an ``EngineConfig``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from simclock import Clock
from simclock.rng import derive
from sync_engine.config import EngineConfig
from sync_engine.connectors.channel import ChannelConnector
from sync_engine.connectors.registry import build_back_office, build_channel
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.errors import SyncError, Throttled
from sync_engine.exceptions import AlertNotifier
from sync_engine.flows.fulfilments import FulfilmentSync
from sync_engine.flows.inventory import InventorySync
from sync_engine.flows.jobs import JobFlow
from sync_engine.flows.order_changes import OrderChangeSync
from sync_engine.flows.order_poller import OrderPoller
from sync_engine.flows.orders import OrderSync
from sync_engine.flows.payouts import PayoutSync
from sync_engine.flows.refunds import RefundSync
from sync_engine.metrics import Metrics
from sync_engine.reconcile.reconciler import ReconcileSettings
from sync_engine.reconcile.wiring import build_engine_loop
from sync_engine.store import Store, open_store


def default_engine_id() -> str:
    """A lease owner name unique across machines and restarts, and readable in the store."""
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


log = logging.getLogger(__name__)

LOOP_RESTART_SECONDS = 1.0
"""Simulated seconds before a crashed engine loop is restarted."""


class Engine:
    """Everything one engine process runs. Built eagerly; ``start`` launches the loops."""

    def __init__(
        self,
        config: EngineConfig,
        *,
        clock: Clock,
        shopify_transport: httpx.AsyncBaseTransport | None = None,
        erp_transport: httpx.AsyncBaseTransport | None = None,
        channel_transports: dict[str, httpx.AsyncBaseTransport] | None = None,
        store: Store | None = None,
    ) -> None:
        """``store``, when given, is used instead of opening ``config.store_location`` (an
        in-process test shares one ``memory://`` store between an engine and its restart)."""
        self.config = config
        self.clock = clock
        self.metrics = Metrics()
        self.engine_id = config.engine_id or default_engine_id()
        self.store = store if store is not None else open_store(config.store_location)
        transports = dict(channel_transports or {})
        if shopify_transport is not None:
            transports.setdefault("shopify", shopify_transport)
        self.channels: dict[str, ChannelConnector] = {
            name: build_channel(
                name, settings, clock=clock, metrics=self.metrics, transport=transports.get(name)
            )
            for name, settings in config.all_channels.items()
        }
        self.erp = build_back_office(
            config, clock=clock, metrics=self.metrics, transport=erp_transport
        )
        self.orders = OrderSync(
            store=self.store,
            erp=self.erp,
            clock=clock,
            metrics=self.metrics,
            timing=config.timing,
            dest=config.erp,
            erp_location_id=self._erp_sales_location(),
            rng=derive(config.seed, "engine.retry"),
            scarce_below=config.scarce_stock_below,
            owner=self.engine_id,
            lease_seconds=config.order_lease_seconds,
            on_exception=lambda fp: self.alerts.on_exception(fp),
            rules=config.mapping,
        )
        self.alerts = AlertNotifier(config.alerts, self)
        self.inventory = InventorySync(
            config=config, store=self.store, channels=self.channels, erp=self.erp, clock=clock
        )
        self.orders.catalogue = self.inventory.catalogue
        self.inventory.last_synced_at = lambda: self.orders.last_synced_at
        self.poller = OrderPoller(
            config=config, store=self.store, channels=self.channels, clock=clock
        )
        post_purchase: dict[str, Any] = {
            "store": self.store,
            "clock": clock,
            "timing": config.timing,
            "on_exception": lambda fp: self.alerts.on_exception(fp),
        }
        self.fulfilments = FulfilmentSync(
            back_office=self.erp,
            channels=self.channels,
            rules=config.mapping,
            rng=derive(config.seed, "engine.fulfilments"),
            interval=config.timing.fulfilment_poll_interval,
            **post_purchase,
        )
        self.refunds = RefundSync(
            back_office=self.erp,
            channels=self.channels,
            rules=config.mapping,
            rng=derive(config.seed, "engine.refunds"),
            interval=config.timing.refund_poll_interval,
            **post_purchase,
        )
        self.payouts = PayoutSync(
            back_office=self.erp,
            channels=self.channels,
            accounts=config.accounts,
            rng=derive(config.seed, "engine.payouts"),
            interval=config.timing.payout_poll_interval,
            **post_purchase,
        )
        self.order_changes = OrderChangeSync(
            back_office=self.erp,
            rules=config.mapping,
            catalogue=self.inventory.catalogue,
            location_id=self.orders.erp_location_id,
            rng=derive(config.seed, "engine.order_changes"),
            interval=config.timing.order_poll_interval,
            **post_purchase,
        )
        self.job_flows: list[JobFlow] = [
            self.order_changes,
            self.fulfilments,
            self.refunds,
            self.payouts,
        ]
        rc = config.reconcile
        self.last_reconciliation: list[dict[str, Any]] = []
        self.reconciliation = build_engine_loop(
            self,
            interval=rc.interval,
            settings=ReconcileSettings(lag=rc.lag, horizon=rc.horizon),
            max_calls=rc.max_calls,
        )
        self.webhooks_received = 0
        self.webhooks_duplicate = 0
        self.loop_crashes: Counter[str] = Counter()
        """Unexpected errors per engine loop (each logged and the loop restarted)."""
        self.webhooks_refused: Counter[str] = Counter()
        """Refused deliveries by reason: signature, malformed, stale, oversized, unknown_channel."""
        self.ready = False
        self._tasks: list[asyncio.Task[None]] = []

    def _erp_sales_location(self) -> str:
        """The back-office location orders are allocated from: the one mapped to the first
        channel's sales location."""
        name, settings = next(iter(self.config.all_channels.items()))
        for erp, chan in settings.location_map.items():
            if chan == settings.sales_location:
                return erp
        raise ValueError(
            f"channels.{name}: no back-office location maps to sales location "
            f"{settings.sales_location}"
        )

    @property
    def shopify(self) -> ShopifyRest:
        """The ``shopify`` channel's REST client (single-Shopify configs and tests)."""
        channel = self.channels["shopify"]
        assert isinstance(channel, ShopifyChannel)
        return channel.rest

    async def prepare(self) -> None:
        """Subscribe to webhooks and take a first full stock reading, retrying until it works.

        First, take back this engine's own leases: an engine restarted under the same id
        after a crash would otherwise wait out its dead predecessor's leases (resending is an
        idempotent upsert, so even a wrongly shared id cannot duplicate an effect).
        """
        self.store.release_leases(self.engine_id)
        while True:
            try:
                for name, channel in self.channels.items():
                    await channel.ensure_webhooks(self.webhook_address(name))
                await self.inventory.full_sync()
                await self.inventory.push_once()
                self.ready = True
                return
            except Throttled as exc:
                await self.clock.sleep(exc.retry_after or 1.0)
            except SyncError:
                await self.clock.sleep(self.config.timing.retry_base * 4)

    async def reconcile_now(self) -> dict[str, Any]:
        """One reconciliation pass of everything, now (``POST /reconcile``)."""
        reports = await self.reconciliation.loop.run_once()
        self.last_reconciliation = [r.to_json() for r in reports]
        return self.reconciliation_summary()

    def reconciliation_summary(self) -> dict[str, Any]:
        """The last on-demand pass: drift by cause, calls spent, findings, and what cannot
        be reconciled (with why)."""
        by_cause: dict[str, int] = {}
        for report in self.last_reconciliation:
            for cause, n in report.get("by_cause", {}).items():
                by_cause[cause] = by_cause.get(cause, 0) + n
        return {
            "drift": sum(int(r.get("drift", 0)) for r in self.last_reconciliation),
            "by_cause": by_cause,
            "calls": sum(int(r.get("calls_total", 0)) for r in self.last_reconciliation),
            "reports": self.last_reconciliation,
            "skipped": dict(self.reconciliation.skipped),
            "loop": self.reconciliation.loop.status(),
        }

    async def refresh_catalogue(self) -> None:
        """Read the back office's recent item changes now (best effort: a failure leaves the
        scheduled reads to catch up)."""
        with contextlib.suppress(SyncError):
            await self.inventory.poll_erp()

    def webhook_address(self, channel: str) -> str:
        """Where ``channel`` delivers: ``webhook_address`` ends in ``/webhooks/shopify`` for
        single-Shopify configs, or is the ``/webhooks`` base; the channel name is appended."""
        base = self.config.webhook_address.rstrip("/")
        if base.endswith("/webhooks/shopify"):
            base = base[: -len("/shopify")]
        return f"{base}/{channel}"

    async def start(self) -> None:
        await self.prepare()
        loops: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("orders", self.orders.run),
            ("inventory", self.inventory.run),
            ("order-poller", self.poller.run),
            *((flow.flow, flow.run) for flow in self.job_flows),
        ]
        if self.config.reconcile.enabled:
            loops.append(("reconcile", self.reconciliation.loop.run))
        self._tasks = [
            asyncio.create_task(self._supervised(name, loop), name=name) for name, loop in loops
        ]

    async def _supervised(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run one of the engine's loops for ever: an unexpected error is logged with its
        traceback, counted (``/status`` → ``loop_crashes``) and the loop restarted a moment
        later, instead of the task dying silently and its flow stopping for good."""
        while True:
            try:
                await loop()
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("engine loop %r crashed; restarting it", name)
                self.loop_crashes[name] += 1
                await self.clock.sleep(LOOP_RESTART_SECONDS)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.orders.stop()
        await self.alerts.aclose()
        for channel in self.channels.values():
            await channel.aclose()
        await self.erp.aclose()
        self.store.close()

    def status(self) -> dict[str, Any]:
        """Backlog and counters, read by the orchestrator while a run is on."""
        counts = self.store.order_counts()
        job_counts = self.store.job_counts()
        pushes = self.inventory.pending_pushes() if self.ready else []
        for state, n in counts.items():
            self.metrics.queue_depth.labels("orders", state).set(n)
        self.metrics.queue_depth.labels("inventory", "pending").set(len(pushes))
        idle = (
            self.ready
            and counts["pending"] == 0
            and not self.orders.in_flight
            and not pushes
            and not self.inventory.quiet_sync_due()
        )
        return {
            "now": self.clock.now(),
            "ready": self.ready,
            "idle": idle,
            "orders": {**counts, "in_flight": len(self.orders.in_flight)},
            "erp": {
                "back_office": self.erp.name,
                "connector": self.erp.connector_id,
                "concurrency_limit": round(self.orders.governor.limit, 2),
                "in_flight": self.orders.governor.in_flight,
                "utilisation": round(self.orders.governor.utilisation(), 4),
                "rejections": self.orders.governor.rejections,
                "circuit": self.erp.breaker.stats(),
            },
            "inventory": {
                "pending_pushes": len(pushes),
                "pushes": self.inventory.pushes,
                "throttled": self.inventory.throttled,
                "last_full_sync": self.inventory.last_full_sync,
                "last_erp_poll": self.inventory.last_erp_poll,
            },
            "channels": {name: channel.status() for name, channel in self.channels.items()},
            **(
                {"shopify": self.channels["shopify"].status()} if "shopify" in self.channels else {}
            ),
            "webhooks": {
                "received": self.webhooks_received,
                "duplicate": self.webhooks_duplicate,
                "rejected": sum(self.webhooks_refused.values()),
                "refused": dict(self.webhooks_refused),
            },
            "poller": {"recovered": self.poller.recovered},
            "jobs": {
                flow.flow: {**job_counts.get(flow.flow, {}), **flow.stats()}
                for flow in self.job_flows
            },
            "alerts": {"sent": self.alerts.sent, "failed": self.alerts.failed},
            "loop_crashes": dict(self.loop_crashes),
        }

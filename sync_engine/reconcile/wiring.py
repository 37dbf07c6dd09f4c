"""Every reconciliation an engine can run, from the engine itself: one call for the lead to wire.

:func:`build_engine_loop` takes a built ``Engine`` (anything with its attributes) and returns a
:class:`~sync_engine.reconcile.loop.ReconcileLoop` holding, per Shopify REST channel against a
NetSuite-style back office, the orders, refunds, payouts and fulfilments reconcilers, and one
stock reconciler over every channel (any back office). Channels or back offices without the
calls a reconciler needs are listed in :attr:`EngineReconciliation.skipped`, not silently left
out. Every reconciler spends the engine's own connectors (their budgets) behind low-priority
gates: the Shopify bucket above half full, the ERP while the orders flow uses all the
concurrency it has learned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.reconcile.findings import DriftReport
from sync_engine.reconcile.fulfilments import FulfilmentReconciler
from sync_engine.reconcile.loop import (
    DEFAULT_INTERVAL,
    DEFAULT_MAX_CALLS,
    ReconcileLoop,
    Reconciler,
    bucket_busy,
    build_order_reconciler,
)
from sync_engine.reconcile.meter import LowPriority, Meter
from sync_engine.reconcile.reconciler import ReconcileSettings
from sync_engine.reconcile.refunds import REFUNDS, PostingReconciler, payouts
from sync_engine.reconcile.repair import StoreRepair
from sync_engine.reconcile.sources import BACK_OFFICE_SIDE, CHANNEL_SIDE
from sync_engine.reconcile.stock import StockReconciler, StockShelf, ledger_key

POSTINGS_MAX_CALLS = 20
"""Calls a refunds, payouts or fulfilments pass may spend."""


@dataclass(kw_only=True)
class EngineReconciliation:
    """The loop and what could not be reconciled, with why."""

    loop: ReconcileLoop
    skipped: dict[str, str] = field(default_factory=dict)
    repairs: dict[str, StoreRepair] = field(default_factory=dict)


def build_engine_loop(
    engine: Any,
    *,
    interval: float = DEFAULT_INTERVAL,
    settings: ReconcileSettings | None = None,
    max_calls: int | None = DEFAULT_MAX_CALLS,
    on_report: Callable[[DriftReport], object] | None = None,
) -> EngineReconciliation:
    """Reconcilers for everything ``engine`` syncs (see the module docstring).

    ``engine`` is a built :class:`sync_engine.engine.Engine`: its ``config``, ``clock``,
    ``store``, ``channels``, ``erp``, ``orders`` (in flight, governor), ``order_changes``
    (``record``) and ``inventory`` (``full_sync_needed``) are used.
    """
    settings = settings or ReconcileSettings()
    config, clock, store = engine.config, engine.clock, engine.store
    erp = engine.erp
    out: list[Reconciler] = []
    skipped: dict[str, str] = {}
    repairs: dict[str, StoreRepair] = {}

    def erp_busy() -> bool:
        return bool(len(engine.orders.in_flight) >= engine.orders.governor.allowed)

    for name, channel_settings in config.all_channels.items():
        channel = engine.channels[name]
        if not isinstance(channel, ShopifyChannel):
            skipped[name] = (
                f"orders, refunds, payouts, fulfilments: {channel.connector_id} has no source"
            )
            continue
        if not isinstance(erp, NetSuiteRest):
            skipped[name] = (
                f"orders, refunds, payouts, fulfilments: {erp.connector_id} has no SuiteQL"
            )
            continue
        repair = StoreRepair(
            name=name,
            channel=channel,
            store=store,
            clock=clock,
            sales_location=ledger_key(name, channel_settings.sales_location),
            rules=config.mapping,
            record_change=engine.order_changes.record,
        )
        repairs[name] = repair
        out.append(
            build_order_reconciler(
                channel=channel,
                back_office=erp,
                store=store,
                clock=clock,
                rules=config.mapping,
                repair=repair,
                settings=settings,
                max_calls=max_calls,
                back_office_busy=erp_busy,
            )
        )
        gates = {
            CHANNEL_SIDE: LowPriority(clock=clock, busy=bucket_busy(channel.rest)),
            BACK_OFFICE_SIDE: LowPriority(clock=clock, busy=erp_busy),
        }
        for posting in (REFUNDS, payouts(config.accounts)):
            out.append(
                PostingReconciler(
                    channel=name,
                    back_office=erp,
                    store=store,
                    clock=clock,
                    meter=Meter(limit=POSTINGS_MAX_CALLS, gates=gates),
                    posting=posting,
                    lag=settings.lag,
                )
            )
        out.append(
            FulfilmentReconciler(
                channel=name,
                rest=channel.rest,
                back_office=erp,
                store=store,
                clock=clock,
                meter=Meter(limit=POSTINGS_MAX_CALLS, gates=gates),
                lag=settings.lag,
            )
        )
    shelves = [
        StockShelf(
            name=name,
            connector=engine.channels[name],
            location_map=s.location_map,
            sales_location=s.sales_location,
            buffer=config.stock_buffer if s.stock_buffer is None else s.stock_buffer,
        )
        for name, s in config.all_channels.items()
    ]

    def resync(_channels: list[str]) -> None:
        engine.inventory.full_sync_needed = True

    out.append(
        StockReconciler(
            shelves=shelves,
            back_office=erp,
            store=store,
            clock=clock,
            rules=config.mapping,
            lag=settings.lag,
            resync=resync,
        )
    )
    loop = ReconcileLoop(reconcilers=out, clock=clock, interval=interval, on_report=on_report)
    return EngineReconciliation(loop=loop, skipped=skipped, repairs=repairs)

"""Reconciliation: find drift between channels, the engine and the back office cheaply.

data-diff's method (PEERS.md section 5) on commerce APIs: both sides are summarised per window
of channel creation time (counts, sums, checksums), only windows that disagree are cut finer,
and only small windows are listed and diffed order by order. The engine's own store is the
free side: the channel only confirms the engine saw every order, the back office is checked
against what the engine synced. See ``reconciler`` for a pass, ``loop`` for the schedule and
the wiring, ``findings`` for the report and the cause taxonomy, ``repair`` for the repair
callback; ``stock`` and ``refunds`` reconcile stock levels and credit memos.
"""

from sync_engine.reconcile.findings import Action, Cause, DriftReport, Finding, Where
from sync_engine.reconcile.fulfilments import FulfilmentReconciler
from sync_engine.reconcile.ledger import EngineLedger, Expectations, StoreLedger
from sync_engine.reconcile.loop import ReconcileLoop, Reconciler, build_order_reconciler
from sync_engine.reconcile.meter import BudgetSpent, LowPriority, Meter
from sync_engine.reconcile.reconciler import OrderReconciler, ReconcileSettings
from sync_engine.reconcile.refunds import REFUNDS, PostingReconciler, RefundReconciler, payouts
from sync_engine.reconcile.repair import StoreRepair
from sync_engine.reconcile.sources import NetSuiteOrders, ShopifyOrders
from sync_engine.reconcile.stock import StockReconciler, StockShelf

__all__ = [
    "REFUNDS",
    "Action",
    "BudgetSpent",
    "Cause",
    "DriftReport",
    "EngineLedger",
    "Expectations",
    "Finding",
    "FulfilmentReconciler",
    "LowPriority",
    "Meter",
    "NetSuiteOrders",
    "OrderReconciler",
    "PostingReconciler",
    "ReconcileLoop",
    "ReconcileSettings",
    "Reconciler",
    "RefundReconciler",
    "ShopifyOrders",
    "StockReconciler",
    "StockShelf",
    "StoreLedger",
    "StoreRepair",
    "Where",
    "build_order_reconciler",
    "payouts",
]

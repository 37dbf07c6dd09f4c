"""The repair callback: put an order the reconciliation found wrong back into the engine's hands.

Only the store's public operations are used, so each repair is one the engine already knows
how to carry out, idempotently:

- an order the engine never recorded is fetched from the channel and ingested (queued);
- a recorded order whose newer version (an edit, a cancellation) the engine missed, or that
  is cancelled on the channel, has that version queued as an order change (the change flow
  applies it, or holds it past the cut-off);
- a synced order the back office lacks is requeued: held under a ``RECONCILE_REPAIR`` group
  and replayed at once, so the upsert runs again (by external id: never a duplicate) and the
  group resolves itself when it lands;
- an order still queued, or held in the exception queue, is left alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from simclock import Clock
from sync_engine.connectors.channel import ChannelConnector
from sync_engine.errors import SyncError
from sync_engine.mapping import MappingRules
from sync_engine.mapping.order_norm import normalise_order
from sync_engine.model import Order
from sync_engine.store import Store

REPAIR_CODE = "RECONCILE_REPAIR"


def repair_fingerprint(channel: str) -> str:
    return f"reconcile:repair:{channel}"


class StoreRepair:
    """``repair(order_ids)`` for one channel (see the module docstring)."""

    def __init__(
        self,
        *,
        name: str,
        channel: ChannelConnector,
        store: Store,
        clock: Clock,
        sales_location: str,
        rules: MappingRules | None = None,
        record_change: Callable[[Order], object] | None = None,
    ) -> None:
        self.name = name
        self.channel = channel
        self.store = store
        self.clock = clock
        self.sales_location = sales_location
        """The stock-ledger key orders are ingested under (``{channel}:{location}``)."""
        self.rules = rules or MappingRules()
        self.record_change = record_change
        """The engine's ``order_changes.record``; without it a missed change is not queued."""
        self.done: Counter[str] = Counter()
        """Repairs by kind: ``ingested``, ``change``, ``requeued``, ``left``, ``failed``."""

    async def __call__(self, order_ids: list[str]) -> None:
        requeue = []
        for order_id in order_ids:
            try:
                fresh = normalise_order(await self.channel.fetch_order(order_id), self.rules)
            except SyncError:
                self.done["failed"] += 1  # the next pass finds it again
                continue
            known = self.store.get_order(self.name, order_id)
            if known is None:
                self.store.ingest_orders(
                    [fresh], now=self.clock.now(), sales_location=self.sales_location
                )
                self.done["ingested"] += 1
                continue
            stored, state = known
            newer = (fresh.version, fresh.cancelled) > (stored.version, stored.cancelled)
            # A cancelled order goes to the change flow even when the engine recorded it
            # cancelled: an order created cancelled is upserted open, and only a change
            # cancels it (a repeat is a no-op in the back office).
            if (newer or fresh.cancelled) and self.record_change is not None and state == "synced":
                self.record_change(fresh)
                self.done["change"] += 1
            elif state == "synced":
                requeue.append(stored)
            else:
                self.done["left"] += 1
        if requeue:
            fingerprint = repair_fingerprint(self.name)
            now = self.clock.now()
            for order in requeue:
                self.store.mark_exception(
                    order,
                    now=now,
                    reason="reconciliation: synced, but the back office has no sales order",
                    code=REPAIR_CODE,
                    fingerprint=fingerprint,
                )
            self.store.replay_exceptions(fingerprint, now)
            self.done["requeued"] += len(requeue)

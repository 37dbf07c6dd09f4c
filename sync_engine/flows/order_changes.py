"""Post-purchase changes (edits, address changes, cancellations) to the back office, until the
cut-off: once the order reaches picking, the back office refuses and the change is held in the
exception queue with the reason — never silently lost.

A change arrives as a channel webhook (``orders/updated``, ``orders/cancelled``) carrying the
whole order at a version (the channel's update time). It is queued once per version and waits
until the order's create has reached the back office; versions apply in order, an older one
arriving late is skipped (last write wins by the channel's clock, not by arrival).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import replace
from typing import Any

from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.errors import RecordRejected
from sync_engine.flows.jobs import JobFlow, RetryLater
from sync_engine.mapping import MappingRules, map_order
from sync_engine.model import Order
from sync_engine.store.contract import DueJob

WAIT_SECONDS = 15.0
MAX_WAITS = 40


def changed_for_back_office(new: Order, old: Order) -> bool:
    """Whether a later version of an order changes anything the back office holds (lines,
    amounts, address, customer, cancellation). A channel bumps its version for changes the
    back office does not keep — a fulfilment, a tag, a note: those are not sent, or every
    shipment would come back as a sales-order update (one ERP write each, refused anyway
    once picking started)."""
    if new.version <= old.version and new.cancelled == old.cancelled:
        return False
    return replace(new, version=old.version, sequence=old.sequence) != old


def change_key(order: Order) -> str:
    return f"{order.external_id}@{order.version}{'-cancel' if order.cancelled else ''}"


def applied_key(external_id: str) -> str:
    return f"order_version:{external_id}"


class OrderChangeSync(JobFlow):
    flow = "order_changes"

    def __init__(
        self,
        *,
        back_office: BackOfficeConnector,
        rules: MappingRules,
        catalogue: Container[str],
        location_id: str,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.back_office = back_office
        self.rules = rules
        self.catalogue = catalogue
        self.location_id = location_id

    def record(self, order: Order) -> bool:
        """Queue a change the ingress received; False if this version was already queued."""
        return self.record_one(change_key(order), {"order": order.to_json()})

    async def discover(self) -> int:
        return 0  # changes are pushed to us by webhooks (``record``)

    async def perform(self, job: DueJob) -> None:
        order = Order.from_json(job.payload["order"])
        found = self.store.get_order(order.channel, order.order_id)
        state = None if found is None else found[1]
        if state != "synced":
            if state == "exception":
                raise RecordRejected(
                    f"change to {order.external_id}: the order itself is held in the exception "
                    "queue; replay it first",
                    code="ORDER_HELD",
                )
            if job.attempts >= MAX_WAITS:
                raise RecordRejected(
                    f"change to {order.external_id}: the order never reached the back office",
                    code="ORDER_NOT_SYNCED",
                )
            raise RetryLater(
                "the order's create has not reached the back office", delay=WAIT_SECONDS
            )
        applied = int(self.store.get(applied_key(order.external_id)) or -1)
        if order.version <= applied and not order.cancelled:
            return  # an older edit arriving late: the newer one already applied
        if order.cancelled:
            await self.back_office.cancel_sales_order(order.external_id)
        else:
            mapped = map_order(order, self.rules, self.catalogue)
            await self.back_office.update_sales_order(mapped, location_id=self.location_id)
        self.store.put(applied_key(order.external_id), str(max(order.version, applied)))

"""Fulfilment back to the channels: back-office shipments close the channel's fulfilment.

Shipments are read from the back office past a durable cursor (``shipments_since``), queued
once each by shipment id, and pushed to the channel that sold the order with its tracking
number and the carrier name that channel accepts (``mapping.carriers``: the back office's
``UPS GROUND`` becomes Shopify's ``UPS``; an unknown carrier goes as ``Other`` or is held,
per rule). The push is idempotent on the tracking number.
"""

from __future__ import annotations

from typing import Any

from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.connectors.channel import ChannelConnector, FulfilmentTarget
from sync_engine.errors import RecordRejected
from sync_engine.flows.jobs import JobFlow
from sync_engine.mapping.carriers import channel_carrier
from sync_engine.mapping.rules import MappingRules
from sync_engine.model import Shipment
from sync_engine.store.contract import DueJob

CURSOR = "back_office_shipments_cursor"


def shipment_payload(s: Shipment) -> dict[str, Any]:
    return {
        "shipment_id": s.shipment_id,
        "channel": s.channel,
        "order_id": s.order_id,
        "lines": [[sku, qty] for sku, qty in s.lines],
        "carrier": s.carrier,
        "tracking_number": s.tracking_number,
    }


class FulfilmentSync(JobFlow):
    flow = "fulfilments"

    def __init__(
        self,
        *,
        back_office: BackOfficeConnector,
        channels: dict[str, ChannelConnector],
        rules: MappingRules,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.back_office = back_office
        self.channels = channels
        self.rules = rules

    async def discover(self) -> int:
        new = 0
        while True:
            cursor = self.store.get(CURSOR)
            shipments, next_cursor = await self.back_office.shipments_since(cursor)
            if not shipments or next_cursor is None or next_cursor == cursor:
                return new
            jobs = [(s.shipment_id, shipment_payload(s)) for s in shipments]
            new += self.store.enqueue_jobs(
                self.flow, jobs, now=self.clock.now(), cursor=(CURSOR, next_cursor)
            )

    async def perform(self, job: DueJob) -> None:
        p = job.payload
        channel = self.channels.get(str(p["channel"]))
        if channel is None:
            raise RecordRejected(
                f"shipment {p['shipment_id']}: no channel named {p['channel']!r}",
                code="UNKNOWN_CHANNEL",
            )
        if not isinstance(channel, FulfilmentTarget):
            raise RecordRejected(
                f"channel {p['channel']} ({channel.connector_id}) cannot take fulfilments",
                code="UNSUPPORTED",
            )
        carrier = channel_carrier(
            str(p["channel"]), str(p["carrier"]), self.rules, channel.accepted_carriers
        )
        await channel.push_fulfilment(
            str(p["order_id"]),
            tracking_number=str(p["tracking_number"]),
            carrier=carrier,
            lines=[(str(sku), int(qty)) for sku, qty in p["lines"]],
        )

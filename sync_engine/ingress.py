"""Webhook ingress: verify, persist, then acknowledge. Nothing is acknowledged before it is safe.

One route per channel (``POST /webhooks/{channel}``): the channel's connector checks the
signature (constant time) and parses the body; the delivery and its order go into the store in
one transaction, deduplicated on the platform's stable event id, before the 200. A body that
names an order without carrying it (Shopware's ids-only ``*.written``) is fetched first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sync_engine.errors import SyncError
from sync_engine.flows.inventory import ledger_key
from sync_engine.flows.order_changes import changed_for_back_office
from sync_engine.mapping.order_norm import normalise_order
from sync_engine.webhook_freshness import staleness, triggered_at

if TYPE_CHECKING:
    from sync_engine.engine import Engine

MAX_BODY_BYTES = 2 * 1024 * 1024
"""Larger bodies are refused (413) before they are verified or parsed."""


async def _bounded_body(request: Request) -> bytes | None:
    """The body, or None as soon as it exceeds ``MAX_BODY_BYTES`` (never held whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > MAX_BODY_BYTES:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def ingress_router(engine: Engine) -> APIRouter:
    router = APIRouter()

    def refuse(reason: str, status: int, message: str) -> JSONResponse:
        """A refused delivery: counted by reason (``/status`` → ``webhooks.refused``), no
        effect on anything else."""
        engine.webhooks_refused[reason] += 1
        return JSONResponse({"error": message, "reason": reason}, status_code=status)

    @router.post("/webhooks/{channel}")
    async def webhook(channel: str, request: Request) -> JSONResponse:
        connector = engine.channels.get(channel)
        if connector is None:
            return refuse("unknown_channel", 404, f"no channel named {channel!r}")
        body = await _bounded_body(request)
        if body is None:
            return refuse("oversized", 413, f"body exceeds the limit of {MAX_BODY_BYTES} bytes")
        if not connector.verify_webhook(request.headers, body):
            return refuse("signature", 401, "HMAC signature does not match")
        timing = engine.config.timing
        try:
            event = connector.parse_webhook(request.headers, body)
            stale = staleness(
                triggered_at(request.headers, body),
                now=engine.clock.now(),
                max_age=timing.webhook_max_age,
                max_skew=timing.webhook_max_skew,
            )
        except ValueError as exc:
            return refuse("malformed", 422 if body else 400, str(exc))
        if stale is not None:
            return refuse("stale", 400, stale)
        order = event.order
        if event.refund is not None:
            engine.refunds.record(event.refund)
        if order is None and event.order_id is not None:
            try:
                order = await connector.fetch_order(event.order_id)
            except SyncError as exc:
                # Not acknowledged: the platform retries, and the poller is the backstop.
                return JSONResponse({"error": f"could not fetch order: {exc}"}, status_code=503)
        if order is not None:
            order = normalise_order(order, engine.config.mapping)
            known = engine.store.get_order(order.channel, order.order_id)
            if known is not None:
                # Seen before: an edit or a cancellation (queued before the delivery is
                # recorded, so a crash in between makes the platform's retry queue it).
                stored, _state = known
                if changed_for_back_office(order, stored):
                    engine.order_changes.record(order)
                order = None
        settings = engine.config.all_channels[channel]
        new = engine.store.accept_webhook(
            webhook_id=f"{channel}:{event.event_id}",
            topic=event.topic,
            body=body,
            order=order,
            now=engine.clock.now(),
            sales_location=ledger_key(channel, settings.sales_location),
        )
        engine.webhooks_received += 1
        if not new:
            engine.webhooks_duplicate += 1
        return JSONResponse({"status": "accepted" if new else "duplicate"})

    return router

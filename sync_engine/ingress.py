"""Webhook ingress: verify, persist, then acknowledge. Nothing is acknowledged before it is safe."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sync_engine.connectors.shopify_rest import parse_order_body

if TYPE_CHECKING:
    from sync_engine.engine import Engine

ORDER_TOPICS = {"orders/create", "orders/updated"}


def shopify_signature(secret: str, body: bytes) -> str:
    """Shopify's ``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_shopify(secret: str, body: bytes, header: str | None) -> bool:
    return header is not None and hmac.compare_digest(shopify_signature(secret, body), header)


def ingress_router(engine: Engine) -> APIRouter:
    router = APIRouter()

    @router.post("/webhooks/shopify")
    async def shopify_webhook(request: Request) -> JSONResponse:
        body = await request.body()
        if not verify_shopify(
            engine.config.shopify.webhook_secret,
            body,
            request.headers.get("X-Shopify-Hmac-Sha256"),
        ):
            engine.webhooks_rejected += 1
            return JSONResponse({"error": "HMAC signature does not match"}, status_code=401)
        topic = request.headers.get("X-Shopify-Topic", "")
        webhook_id = request.headers.get("X-Shopify-Webhook-Id")
        if not webhook_id:
            return JSONResponse({"error": "X-Shopify-Webhook-Id header is missing"}, 400)
        order = None
        if topic in ORDER_TOPICS:
            try:
                order = parse_order_body(body)
            except ValueError as exc:
                return JSONResponse({"error": f"{topic} body: {exc}"}, status_code=422)
        new = engine.store.accept_webhook(
            webhook_id=webhook_id,
            topic=topic,
            body=body,
            order=order,
            now=engine.clock.now(),
            sales_location=engine.config.channel_sales_location,
        )
        engine.webhooks_received += 1
        if not new:
            engine.webhooks_duplicate += 1
        return JSONResponse({"status": "accepted" if new else "duplicate"})

    return router

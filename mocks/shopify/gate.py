"""Pure ASGI middleware in front of ``/admin/``: auth, leaky bucket, version and limit headers.

Shaped like Starlette's ``TrustedHostMiddleware``. Everything under ``/admin/`` passes here:
- a missing or wrong ``X-Shopify-Access-Token`` is answered ``401`` before any budget is spent
  (no bucket exists for an unknown caller, so that answer carries no call-limit header);
- otherwise one call is poured into the token's bucket; a full bucket is answered ``429`` with
  ``Retry-After`` and the header ``X-Shopify-Shop-Api-Call-Limit`` showing the full bucket;
- every other response gets ``X-Shopify-Shop-Api-Call-Limit`` (level after this call) and
  ``X-Shopify-API-Version`` (the version that answered, after fall-forward).
``/_mock/`` and ``/_sim/`` are not touched: they are neither authenticated nor throttled.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.shopify.errors import InvalidAccessToken, ShopifyMockError, Throttled
from mocks.shopify.models import ShopifyModel

ADMIN_PREFIX = "/admin/"
TOKEN_HEADER = b"x-shopify-access-token"


def requested_api_version(path: str) -> str | None:
    """``/admin/api/2026-01/orders.json`` -> ``"2026-01"``; no version segment -> None."""
    parts = path.split("/")
    if len(parts) > 3 and parts[1] == "admin" and parts[2] == "api":
        return parts[3]
    return None


class AdminGate:
    """Authenticate, meter and label every ``/admin/`` request."""

    def __init__(self, app: ASGIApp, *, model: ShopifyModel) -> None:
        self.app = app
        self.model = model

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        model = self.model
        settings = model.settings
        version = settings.resolve_api_version(requested_api_version(scope["path"]))
        headers = [(b"x-shopify-api-version", version.encode())]
        token = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == TOKEN_HEADER),
            None,
        )
        if not model.authenticate(token):
            await self._reject(send, InvalidAccessToken(), headers)
            return
        result = model.acquire(token or "")
        headers.append((b"x-shopify-shop-api-call-limit", result.header_value.encode()))
        if not result.allowed:
            # Shopify sends a constant Retry-After (the setting), not the computed refill time.
            throttled = Throttled(
                leak_rate=settings.leak_rate, retry_after=settings.retry_after_seconds
            )
            await self._reject(send, throttled, headers)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
                model.record_call(int(message["status"]))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _reject(
        self, send: Send, error: ShopifyMockError, headers: list[tuple[bytes, bytes]]
    ) -> None:
        body = json.dumps(error.body, separators=(",", ":")).encode()
        all_headers = [
            (b"content-type", b"application/json; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *headers,
            *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
        ]
        self.model.record_call(error.status_code)
        await send(
            {"type": "http.response.start", "status": error.status_code, "headers": all_headers}
        )
        await send({"type": "http.response.body", "body": body})

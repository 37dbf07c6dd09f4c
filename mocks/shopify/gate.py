"""Pure ASGI middleware in front of ``/admin/``: auth, leaky bucket, version and limit headers.

Shaped like Starlette's ``TrustedHostMiddleware``. Everything under ``/admin/`` passes here:
- a missing or wrong ``X-Shopify-Access-Token`` is answered ``401`` before any budget is spent
  (no bucket exists for an unknown caller, so that answer carries no call-limit header);
- GraphQL (``.../graphql.json``) is authenticated and labelled but never poured into the REST
  bucket nor given the REST quirks: it is metered by query cost in ``graphql/``;
- otherwise one call is poured into the token's bucket; a full bucket is answered ``429`` with
  ``Retry-After`` and the header ``X-Shopify-Shop-Api-Call-Limit`` showing the full bucket;
- every other response gets ``X-Shopify-Shop-Api-Call-Limit`` (level after this call) and
  ``X-Shopify-API-Version`` (the version that answered, after fall-forward).
- a deprecated (or vanished, fallen-forward) version adds ``X-Shopify-API-Deprecated-Reason``
  (joined with any deprecated-field reason the route set);
- quirks: a locked shop answers ``423`` (``lock_after_429s``; every 429, the bucket's or a
  route's, counts towards the lock), and a seeded share of admitted calls answers
  ``422 Too many requests`` (``too_many_requests_422_rate``).
``/_mock/`` and ``/_sim/`` are not touched: they are neither authenticated nor throttled.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.shopify.constants import DEPRECATED_VERSION_REASON
from mocks.shopify.errors import (
    InvalidAccessToken,
    ShopifyMockError,
    ShopLocked,
    Throttled,
    TooManyRequests422,
)
from mocks.shopify.models import ShopifyModel

ADMIN_PREFIX = "/admin/"
TOKEN_HEADER = b"x-shopify-access-token"
# Shopify's own casing on the wire: ASGI servers send names as given, and clients such as the
# official ShopifyAPI library look the call-limit header up case-sensitively.
VERSION_HEADER = b"X-Shopify-API-Version"
CALL_LIMIT_HEADER = b"X-Shopify-Shop-Api-Call-Limit"
DEPRECATED_HEADER = b"X-Shopify-API-Deprecated-Reason"
GRAPHQL_SUFFIX = "/graphql.json"


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
        requested = requested_api_version(scope["path"])
        version = settings.resolve_api_version(requested)
        headers = [(VERSION_HEADER, version.encode())]
        if settings.is_deprecated_version(requested):
            headers.append((DEPRECATED_HEADER, DEPRECATED_VERSION_REASON.encode()))
        token = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name == TOKEN_HEADER),
            None,
        )
        if not model.authenticate(token):
            await self._reject(send, InvalidAccessToken(), headers)
            return
        if model.abuse_guard.is_locked():
            await self._reject(send, ShopLocked(), headers)
            return
        if scope["path"].endswith(GRAPHQL_SUFFIX):
            # GraphQL is metered by query cost (its own bucket): no REST call, no REST quirk.
            await self.app(scope, receive, self._labelled(send, headers, token))
            return
        result = model.acquire(token or "")
        headers.append((CALL_LIMIT_HEADER, result.header_value.encode()))
        if not result.allowed:
            # Shopify sends a constant Retry-After (the setting), not the computed refill time.
            throttled = Throttled(
                leak_rate=settings.leak_rate, retry_after=settings.retry_after_seconds
            )
            model.abuse_guard.record_429(token or "")
            await self._reject(send, throttled, headers)
            return
        if model.spurious_throttle.strikes():
            await self._reject(send, TooManyRequests422(), headers)
            return

        await self.app(scope, receive, self._labelled(send, headers, token))

    def _labelled(self, send: Send, headers: list[tuple[bytes, bytes]], token: str | None) -> Send:
        """``send`` adding the gate's headers to the route's answer and counting it."""
        model = self.model

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _merge(message.get("headers", []), headers)}
                status = int(message["status"])
                model.record_call(status)
                if status == 429:  # a route's own 429 (daily variant limit) counts too
                    model.abuse_guard.record_429(token or "")
            await send(message)

        return send_with_headers

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


def _merge(
    own: list[tuple[bytes, bytes]], added: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """Append the gate's headers; two deprecation reasons become one comma-joined header."""
    name = DEPRECATED_HEADER.lower()
    route_reason = next((v for k, v in own if k.lower() == name), None)
    gate_reason = next((v for k, v in added if k.lower() == name), None)
    if route_reason is None or gate_reason is None:
        return [*own, *added]
    joined = route_reason + b", " + gate_reason
    return [
        *((k, v) for k, v in own if k.lower() != name),
        *((k, v) for k, v in added if k.lower() != name),
        (DEPRECATED_HEADER, joined),
    ]

"""Pure ASGI middleware in front of ``/api/``: token-route limit, bearer auth, optional limit.

Shaped like Starlette's ``TrustedHostMiddleware``. For every ``/api/`` request:
1. ``/api/oauth/token`` is limited per client IP (``oauth_rate_limit`` per
   ``oauth_rate_window_seconds``; the SaaS 10/min of PLATFORMS 3.3): over the limit -> 429
   ``FRAMEWORK__RATE_LIMIT_EXCEEDED`` with ``meta.parameters.seconds`` and ``Retry-After``; the
   route itself checks the credentials;
2. every other ``/api/`` route needs ``Authorization: Bearer <token>``: missing, unknown,
   expired or revoked -> 401 (one answer for all four, as Shopware gives);
3. the optional Admin limiter (``admin_rate_limit``, off by default: self-hosted Shopware does
   not limit CRUD) counts calls per integration.
Every ``/api/`` response, rejected ones included, is counted for ``/_mock/stats``. ``/_mock/``
and ``/_sim/`` are neither authenticated nor limited.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.shopware.auth import TokenCheck
from mocks.shopware.errors import AccessDenied, RateLimitExceeded, ShopwareError, error_response
from mocks.shopware.models import ShopwareModel

API_PREFIX = "/api/"
TOKEN_PATH = "/api/oauth/token"


def bearer_token(scope: Scope) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (scheme case-insensitive), or None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


def client_ip(scope: Scope) -> str:
    """The peer address the token-route limiter keys on."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AdminGate:
    """Limit the token route, authenticate and optionally limit every other ``/api/`` call."""

    def __init__(self, app: ASGIApp, *, model: ShopwareModel) -> None:
        self.app = app
        self.model = model

    def _check(self, scope: Scope) -> ShopwareError | None:
        model = self.model
        if scope["path"].rstrip("/") == TOKEN_PATH:
            wait = model.oauth_limiter.hit(client_ip(scope))
            if wait is not None:
                model.stats_.oauth_throttled += 1
                return RateLimitExceeded(wait)
            return None
        check, token = model.tokens.lookup(bearer_token(scope))
        if check is not TokenCheck.VALID or token is None:
            return AccessDenied()
        wait = model.admin_limiter.hit(token.client_id)
        if wait is not None:
            return RateLimitExceeded(wait)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        error = self._check(scope)
        if error is not None:
            self.model.record_call(error.status)
            await error_response(error)(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.model.record_call(int(message["status"]))
            await send(message)

        await self.app(scope, receive, counting_send)

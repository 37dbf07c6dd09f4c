"""Pure ASGI middleware in front of ``/admin/openapi/``: trace id, version, auth, lock, bucket.
Shaped like Starlette's ``TrustedHostMiddleware``.

For every ``/admin/`` request, in this order:
1. a ``traceId`` header is put on the response, whatever it is (PLATFORMS 2.1);
2. a version segment that is not ``vYYYYMMDD`` is a 404 (a well-formed unsupported one falls
   back to the newest supported version in the routes; see ``constants.py``);
3. ``Authorization: Bearer <token>``: missing, unknown or expired -> 401 ``{"errors": ...}``;
   no budget is spent;
4. a locked store (sustained 429s) -> 423 for every call until the lock lapses;
5. one call is poured into the app's leaky bucket; full -> 429 ``{"errors":"Too many request"}``
   (SHOPLINE documents no Retry-After or limit header, so none is sent), counted toward the lock.
``/_mock/`` and ``/_sim/`` are not touched: neither authenticated nor throttled.
Injected faults (402/423/433-436 and the rest) come from the shared fault plan, installed
outside this gate (the security layer in front of the API, so a faulted call spends no budget);
:func:`fault_renderer` gives them SHOPLINE's body and a ``traceId``.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.common.fault_rules import default_detail
from mocks.common.rng import derive
from mocks.shopline import constants as c
from mocks.shopline.access import TokenCheck
from mocks.shopline.errors import (
    NotFound,
    ShoplineMockError,
    StoreLocked,
    Throttled,
    Unauthorized,
)
from mocks.shopline.models import ShoplineModel

ADMIN_PREFIX = "/admin/"
OPENAPI_PREFIX = "/admin/openapi/"
_TOKEN_ERRORS = {
    TokenCheck.MISSING: c.MISSING_TOKEN_MESSAGE,
    TokenCheck.UNKNOWN: c.INVALID_TOKEN_MESSAGE,
    TokenCheck.EXPIRED: c.EXPIRED_TOKEN_MESSAGE,
}


def split_openapi_path(path: str) -> tuple[str, str] | None:
    """``/admin/openapi/v20240901/orders/count.json`` -> ``("v20240901", "orders/count.json")``."""
    if not path.startswith(OPENAPI_PREFIX):
        return None
    version, _, route = path[len(OPENAPI_PREFIX) :].partition("/")
    return version, route


def bearer_token(scope: Scope) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (scheme case-insensitive), or None."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None


class OpenApiGate:
    """Label, authenticate, guard and meter every ``/admin/`` request."""

    def __init__(self, app: ASGIApp, *, model: ShoplineModel, seed: int) -> None:
        self.app = app
        self.model = model
        self._trace_rng = derive(seed, "shopline:trace-ids")

    def _trace_id(self) -> bytes:
        return f"{self._trace_rng.getrandbits(128):032x}".encode()

    def _check(self, scope: Scope) -> ShoplineMockError | None:
        """The error that answers this call instead of the route, if any."""
        model = self.model
        parts = split_openapi_path(scope["path"])
        if parts is None or not c.VERSION_PATTERN.match(parts[0]):
            return NotFound()
        check = model.tokens.check(bearer_token(scope))
        if check is not TokenCheck.VALID:
            return Unauthorized(_TOKEN_ERRORS[check])
        if model.lock.is_locked():
            model.stats_.locked += 1
            return StoreLocked()
        if not model.acquire().allowed:
            return Throttled()
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = [(b"traceid", self._trace_id())]
        error = self._check(scope)
        if error is not None:
            await self._reject(send, error, headers)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *headers]}
                self.model.record_call(int(message["status"]))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _reject(
        self, send: Send, error: ShoplineMockError, headers: list[tuple[bytes, bytes]]
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


def fault_renderer(seed: int) -> Callable[[int, str], Response]:
    """``render_fault`` for the fault plan: ``{"errors": message}`` with a ``traceId``.

    SHOPLINE's own wording for 401, 429 and 402/423/433-436 when the rule gives no detail
    (PLATFORMS 2.2); the rule's detail (or the reason phrase) for any other status.
    """
    trace_rng = derive(seed, "shopline:fault-trace-ids")
    canonical = {
        **c.FAULT_MESSAGES,
        401: c.INVALID_TOKEN_MESSAGE,
        429: c.THROTTLED_MESSAGE,
    }

    def render(status: int, detail: str) -> Response:
        message = canonical.get(status, detail) if detail == default_detail(status) else detail
        trace = f"{trace_rng.getrandbits(128):032x}"
        return JSONResponse({"errors": message}, status_code=status, headers={"traceid": trace})

    return render

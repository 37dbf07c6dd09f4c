"""Governance of every ``/services/rest/`` request, as one pure ASGI middleware.

In order: a maintenance window answers 503 (``Retry-After`` until the window ends); a missing
or revoked bearer token answers 401 ``INVALID_LOGIN`` without taking a slot; otherwise the
request takes one of the account's concurrency slots (PLATFORMS.md 5.1; a request over the
limit is refused at once with 429, 5.2) and holds it through its simulated latency and its
handler. Latency is drawn when the slot is taken, so a busier account answers writes more
slowly (``latency_load_factor``). Every response is counted by status and record type.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.common.concurrency import ConcurrencyLimitExceeded
from mocks.erp.access import AccessTokens
from mocks.erp.constants import RECORD_PREFIX, REST_PREFIX
from mocks.erp.errors import ConcurrencyLimit, InvalidLogin, ServiceUnavailable
from mocks.erp.models import ErpModel, RequestKind
from mocks.erp.wire import error_response
from simclock import Clock

QUERY_PREFIX = "/services/rest/query/"


def record_type(path: str) -> str:
    """The record type a request is about (the target of a ``!transform``), for the stats."""
    if path.startswith(QUERY_PREFIX):
        return "suiteql"
    if not path.startswith(RECORD_PREFIX + "/"):
        return "other"
    parts = path[len(RECORD_PREFIX) + 1 :].split("/")
    if "!transform" in parts:
        at = parts.index("!transform")
        return parts[at + 1] if at + 1 < len(parts) else parts[0]
    return parts[0] or "other"


def request_kind(method: str, path: str) -> RequestKind:
    """Reads are GET/HEAD and SuiteQL (a POST that changes nothing); the rest are writes."""
    if method in ("GET", "HEAD") or path.startswith(QUERY_PREFIX):
        return "read"
    return "write"


class GovernanceMiddleware:
    """Maintenance, auth, then a concurrency slot held through latency and handler."""

    def __init__(
        self, app: ASGIApp, *, model: ErpModel, clock: Clock, tokens: AccessTokens
    ) -> None:
        self.app = app
        self.model = model
        self.clock = clock
        self.tokens = tokens

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                # The scheme is case-insensitive (RFC 9110).
                scheme, _, token = value.decode("latin-1").partition(" ")
                return scheme.lower() == "bearer" and self.tokens.check(token.strip())
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(REST_PREFIX):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        kind = request_kind(scope["method"], path)
        statuses: list[int] = []
        latency: float | None = None

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))
            await send(message)

        try:
            schedule = self.model.maintenance
            ends = schedule.active_until()
            if ends is not None:
                schedule.rejected += 1
                retry = schedule.retry_after(
                    ends, open_default=self.model.settings.maintenance_retry_after
                )
                unavailable = ServiceUnavailable(retry_after=retry)
                await error_response(unavailable)(scope, receive, recording_send)
                return
            # A refused login never takes a slot: it is turned away before governance.
            if not self._authorized(scope):
                await error_response(InvalidLogin())(scope, receive, recording_send)
                return
            try:
                async with self.model.limiter:
                    latency = self.model.draw_latency(kind, in_flight=self.model.limiter.in_flight)
                    await self.clock.sleep(latency)
                    await self.app(scope, receive, recording_send)
            except ConcurrencyLimitExceeded:
                # NetSuite rejects the request over the limit at once; it does not queue it.
                await error_response(ConcurrencyLimit())(scope, receive, recording_send)
        finally:
            self.model.record_call(
                statuses[0] if statuses else 500, kind, latency, record_type(path)
            )

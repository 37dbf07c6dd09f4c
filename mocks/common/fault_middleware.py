"""Pure ASGI middleware that carries out a mock's fault plan (shaped like Starlette's
``TrustedHostMiddleware``). Installed outermost, so an injected delay or error happens before
the platform's own gate: a faulted call spends no rate-limit budget and needs no credential.

Per HTTP request:
- ``/_mock/`` passes untouched (``GET /_mock/stats`` gains a ``faults`` section of counts by
  kind); every other path is counted in flight (the ``load`` latency reads the count);
- the plan decides (:meth:`FaultPlan.decide`); with no rule in force that is a clock read and
  two comparisons, nothing allocated;
- a delay sleeps on the injected clock, then the request is served or the action happens:
  an error answered through ``app.state.render_fault(status, detail)`` (the platform's wire
  shape) or ``{"errors": detail}``; a *reset* sends a status line promising a body, then
  raises :class:`ConnectionDropped` so the server aborts the connection (uvicorn closes it;
  ``httpx.ASGITransport`` re-raises it, and it *is* an ``httpx.RemoteProtocolError``, so an
  in-process client sees the transport error a live one sees); a *hang* sleeps on the clock
  until its time is up (then drops like a reset) or the client disconnects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

import httpx
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.common.fault_plan import FaultPlan, Injection
from mocks.common.fault_rules import MOCK_PREFIX, FaultKind

STATS_PATH = MOCK_PREFIX + "stats"
PROMISED_BODY_BYTES = 1024
"""Content-Length announced by a reset: the client waits for bytes that never come."""

RenderFault = Callable[[int, str], Response]


class ConnectionDropped(httpx.RemoteProtocolError):
    """An injected reset or the end of a hang: the server drops the connection mid-response."""


def _quiet_injected_drops(record: logging.LogRecord) -> bool:
    """uvicorn logs an app exception with its traceback; an injected drop is not a bug."""
    exc = record.exc_info[1] if record.exc_info else None
    return not isinstance(exc, ConnectionDropped)


def silence_server_logs() -> None:
    """Keep uvicorn's error log for real errors (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if _quiet_injected_drops not in logger.filters:
        logger.addFilter(_quiet_injected_drops)


def generic_fault(status: int, detail: str) -> Response:
    """The answer of a platform that sets no ``render_fault``."""
    return JSONResponse({"errors": detail}, status_code=status)


class FaultMiddleware:
    """Delay, fail, drop or hang requests as the plan says."""

    def __init__(self, app: ASGIApp, *, plan: FaultPlan, state: Any) -> None:
        self.app = app
        self.plan = plan
        self.state = state
        """The app's ``state``: ``render_fault`` is looked up there when needed."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        plan = self.plan
        path: str = scope["path"]
        if path.startswith(MOCK_PREFIX):
            plan.tick(plan.clock.now())
            if path == STATS_PATH and scope["method"] == "GET":
                await self.app(scope, receive, self._with_fault_counts(send))
            else:
                await self.app(scope, receive, send)
            return
        plan.in_flight += 1
        try:
            injection = plan.decide(plan.clock.now(), scope["method"], path)
            if injection is None:
                await self.app(scope, receive, send)
            else:
                await self._inject(injection, scope, receive, send)
        finally:
            plan.in_flight -= 1

    async def _inject(self, inj: Injection, scope: Scope, receive: Receive, send: Send) -> None:
        if inj.delay > 0:
            await self.plan.clock.sleep(inj.delay)
        if inj.kind is None:
            await self.app(scope, receive, send)
        elif inj.kind == FaultKind.RESET:
            await _drop(send)
        elif inj.kind == FaultKind.HANG:
            if await _hang(self.plan, inj.seconds, receive):
                await _drop(send)
        else:
            assert inj.status is not None
            render: RenderFault = getattr(self.state, "render_fault", None) or generic_fault
            await render(inj.status, inj.detail)(scope, receive, send)

    def _with_fault_counts(self, send: Send) -> Send:
        """``send`` that adds ``"faults": {kind: count}`` to the stats object."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_stats(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            if start["status"] == 200 and body.startswith(b"{") and body.endswith(b"}"):
                counts = json.dumps(self.plan.counts(), separators=(",", ":")).encode()
                joint = b"" if body == b"{}" else b","
                body = body[:-1] + joint + b'"faults":' + counts + b"}"
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        return send_stats


async def _drop(send: Send) -> None:
    """Start a response that promises a body, then abort the connection."""
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(PROMISED_BODY_BYTES).encode()),
            ],
        }
    )
    raise ConnectionDropped("connection dropped by fault injection")


async def _hang(plan: FaultPlan, seconds: float, receive: Receive) -> bool:
    """Wait ``seconds`` on the plan's clock; False if the client disconnected first."""

    async def disconnected() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    sleeper = asyncio.ensure_future(plan.clock.sleep(seconds))
    watcher = asyncio.ensure_future(disconnected())
    try:
        await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        watcher.cancel()
        await asyncio.gather(sleeper, watcher, return_exceptions=True)
    return watcher.cancelled()  # cancelled by us: the time ran out with the client still there

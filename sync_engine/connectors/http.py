"""What every connector shares: timing a call, counting it, and turning failures into errors."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock
from sync_engine.circuit import CircuitBreaker
from sync_engine.errors import (
    AuthFailed,
    OutcomeUnknown,
    RecordRejected,
    ServerError,
    SyncError,
    Throttled,
)
from sync_engine.metrics import Metrics


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (Shopify sends ``"2.0"``); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def json_exact(response: httpx.Response) -> Any:
    """Response JSON with non-integer numbers as Decimal."""
    return json.loads(response.content, parse_float=Decimal)


def classify(response: httpx.Response, detail: str) -> SyncError:
    """The error class for a non-2xx response (everything but 429, which connectors refine)."""
    status = response.status_code
    if status == 429:
        return Throttled(detail, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status in (401, 403):
        return AuthFailed(detail, status=status)
    if status >= 500:
        return ServerError(detail, status=status)
    return RecordRejected(detail, status=status)


Requester = Callable[..., Awaitable[httpx.Response]]


async def link_pages(
    request: Requester, url: str, key: str, params: dict[str, Any]
) -> AsyncIterator[list[dict[str, Any]]]:
    """Follow ``Link: <…>; rel="next"`` cursors (Shopify, SHOPLINE), yielding each page's
    ``key`` list as it arrives; no header means a single page."""
    response = await request("GET", url, params=params)
    while True:
        yield list(json_exact(response)[key])
        next_url = response.links.get("next", {}).get("url")
        if not next_url:
            return
        response = await request("GET", next_url)


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    destination: str,
    clock: Clock,
    metrics: Metrics,
    breaker: CircuitBreaker | None = None,
) -> httpx.Response:
    """Send one request, timing it in simulated seconds and counting its status.

    With a ``breaker``, nothing is sent while the destination's circuit is open; server errors
    and lost connections count against it.
    """
    if breaker is not None:
        breaker.before_call()
    started = clock.now()
    metrics.in_flight.labels(destination).inc()
    try:
        response = await client.send(request)
    except httpx.TransportError as exc:
        metrics.observe_call(destination, "error", clock.now() - started)
        if breaker is not None:
            breaker.on_failure()
        raise OutcomeUnknown(f"{destination}: {type(exc).__name__}: {exc}") from exc
    except BaseException:
        if breaker is not None:
            breaker.on_neutral()  # cancelled: frees a half-open probe slot
        raise
    finally:
        metrics.in_flight.labels(destination).dec()
    metrics.observe_call(destination, response.status_code, clock.now() - started)
    if breaker is not None:
        if response.status_code >= 500:
            breaker.on_failure()
        elif response.is_success:
            breaker.on_success()
        else:
            breaker.on_neutral()
    return response

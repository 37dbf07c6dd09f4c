"""Who may call ``/api/v2`` and how often: API keys and the per-key request window.

PLATFORMS 4.1/4.2: a personal access token in ``X-API-KEY`` (any header-name case; the Python
client sends ``x-api-key``) or ``Authorization: Bearer <token>``; anything else is 401.
Each key may make ``requests_per_minute`` requests in any ``rate_limit_window_seconds``
(a sliding window on the injected clock*); the next one is 429 ``RateLimitError`` with
``Retry-After`` (whole seconds until the oldest counted request leaves the window). A refused
request is not counted, so a client that waits ``Retry-After`` gets through.

:class:`ApiGate` is a pure ASGI middleware shaped like Starlette's ``TrustedHostMiddleware``;
``/_mock/`` and ``/_sim/`` pass untouched (never authenticated, never throttled).
"""

from __future__ import annotations

import hmac
from collections import Counter, deque
from dataclasses import dataclass, field
from random import Random

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.fulfil.constants import API_PREFIX
from mocks.fulfil.errors import AuthenticationError, FulfilError, RateLimitError, render
from simclock import Clock


@dataclass
class CallStats:
    """Counters of ``/api/v2`` responses for ``/_mock/stats``."""

    calls: int = 0
    throttled: int = 0
    unauthorized: int = 0
    user_errors: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_method: Counter[str] = field(default_factory=Counter)

    def record(self, status: int) -> None:
        """Count one response."""
        self.calls += 1
        self.by_status[str(status)] += 1
        self.throttled += status == 429
        self.unauthorized += status == 401

    def clear(self) -> None:
        """Zero every counter in place (the gate keeps a reference)."""
        self.calls = self.throttled = self.unauthorized = self.user_errors = 0
        self.by_status.clear()
        self.by_method.clear()

    def as_dict(self) -> dict[str, object]:
        return {
            "calls": self.calls,
            "throttled": self.throttled,
            "unauthorized": self.unauthorized,
            "user_errors": self.user_errors,
            "by_status": dict(sorted(self.by_status.items())),
            "by_method": dict(sorted(self.by_method.items())),
        }


class KeyRing:
    """Valid API keys and each key's sliding request window."""

    def __init__(
        self, *, configured: str, clock: Clock, rng: Random, limit: int, window: float
    ) -> None:
        self.configured = configured
        self.clock = clock
        self.limit = limit
        self.window = window
        self._rng = rng
        self.valid: set[str] = {configured}
        self._windows: dict[str, deque[float]] = {}

    def reset(self) -> None:
        """Back to the configured key only, with empty windows."""
        self.valid = {self.configured}
        self._windows.clear()

    def revoke_all(self) -> None:
        """Every key stops working at once (the fault plan's credential revocation)."""
        self.valid = set()

    def issue(self, value: str | None = None) -> str:
        """A new personal access token (seeded unless given), valid from now."""
        key = value or f"fulfil_{self._rng.getrandbits(128):032x}"
        self.valid.add(key)
        return key

    def authenticate(self, presented: str | None) -> str | None:
        """The key if it is valid (constant-time comparison), else None."""
        if not presented:
            return None
        for key in self.valid:
            if hmac.compare_digest(key.encode(), presented.encode()):
                return key
        return None

    def admit(self, key: str) -> float:
        """Count one request for ``key``; 0.0 when admitted, else seconds until it would be."""
        now = self.clock.now()
        stamps = self._windows.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.window:
            stamps.popleft()
        if len(stamps) >= self.limit:
            return max(stamps[0] + self.window - now, 0.001)
        stamps.append(now)
        return 0.0


def presented_key(scope: Scope) -> str | None:
    """``x-api-key`` (ASGI lower-cases header names), else ``Authorization: Bearer``."""
    bearer = None
    for name, value in scope["headers"]:
        if name == b"x-api-key":
            return str(value.decode("latin-1")).strip()
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
    return bearer


class ApiGate:
    """Authenticate and meter every ``/api/v2`` request; count every response."""

    def __init__(self, app: ASGIApp, *, keys: KeyRing, stats: CallStats) -> None:
        self.app = app
        self.keys = keys
        self.stats = stats

    def _count(self, status: int) -> None:
        self.stats.record(status)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        error: FulfilError | None = None
        key = self.keys.authenticate(presented_key(scope))
        if key is None:
            error = AuthenticationError()
        else:
            wait = self.keys.admit(key)
            if wait:
                error = RateLimitError(limit=self.keys.limit, retry_after=wait)
        if error is not None:
            self._count(error.status)
            await render(error)(scope, receive, send)
            return

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._count(int(message["status"]))
            await send(message)

        await self.app(scope, receive, counting_send)

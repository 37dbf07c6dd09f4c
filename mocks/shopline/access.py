"""Who may call and how often: bearer tokens, the store lock and the fault plan (pure Python).

- :class:`TokenStore`: OAuth-style access tokens that expire ``token_ttl_seconds`` after issue
  (10 h). :meth:`TokenStore.rotate` issues a new token and lets the previous one live on for
  ``token_grace_seconds`` (PLATFORMS 2.1: 5 min for OAuth apps), never beyond its own expiry.
- :class:`StoreLock`: 423 after sustained abuse: ``threshold`` 429s within ``window`` seconds
  lock the store for ``duration`` seconds (our model; SHOPLINE documents no numbers).
- :class:`FaultPlan`: seeded injection of 402/423/433-436 on matching routes.
All of them read time from the injected clock only.
"""

from __future__ import annotations

import hmac
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from random import Random

from mocks.shopline.constants import FaultRule
from simclock import Clock, iso_utc


class TokenCheck(StrEnum):
    """Outcome of :meth:`TokenStore.check`."""

    VALID = "valid"
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


@dataclass(kw_only=True)
class AccessToken:
    """One issued token and the instant it stops working (simulated seconds)."""

    value: str
    issued_at: float
    expires_at: float


class TokenStore:
    """The app's access tokens: the current one and any still inside their rotation grace."""

    def __init__(
        self, *, clock: Clock, rng: Random, ttl: float, grace: float, initial_token: str
    ) -> None:
        self.clock = clock
        self.ttl = ttl
        """Lifetime of a new token."""
        self.grace = grace
        """How long a replaced token keeps working."""
        self._rng = rng
        self._tokens: dict[str, AccessToken] = {}
        self.current = self.issue(initial_token)

    def issue(self, value: str | None = None) -> AccessToken:
        """Add a token valid for ``ttl`` from now (a seeded random value unless given)."""
        now = self.clock.now()
        token = AccessToken(
            value=value or f"shpl_{self._rng.getrandbits(128):032x}",
            issued_at=now,
            expires_at=now + self.ttl,
        )
        self._tokens[token.value] = token
        return token

    def rotate(self, value: str | None = None) -> tuple[AccessToken, AccessToken]:
        """Refresh: a new current token; the previous one now expires within ``grace``.

        Returns ``(new, previous)``.
        """
        previous = self.current
        previous.expires_at = min(previous.expires_at, self.clock.now() + self.grace)
        self.current = self.issue(value)
        return self.current, previous

    def check(self, value: str | None) -> TokenCheck:
        """Whether ``value`` authenticates now (valid strictly before its ``expires_at``)."""
        if not value:
            return TokenCheck.MISSING
        token = next(
            (t for key, t in self._tokens.items() if hmac.compare_digest(key, value)), None
        )
        if token is None:
            return TokenCheck.UNKNOWN
        if self.clock.now() >= token.expires_at:
            return TokenCheck.EXPIRED
        return TokenCheck.VALID

    def describe(self, token: AccessToken) -> dict[str, object]:
        """JSON shape used by ``/_mock/token``."""
        return {
            "access_token": token.value,
            "issued_at": iso_utc(token.issued_at),
            "expires_at": iso_utc(token.expires_at),
            "expires_at_ts": token.expires_at,
            "expires_in": max(0.0, token.expires_at - self.clock.now()),
        }


class StoreLock:
    """Counts 429s in a sliding window; too many lock the store for a while."""

    def __init__(self, *, clock: Clock, threshold: int, window: float, duration: float) -> None:
        self.clock = clock
        self.threshold = threshold
        """429s within ``window`` that trigger the lock; 0 disables it."""
        self.window = window
        self.duration = duration
        self._throttles: deque[float] = deque()
        self.locked_until: float | None = None
        self.locks = 0
        """How many times the store has been locked since the last reset."""

    def is_locked(self) -> bool:
        """Whether calls are answered 423 now."""
        return self.locked_until is not None and self.clock.now() < self.locked_until

    def record_throttle(self) -> None:
        """Count one 429; lock the store if the window now holds ``threshold`` of them."""
        if self.threshold <= 0:
            return
        now = self.clock.now()
        self._throttles.append(now)
        while self._throttles and self._throttles[0] <= now - self.window:
            self._throttles.popleft()
        if len(self._throttles) >= self.threshold:
            self.locked_until = now + self.duration
            self.locks += 1
            self._throttles.clear()

    def reset(self) -> None:
        """Unlock and forget past 429s."""
        self._throttles.clear()
        self.locked_until = None
        self.locks = 0


class FaultPlan:
    """Seeded choice of an injected status for a route (first matching rule that fires)."""

    def __init__(self, *, rules: Iterable[FaultRule], rng: Random) -> None:
        self.rules: tuple[FaultRule, ...] = tuple(rules)
        self._rng = rng
        self.injected = 0
        """How many calls were answered by a fault since the last reset."""

    def replace(self, rules: Iterable[FaultRule]) -> None:
        """Swap the rule set (``/_mock/faults``)."""
        self.rules = tuple(rules)

    def pick(self, route: str) -> int | None:
        """The status to answer ``route`` with, or None to serve it normally.

        A rule with rate 1 always fires without a draw; others draw from the seeded stream, so
        a run repeats for a given seed and sequence of calls.
        """
        for rule in self.rules:
            if not fnmatchcase(route, rule.route):
                continue
            if rule.rate >= 1.0 or (rule.rate > 0.0 and self._rng.random() < rule.rate):
                self.injected += 1
                return rule.status
        return None

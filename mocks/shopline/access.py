"""Who may call and how often: bearer tokens and the store lock (pure Python).

- :class:`TokenStore`: OAuth-style access tokens that expire ``token_ttl_seconds`` after issue
  (10 h). :meth:`TokenStore.rotate` issues a new token and lets the previous one live on for
  ``token_grace_seconds`` (PLATFORMS 2.1: 5 min for OAuth apps), never beyond its own expiry.
- :class:`StoreLock`: 423 after sustained abuse: ``threshold`` 429s within ``window`` seconds
  lock the store for ``duration`` seconds (our model; SHOPLINE documents no numbers).
Both read time from the injected clock only. Injected faults (402/423/433-436 and the rest)
belong to the shared fault plan (``mocks/common/faults.py``); :meth:`TokenStore.revoke_all` is
what its ``revoke_token`` rule calls.
"""

from __future__ import annotations

import hmac
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from random import Random

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

    def revoke_all(self) -> None:
        """Every issued token stops working now (an app uninstalled, a leaked token revoked);
        ``rotate`` still issues a working one, as a refresh would."""
        now = self.clock.now()
        for token in self._tokens.values():
            token.expires_at = min(token.expires_at, now)
        self._tokens.clear()  # forgotten: a revoked token is "Invalid", not "expired"

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

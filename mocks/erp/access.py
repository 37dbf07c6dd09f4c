"""Bearer tokens of the ERP mock: which are valid, revocation and re-issue (pure Python).

NetSuite REST takes ``Authorization: Bearer <token>`` (OAuth 2.0) and answers a bad one with
401 ``INVALID_LOGIN`` (PLATFORMS.md 5.2). The configured token is valid from the start. The
fault plan's ``revoke_credentials`` invalidates every valid token; ``POST /_mock/token`` issues
a new one (a seeded random value, or the one given) and ``/_mock/reset`` restores the
configured token.
"""

from __future__ import annotations

import hmac
from random import Random


class AccessTokens:
    """The set of bearer tokens the account accepts right now."""

    def __init__(self, *, initial: str, rng: Random) -> None:
        self.initial = initial
        """The token from the credentials, valid again after a reset."""
        self._rng = rng
        self._valid: set[str] = {initial}
        self.revocations = 0

    def check(self, token: str) -> bool:
        """Whether ``token`` is valid (compared in constant time against each valid one)."""
        hits = [hmac.compare_digest(token.encode(), valid.encode()) for valid in self._valid]
        return any(hits)

    def revoke_all(self) -> None:
        """Invalidate every token (the next authenticated request gets 401)."""
        self._valid.clear()
        self.revocations += 1

    def issue(self, value: str | None = None) -> str:
        """Make ``value`` (or a new seeded random token) valid and return it."""
        token = value or f"erp_{self._rng.getrandbits(128):032x}"
        self._valid.add(token)
        return token

    def reset(self) -> None:
        """Back to the configured token only."""
        self._valid = {self.initial}

"""Who may call and how often: OAuth client credentials, bearer tokens and window limiters.

- ``POST /api/oauth/token`` (PLATFORMS 3.1): ``grant_type=client_credentials`` with the
  integration's access key id and secret, as a form or a JSON body. The answer is
  ``{"token_type": "Bearer", "expires_in": 600, "access_token": ...}``: client-credential tokens
  come without a refresh token, so a client fetches a new one when the old one expires.
- :class:`TokenStore`: tokens expire ``token_ttl_seconds`` after issue on the injected clock;
  :meth:`TokenStore.revoke_all` invalidates every token (the client credentials stay valid).
- :class:`WindowLimiter`: at most ``limit`` calls per ``window`` seconds per key (client IP for
  the token route: the SaaS 10/min of PLATFORMS 3.3); a refused call is not counted and learns
  how many whole seconds until a slot frees.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from random import Random
from urllib.parse import parse_qs

from mocks.common.money import loads_exact
from mocks.shopware.errors import (
    InvalidClient,
    InvalidOAuthRequest,
    MalformedJson,
    UnsupportedGrantType,
)
from simclock import Clock

GRANT_TYPE = "client_credentials"
_JWT_HEADER = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"  # {"typ":"JWT","alg":"RS256"}
_PRUNE_AFTER_SECONDS = 3600.0


class TokenCheck(StrEnum):
    """Outcome of :meth:`TokenStore.check`."""

    VALID = "valid"
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"


@dataclass(kw_only=True)
class AccessToken:
    """One issued token, its client and the instant it stops working."""

    value: str
    client_id: str
    issued_at: float
    expires_at: float


class TokenStore:
    """Issued Admin API tokens (several may be valid at once, one per client login)."""

    def __init__(self, *, clock: Clock, rng: Random, ttl: float) -> None:
        self.clock = clock
        self.ttl = ttl
        """Lifetime of a new token in simulated seconds."""
        self._rng = rng
        self._tokens: dict[str, AccessToken] = {}

    def issue(self, client_id: str) -> AccessToken:
        """A new JWT-shaped token valid for ``ttl`` (claims ``iat``/``exp`` readable)."""
        now = self.clock.now()
        self._prune(now)
        jti = f"{self._rng.getrandbits(256):064x}"
        claims = {
            "aud": client_id,
            "jti": jti,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "sub": "",
            "scopes": ["write"],
        }
        payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        signature = f"{self._rng.getrandbits(256):064x}"
        token = AccessToken(
            value=f"{_JWT_HEADER}.{payload}.{signature}",
            client_id=client_id,
            issued_at=now,
            expires_at=now + self.ttl,
        )
        self._tokens[token.value] = token
        return token

    def _prune(self, now: float) -> None:
        stale = [k for k, t in self._tokens.items() if t.expires_at + _PRUNE_AFTER_SECONDS < now]
        for key in stale:
            del self._tokens[key]

    def lookup(self, value: str | None) -> tuple[TokenCheck, AccessToken | None]:
        """Whether ``value`` authenticates now (valid strictly before ``expires_at``)."""
        if not value:
            return TokenCheck.MISSING, None
        token = self._tokens.get(value)
        if token is None or not hmac.compare_digest(token.value, value):
            return TokenCheck.UNKNOWN, None
        if self.clock.now() >= token.expires_at:
            return TokenCheck.EXPIRED, token
        return TokenCheck.VALID, token

    def revoke_all(self) -> int:
        """Invalidate every token; returns how many were still valid."""
        now = self.clock.now()
        valid = sum(1 for t in self._tokens.values() if now < t.expires_at)
        self._tokens.clear()
        return valid

    def reset(self) -> None:
        """Forget every token."""
        self._tokens.clear()


class WindowLimiter:
    """At most ``limit`` calls in any ``window`` seconds, per key (sliding log)."""

    def __init__(self, *, clock: Clock, limit: int, window: float) -> None:
        self.clock = clock
        self.limit = limit
        """Calls allowed per window; 0 disables the limiter."""
        self.window = window
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str) -> int | None:
        """Count a call for ``key``; None when allowed, else whole seconds to wait (>= 1)."""
        if self.limit <= 0:
            return None
        now = self.clock.now()
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            return None
        return max(1, math.ceil(hits[0] + self.window - now))

    def reset(self) -> None:
        """Forget every call."""
        self._hits.clear()


@dataclass(frozen=True, kw_only=True)
class TokenRequest:
    """A parsed ``POST /api/oauth/token`` body."""

    grant_type: str
    client_id: str
    client_secret: str


def parse_token_request(content_type: str, raw: bytes) -> TokenRequest:
    """Read a form or JSON token request; a missing parameter is League's invalid_request."""
    fields: dict[str, object]
    if content_type.lower().startswith("application/json"):
        try:
            parsed = loads_exact(raw) if raw.strip() else {}
        except ValueError:
            raise MalformedJson() from None
        fields = parsed if isinstance(parsed, dict) else {}
    else:
        try:
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            raise InvalidOAuthRequest("grant_type") from None
        fields = {k: v[0] for k, v in form.items()}
    grant = fields.get("grant_type")
    if not isinstance(grant, str) or not grant:
        raise InvalidOAuthRequest("grant_type")
    if grant != GRANT_TYPE:
        raise UnsupportedGrantType()
    client_id, secret = fields.get("client_id"), fields.get("client_secret")
    if not isinstance(client_id, str) or not client_id:
        raise InvalidOAuthRequest("client_id")
    if not isinstance(secret, str):
        raise InvalidClient()
    return TokenRequest(grant_type=grant, client_id=client_id, client_secret=secret)


def check_client(req: TokenRequest, *, client_id: str, client_secret: str) -> None:
    """Constant-time comparison of the presented credentials; InvalidClient on mismatch."""
    ok_id = hmac.compare_digest(req.client_id.encode(), client_id.encode())
    ok_secret = hmac.compare_digest(req.client_secret.encode(), client_secret.encode())
    if not (ok_id and ok_secret):
        raise InvalidClient()

"""The engine's error tree. Retryability is decided by class, never by message text.

SyncError
 ├── TransientError ............ retried with back-off
 │    ├── Throttled ............ the destination asked us to slow down (429, Retry-After)
 │    │    └── ConcurrencyRejected  too many requests in flight (NetSuite governance)
 │    ├── ServerError .......... 5xx
 │    └── OutcomeUnknown ....... timeout or broken connection: the write may have landed
 └── PermanentError ............ held in the exception queue, never retried blindly
      ├── RecordRejected ....... the destination refused this record (4xx business error)
      └── AuthFailed ........... credentials refused (401/403)
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every error a connector raises."""

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class TransientError(SyncError):
    """Worth retrying later."""


class Throttled(TransientError):
    """Rate limited; ``retry_after`` in simulated seconds when the platform said."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ConcurrencyRejected(Throttled):
    """Rejected because too many of our requests were in flight."""


class ServerError(TransientError):
    """The destination failed (5xx)."""


class OutcomeUnknown(TransientError):
    """No answer: the effect may or may not have happened, so only idempotent retries are safe."""


class PermanentError(SyncError):
    """Retrying the same request cannot succeed."""


class RecordRejected(PermanentError):
    """The destination refused this record, e.g. an unknown SKU."""


class AuthFailed(PermanentError):
    """Credentials were refused."""

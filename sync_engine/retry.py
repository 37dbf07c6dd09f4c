"""The retry policy: a pure function of the attempt, the error and an injected random source."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sync_engine.errors import PermanentError, SyncError


@dataclass(frozen=True, kw_only=True)
class RetryDecision:
    """Whether to retry and after how many simulated seconds."""

    retry: bool
    delay: float = 0.0


def decide(
    error: SyncError, attempt: int, rng: random.Random, *, base: float, cap: float
) -> RetryDecision:
    """Exponential back-off with full jitter; ``Retry-After`` is a floor, never ignored.

    ``attempt`` counts failures so far (1 for the first). Permanent errors are not retried.
    """
    if isinstance(error, PermanentError):
        return RetryDecision(retry=False)
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    delay = rng.uniform(0.0, ceiling)
    # Throttles and open circuits say how long to stay away; that is a floor.
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        delay = max(delay, float(retry_after))
    return RetryDecision(retry=True, delay=delay)

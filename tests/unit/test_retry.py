from __future__ import annotations

import random

import pytest

from sync_engine.errors import (
    ConcurrencyRejected,
    OutcomeUnknown,
    RecordRejected,
    ServerError,
    Throttled,
)
from sync_engine.retry import decide


def test_permanent_errors_are_not_retried() -> None:
    decision = decide(RecordRejected("unknown item"), 1, random.Random(1), base=0.5, cap=60)
    assert decision.retry is False


@pytest.mark.parametrize("error", [ServerError("500"), OutcomeUnknown("timeout")])
def test_backoff_is_full_jitter_under_an_exponential_ceiling(error: Exception) -> None:
    rng = random.Random(7)
    for attempt in range(1, 12):
        ceiling = min(60.0, 0.5 * 2 ** (attempt - 1))
        delays = [decide(error, attempt, rng, base=0.5, cap=60).delay for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays)
        # Full jitter spreads over the whole range, not just near the ceiling.
        assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9


def test_retry_after_is_a_floor() -> None:
    rng = random.Random(3)
    for error in (Throttled("429", retry_after=2.0), ConcurrencyRejected("429", retry_after=5.0)):
        delays = [decide(error, 1, rng, base=0.5, cap=60).delay for _ in range(100)]
        assert min(delays) >= error.retry_after


def test_same_seed_same_delays() -> None:
    a = [decide(ServerError("x"), n, random.Random(9), base=1, cap=30).delay for n in range(1, 8)]
    b = [decide(ServerError("x"), n, random.Random(9), base=1, cap=30).delay for n in range(1, 8)]
    assert a == b

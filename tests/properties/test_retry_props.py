"""The retry policy's bounds: full jitter under an exponential ceiling, Retry-After a floor."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from sync_engine.errors import (
    AuthFailed,
    ConcurrencyRejected,
    OutcomeUnknown,
    PermanentError,
    RecordRejected,
    ServerError,
    SyncError,
    Throttled,
    TransientError,
)
from sync_engine.retry import decide

attempts = st.integers(min_value=1, max_value=80)
bases = st.floats(min_value=0.01, max_value=10.0)
caps = st.floats(min_value=0.01, max_value=600.0)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
transient = st.sampled_from([ServerError, OutcomeUnknown, TransientError])
permanent = st.sampled_from([PermanentError, RecordRejected, AuthFailed])


def ceiling(base: float, cap: float, attempt: int) -> float:
    return min(cap, base * 2 ** (attempt - 1))


@given(kind=transient, attempt=attempts, base=bases, cap=caps, seed=seeds)
def test_transient_delay_is_within_zero_and_the_exponential_ceiling(
    kind: type[SyncError], attempt: int, base: float, cap: float, seed: int
) -> None:
    decision = decide(kind("boom"), attempt, random.Random(seed), base=base, cap=cap)
    assert decision.retry
    assert 0.0 <= decision.delay <= ceiling(base, cap, attempt)


@given(
    kind=st.sampled_from([Throttled, ConcurrencyRejected]),
    retry_after=st.none() | st.floats(min_value=0.0, max_value=3600.0),
    attempt=attempts,
    base=bases,
    cap=caps,
    seed=seeds,
)
def test_retry_after_is_a_floor_and_the_jitter_stays_under_the_ceiling(
    kind: type[Throttled],
    retry_after: float | None,
    attempt: int,
    base: float,
    cap: float,
    seed: int,
) -> None:
    error = kind("429", retry_after=retry_after)
    decision = decide(error, attempt, random.Random(seed), base=base, cap=cap)
    assert decision.retry
    top = ceiling(base, cap, attempt)
    if retry_after is None:
        assert 0.0 <= decision.delay <= top
    else:
        # Never sooner than the platform asked, never later than both limits allow.
        assert retry_after <= decision.delay <= max(retry_after, top)


@given(kind=permanent, attempt=attempts, base=bases, cap=caps, seed=seeds)
def test_permanent_errors_are_never_retried(
    kind: type[SyncError], attempt: int, base: float, cap: float, seed: int
) -> None:
    rng = random.Random(seed)
    state = rng.getstate()
    decision = decide(kind("unknown SKU"), attempt, rng, base=base, cap=cap)
    assert not decision.retry
    assert decision.delay == 0.0
    assert rng.getstate() == state  # no randomness spent on a decision that cannot retry


@given(attempt=attempts, base=bases, cap=caps, seed=seeds)
def test_same_seed_same_delay(attempt: int, base: float, cap: float, seed: int) -> None:
    first = decide(ServerError("502"), attempt, random.Random(seed), base=base, cap=cap)
    again = decide(ServerError("502"), attempt, random.Random(seed), base=base, cap=cap)
    assert first == again

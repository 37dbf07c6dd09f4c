"""The NetSuite-style concurrency limiter: exact limit, immediate rejection, slots freed."""

from __future__ import annotations

import asyncio

import pytest

from mocks.common.concurrency import ConcurrencyLimiter, ConcurrencyLimitExceeded


def test_the_request_after_the_limit_is_rejected_and_a_release_frees_a_slot() -> None:
    limiter = ConcurrencyLimiter(3)
    assert [limiter.try_acquire() for _ in range(3)] == [True, True, True]
    assert limiter.try_acquire() is False
    assert (limiter.in_flight, limiter.rejected, limiter.max_in_flight) == (3, 1, 3)
    limiter.release()
    assert limiter.try_acquire() is True
    assert limiter.try_acquire() is False
    assert (limiter.in_flight, limiter.rejected, limiter.acquired) == (3, 2, 4)


def test_async_context_manager_raises_when_full_and_releases_on_error() -> None:
    async def scenario() -> None:
        limiter = ConcurrencyLimiter(1)
        async with limiter:
            assert limiter.in_flight == 1
            with pytest.raises(ConcurrencyLimitExceeded) as info:
                async with limiter:
                    pass  # pragma: no cover - never entered
            assert info.value.limit == 1
        assert limiter.in_flight == 0
        with pytest.raises(RuntimeError, match="boom"):
            async with limiter:
                raise RuntimeError("boom")
        # The slot came back even though the body raised.
        assert limiter.in_flight == 0
        assert limiter.try_acquire() is True

    asyncio.run(scenario())


def test_concurrent_holders_never_exceed_the_limit() -> None:
    async def scenario() -> tuple[int, int, int]:
        limiter = ConcurrencyLimiter(4)
        gate = asyncio.Event()
        outcomes: list[bool] = []

        async def request() -> None:
            try:
                async with limiter:
                    outcomes.append(True)
                    await gate.wait()
            except ConcurrencyLimitExceeded:
                outcomes.append(False)

        tasks = [asyncio.create_task(request()) for _ in range(10)]
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight_at_peak = limiter.in_flight
        gate.set()
        await asyncio.gather(*tasks)
        return in_flight_at_peak, outcomes.count(False), limiter.max_in_flight

    peak, rejected, max_in_flight = asyncio.run(scenario())
    assert (peak, rejected, max_in_flight) == (4, 6, 4)


def test_release_without_acquire_is_a_bug() -> None:
    limiter = ConcurrencyLimiter(2)
    with pytest.raises(RuntimeError, match="without a matching acquire"):
        limiter.release()


def test_reset_stats_keeps_held_slots() -> None:
    limiter = ConcurrencyLimiter(1)
    assert limiter.try_acquire()
    assert not limiter.try_acquire()
    limiter.reset_stats()
    assert limiter.stats() == {
        "limit": 1,
        "in_flight": 1,
        "max_in_flight": 1,
        "acquired": 0,
        "rejected": 0,
    }
    limiter.release()
    assert limiter.in_flight == 0


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_limit_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(ValueError, match="concurrency limit"):
        ConcurrencyLimiter(bad)  # type: ignore[arg-type]

from __future__ import annotations

import asyncio

import pytest

from simclock import ScaledClock, VirtualClock, iso_utc, parse_iso_utc


def test_autojump_sleep_advances_time_at_once() -> None:
    clock = VirtualClock(start=100.0)
    asyncio.run(clock.sleep(2.5))
    assert clock.now() == 102.5 and clock.slept == 2.5


def test_manual_clock_wakes_sleepers_only_when_advanced_past_their_deadline() -> None:
    async def go() -> list[str]:
        clock = VirtualClock(start=0.0, autojump=False)
        woke: list[str] = []

        async def sleeper(name: str, seconds: float) -> None:
            await clock.sleep(seconds)
            woke.append(name)

        tasks = [asyncio.create_task(sleeper("a", 5)), asyncio.create_task(sleeper("b", 1))]
        await asyncio.sleep(0)
        clock.advance(0.5)
        await asyncio.sleep(0)
        assert woke == []
        clock.advance(0.5)
        await asyncio.sleep(0)
        assert woke == ["b"]
        clock.advance(10)
        await asyncio.gather(*tasks)
        return woke

    assert asyncio.run(go()) == ["b", "a"]


def test_time_never_runs_backwards() -> None:
    with pytest.raises(ValueError):
        VirtualClock().advance(-1)


def test_scaled_clocks_built_from_the_same_origin_agree() -> None:
    a = ScaledClock(time_scale=10)
    b = ScaledClock(**a.to_dict())
    assert abs(a.now() - b.now()) < 1.0
    assert a.wall_seconds(10) == 1.0
    with pytest.raises(ValueError):
        ScaledClock(time_scale=0)


def test_iso_round_trip_keeps_milliseconds() -> None:
    assert iso_utc(1_764_000_000.123) == "2025-11-24T16:00:00.123Z"
    assert parse_iso_utc("2025-11-24T16:00:00.123Z") == pytest.approx(1_764_000_000.123)
    assert parse_iso_utc("2025-11-24T11:00:00-05:00") == 1_764_000_000.0


def test_wall_time_is_when_a_scaled_clock_reaches_a_simulated_instant() -> None:
    clock = ScaledClock(time_scale=10, origin_wall=1_000.0, origin_sim=5_000.0)
    assert clock.wall_time(5_000.0) == 1_000.0
    assert clock.wall_time(5_030.0) == 1_003.0  # 30 simulated s at 10x: 3 wall s

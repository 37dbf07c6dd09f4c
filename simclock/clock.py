"""Clock implementations: scaled real time for live runs, virtual time for tests.

Modelled on SimPy's split between ``Environment`` and ``RealtimeEnvironment``: the model code
only ever asks ``now()`` and ``await sleep()``; what a second *is* belongs to the clock.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """What every component reads time from."""

    @property
    def time_scale(self) -> float:
        """Simulated seconds per wall-clock second."""
        ...

    def now(self) -> float:
        """Simulated POSIX time in seconds."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of simulated time."""
        ...


class ScaledClock:
    """Real time, optionally sped up: ``time_scale = 10`` runs ten simulated seconds per second.

    Every process of one rehearsal builds its clock from the same origins, so timestamps written
    by the Shopify mock, the ERP mock and the engine are directly comparable.
    """

    def __init__(
        self,
        *,
        time_scale: float = 1.0,
        origin_wall: float | None = None,
        origin_sim: float | None = None,
    ) -> None:
        if time_scale <= 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        self._scale = float(time_scale)
        self.origin_wall: float = time.time() if origin_wall is None else float(origin_wall)
        """Wall-clock POSIX time at which simulated time was ``origin_sim``."""
        self.origin_sim: float = self.origin_wall if origin_sim is None else float(origin_sim)
        """Simulated POSIX time at ``origin_wall``."""

    @property
    def time_scale(self) -> float:
        return self._scale

    def now(self) -> float:
        return self.origin_sim + (time.time() - self.origin_wall) * self._scale

    def wall_time(self, sim_time: float) -> float:
        """Wall-clock POSIX time at which simulated time reaches ``sim_time`` (an instant a
        process without this clock, such as Locust, can wait for)."""
        return self.origin_wall + (sim_time - self.origin_sim) / self._scale

    def wall_seconds(self, sim_seconds: float) -> float:
        """How long ``sim_seconds`` of simulated time takes on the wall clock."""
        return sim_seconds / self._scale

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self._scale)

    def sleep_blocking(self, seconds: float) -> None:
        """Block the calling thread for ``seconds`` of simulated time (orchestrator loops)."""
        time.sleep(max(0.0, seconds) / self._scale)

    def to_dict(self) -> dict[str, float]:
        """The three numbers another process needs to build the same clock."""
        return {
            "time_scale": self._scale,
            "origin_wall": self.origin_wall,
            "origin_sim": self.origin_sim,
        }


class VirtualClock:
    """Time that moves only when told to, for tests and controllable servers.

    With ``autojump`` (the default), ``sleep`` jumps the clock forward to the sleeper's
    deadline: code that waits for a latency or a back-off runs instantly, and the simulated time
    it spent is still accounted for. Without it, sleepers wait until ``advance`` carries the
    clock past their deadline, so time moves *only* when a test says so, as a mock server
    controlled through ``POST /_mock/clock`` needs.
    """

    def __init__(self, start: float = 1_764_000_000.0, *, autojump: bool = True) -> None:
        self._now = float(start)
        self.autojump = autojump
        self.slept: float = 0.0
        """Total simulated seconds spent in ``sleep`` (lets tests see back-off happened)."""
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @property
    def time_scale(self) -> float:
        return 1.0

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline has come."""
        if seconds < 0:
            raise ValueError("time does not run backwards")
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, waiter = heapq.heappop(self._sleepers)
            if not waiter.done():
                waiter.set_result(None)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept += seconds
        if self.autojump or seconds == 0:
            self._now += seconds
            await asyncio.sleep(0)
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), waiter))
        await waiter


def iso_utc(ts: float, *, millis: bool = True) -> str:
    """Format simulated POSIX seconds as ISO-8601 UTC (``2026-11-27T05:00:00.000Z``)."""
    dt = datetime.fromtimestamp(ts, tz=UTC)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso_utc(text: str) -> float:
    """Parse an ISO-8601 timestamp (``Z`` or an offset) to POSIX seconds."""
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()

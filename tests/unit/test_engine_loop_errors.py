"""An unexpected error (a bug) in a flow never drops a record or stops the engine: the job is
held in the exception queue with the error, the flow goes on with the next one, and a loop
that crashes is logged, counted and restarted."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from typing import Any

import pytest

from simclock import VirtualClock
from sync_engine.config import Timing
from sync_engine.engine import Engine
from sync_engine.flows.jobs import JobFlow
from sync_engine.store import open_store
from sync_engine.store.contract import DueJob


class Buggy(JobFlow):
    flow = "refunds"

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.performed: list[str] = []

    async def discover(self) -> int:
        return 0

    async def perform(self, job: DueJob) -> None:
        if job.payload.get("bad"):
            raise KeyError("line_items")
        self.performed.append(job.record_key)


def test_a_job_that_raises_a_bug_is_held_with_the_error_and_the_rest_go_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = open_store("memory://")
    clock = VirtualClock()
    alerts: list[str] = []
    flow = Buggy(
        store=store,
        clock=clock,
        timing=Timing(),
        rng=random.Random(1),
        interval=60,
        on_exception=alerts.append,
    )
    flow.record_one("a", {"bad": True})
    flow.record_one("b", {})
    with caplog.at_level(logging.ERROR):
        assert asyncio.run(flow.work_once()) == 1
    assert flow.performed == ["b"]
    (held,) = store.held_jobs()
    assert held["record_key"] == "a" and held["reason"] == "KeyError: 'line_items'"
    assert store.job_counts()["refunds"] == {"done": 1, "exception": 1}
    assert len(alerts) == 1 and flow.held == 1
    assert "job a failed unexpectedly" in caplog.text


def test_a_crashed_engine_loop_is_logged_counted_and_restarted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []

    async def flaky_loop() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("boom")

    engine = Engine.__new__(Engine)  # only what _supervised needs: a clock and the counter
    engine.clock = VirtualClock()  # autojump: the restart pause costs no wall time
    engine.loop_crashes = Counter()
    with caplog.at_level(logging.ERROR):
        asyncio.run(engine._supervised("refunds", flaky_loop))
    assert len(runs) == 3 and engine.loop_crashes == {"refunds": 2}
    assert caplog.text.count("engine loop 'refunds' crashed; restarting it") == 2

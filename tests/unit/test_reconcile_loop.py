"""The report as data, the decision table, and reconciliation on a schedule at low priority."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from scenarios.bench_reconcile import CHANNEL, LAG, SHOP_TOKEN, build_world
from simclock import VirtualClock
from sync_engine.config import ShopifyDestination
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.reconcile import (
    Action,
    Cause,
    DriftReport,
    LowPriority,
    ReconcileLoop,
    ReconcileSettings,
    Where,
    build_order_reconciler,
)
from sync_engine.reconcile.findings import decide, finding
from sync_engine.reconcile.segments import Window


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.mark.parametrize(
    ("cause", "where", "code", "expected"),
    [
        (Cause.MISSING, Where.ENGINE, None, (Action.REPAIR, None)),
        (Cause.MISSING, Where.BACK_OFFICE, None, (Action.REPAIR, None)),
        (Cause.MISSING, Where.BACK_OFFICE, "STUCK_IN_QUEUE", (Action.EXCEPTION, "STUCK_IN_QUEUE")),
        (Cause.UNMAPPED, Where.BACK_OFFICE, None, (Action.NONE, None)),
        (Cause.DUPLICATE, Where.BACK_OFFICE, None, (Action.EXCEPTION, "DUPLICATE_SALES_ORDER")),
        (Cause.CANCELLATION, Where.ENGINE, "CANCELLED_ON_CHANNEL", (Action.REPAIR, None)),
        (
            Cause.CANCELLATION,
            Where.BACK_OFFICE,
            None,
            (Action.EXCEPTION, "CANCELLED_IN_BACK_OFFICE"),
        ),
        (Cause.TAX, Where.BACK_OFFICE, None, (Action.EXCEPTION, "TAX_MISMATCH")),
        (Cause.TAX, Where.ENGINE, None, (Action.REPAIR, None)),
        (Cause.SYNC_LAG, Where.BACK_OFFICE, None, (Action.NONE, None)),
        (Cause.REFUND_TIMING, Where.BACK_OFFICE, None, (Action.NONE, None)),
        (Cause.STOCK_DRIFT, Where.BACK_OFFICE, None, (Action.REPAIR, None)),
        (Cause.ORPHAN, Where.BACK_OFFICE, None, (Action.EXCEPTION, "ORPHAN_RECORD")),
    ],
)
def test_each_cause_turns_into_one_action(
    cause: Cause, where: Where, code: str | None, expected: tuple[Action, str | None]
) -> None:
    assert decide(cause, where, detail_code=code) == expected


def test_a_report_is_json_with_findings_once_each() -> None:
    report = DriftReport(channel="shopify", started_at=1_764_000_000.0, window=Window(0, 10))
    lost = finding(
        Cause.MISSING,
        Where.ENGINE,
        channel="shopify",
        record_key="7",
        detail="gone",
        created_ts=5.0,
    )
    report.add(lost)
    report.add(lost)
    report.add(
        finding(Cause.SYNC_LAG, Where.BACK_OFFICE, channel="shopify", record_key="8", detail="x")
    )
    data = json.loads(json.dumps(report.to_json()))
    assert data["drift"] == 1 and data["by_cause"] == {"missing_order": 1, "sync_lag": 1}
    assert [f["record_key"] for f in data["findings"]] == ["7", "8"]
    assert data["findings"][0]["action"] == "repair" and data["findings"][1]["drift"] is False
    assert lost.fingerprint == "reconcile:missing_order:engine:-"


def test_low_priority_waits_while_the_flows_are_busy_then_goes() -> None:
    async def go() -> None:
        clock = VirtualClock()
        busy_until = clock.now() + 5
        gate = LowPriority(clock=clock, busy=lambda: clock.now() < busy_until, poll=1.0)
        await gate()
        assert clock.now() >= busy_until and gate.waited == pytest.approx(5.0)
        stuck = LowPriority(clock=clock, busy=lambda: True, poll=1.0, max_wait=3.0)
        started = clock.now()
        await stuck()
        assert clock.now() - started == pytest.approx(3.0)

    run(go())


def test_the_loop_runs_passes_on_a_schedule_and_hands_out_reports() -> None:
    async def go() -> None:
        world = await build_world(800, 3, kinds=("lost", "duplicate", "tax"))
        reconciler, _ = world.reconciler()
        seen: list[DriftReport] = []
        loop = ReconcileLoop(
            reconcilers=[reconciler], clock=world.clock, interval=600.0, on_report=seen.append
        )
        task = asyncio.create_task(loop.run())
        while loop.passes < 2:
            await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await world.aclose()
        assert len(seen) >= 2 and seen[1].started_at - seen[0].started_at >= 600.0
        assert {f.cause for f in seen[0].drift} == {Cause.MISSING, Cause.DUPLICATE, Cause.TAX}
        status = loop.status()
        assert status["passes"] >= 2 and status["latest"][CHANNEL]["drift"] == 3
        assert "findings" not in status["latest"][CHANNEL]

    run(go())


def test_the_wiring_reads_the_engines_store_through_its_connectors_and_repairs() -> None:
    async def go() -> None:
        world = await build_world(800, 2, kinds=("lost", "missing_in_erp"))
        rest, erp = world.connectors()
        channel = ShopifyChannel(CHANNEL, rest, webhook_secret="x")
        assert isinstance(rest.dest, ShopifyDestination) and rest.dest.access_token == SHOP_TOKEN
        repaired: list[list[str]] = []

        async def repair(ids: list[str]) -> None:
            repaired.append(ids)

        reconciler = build_order_reconciler(
            channel=channel,
            back_office=erp,
            store=world.store,
            clock=world.clock,
            repair=repair,
            settings=ReconcileSettings(lag=LAG),
            back_office_busy=lambda: False,
        )
        report = await reconciler.run_pass()
        await world.aclose()
        assert report.complete and sorted(repaired[0]) == sorted(world.planted)
        assert report.repaired == repaired[0]
        # Every call went through the connectors' own clients (and the Shopify budget).
        assert rest.budget.calls == report.calls["channel"]
        assert erp.calls["suiteql.reconcile"] == report.calls["back_office"]

    run(go())

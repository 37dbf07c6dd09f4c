"""Reconciliation passes against the in-process Shopify and ERP mocks (virtual clock).

The worlds come from the benchmark's builder: N orders seeded in bulk on the channel, the
sales orders the engine's own mapping would write seeded in the ERP, and a memory store with
what the engine recorded; drifts are planted by kind and must come back with their cause.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

from scenarios.bench_reconcile import CHANNEL, EXPECTED, KINDS, World, build_world, score
from sync_engine.model import Order
from sync_engine.reconcile import Action, Cause, DriftReport, ReconcileSettings, ShopifyOrders
from sync_engine.reconcile.segments import Window

N = 2000


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def one_pass(world: World, **kwargs: Any) -> tuple[DriftReport, list[list[str]]]:
    reconciler, repairs = world.reconciler(**kwargs)
    try:
        return await reconciler.run_pass(), repairs
    finally:
        await world.aclose()


def test_a_clean_run_finds_nothing_and_spends_a_handful_of_calls() -> None:
    async def go() -> None:
        world = await build_world(N, 0, cancelled_clean=5)
        report, repairs = await one_pass(world)
        assert report.complete and report.error is None
        assert report.findings == [] and repairs == []
        assert report.orders_compared == N
        # Head and tail listings and the cancelled count on the channel, one grouped
        # query on the ERP: against ten pages for a full scan of 2000.
        assert report.calls == {"channel": 3, "back_office": 1}
        assert report.full_scan_calls == 8 + 2

    run(go())


def test_every_planted_kind_is_found_with_its_cause_and_action() -> None:
    async def go() -> None:
        extra = {"unmapped": 2, "stuck": 2, "stale_cancel": 2, "lag": 3}
        world = await build_world(N, 2 * len(KINDS), extra=extra)
        report, repairs = await one_pass(world)
        result = score(world, report, repairs)
        assert result.missed == []
        assert result.false_positives == []
        assert result.repaired_ok
        by_key = {(f.record_key, f.cause): f for f in report.findings}
        for order_id, kind in world.planted.items():
            cause = Cause.SYNC_LAG if kind == "lag" else EXPECTED[kind][0]
            item = by_key[(order_id, cause)]
            expected_action = {
                "lost": (Action.REPAIR, None),
                "missing_in_erp": (Action.REPAIR, None),
                "cancel": (Action.REPAIR, None),
                "stale_cancel": (Action.REPAIR, None),
                "duplicate": (Action.EXCEPTION, "DUPLICATE_SALES_ORDER"),
                "tax": (Action.EXCEPTION, "TAX_MISMATCH"),
                "shipping": (Action.EXCEPTION, "SHIPPING_MISMATCH"),
                "discount": (Action.EXCEPTION, "DISCOUNT_MISMATCH"),
                "unmapped": (Action.NONE, None),
                "stuck": (Action.EXCEPTION, "STUCK_IN_QUEUE"),
                "lag": (Action.NONE, None),
            }[kind]
            assert (item.action, item.code) == expected_action, (kind, item)
        # Lag is reported, and is not drift.
        assert {f.record_key for f in report.findings if not f.drift} == {
            i for i, kind in world.planted.items() if kind == "lag"
        }
        assert report.lag["engine_pending"] == 3
        # One repair call with exactly the orders to re-ingest.
        assert len(repairs) == 1
        assert set(repairs[0]) == {
            i
            for i, kind in world.planted.items()
            if kind in ("lost", "missing_in_erp", "cancel", "stale_cancel")
        }

    run(go())


def test_amount_findings_carry_both_sides_figures() -> None:
    async def go() -> None:
        world = await build_world(N, 3, kinds=("tax", "shipping", "discount"))
        report, _ = await one_pass(world)
        by_cause = {f.cause: f for f in report.findings}
        for cause, part, delta in (
            (Cause.TAX, "tax", "0.01"),
            (Cause.SHIPPING, "shipping", "1.00"),
            (Cause.DISCOUNT, "discount", "0.50"),
        ):
            figures = by_cause[cause].values
            planted = Decimal(figures[f"back_office.{part}"]) - Decimal(figures[f"expected.{part}"])
            assert planted == Decimal(delta)
            total = Decimal(figures["back_office.total"]) - Decimal(figures["expected.total"])
            assert total == (-Decimal(delta) if part == "discount" else Decimal(delta))
        assert report.to_json()["by_cause"] == {
            "discount_mismatch": 1,
            "shipping_mismatch": 1,
            "tax_mismatch": 1,
        }

    run(go())


def test_only_lag_is_not_drift_and_nothing_is_repaired() -> None:
    async def go() -> None:
        world = await build_world(1000, 0, extra={"lag": 4})
        report, repairs = await one_pass(world)
        assert [f.cause for f in report.findings] == [Cause.SYNC_LAG] * 4
        assert report.drift == [] and repairs == []

    run(go())


def test_a_pass_that_spends_its_budget_resumes_where_it_stopped() -> None:
    async def go() -> None:
        world = await build_world(N, 2 * len(KINDS))
        reconciler, repairs = world.reconciler(max_calls=3)
        reports = []
        for _ in range(6):
            report = await reconciler.run_pass()
            reports.append(report)
            assert sum(report.calls.values()) <= 3
            if report.complete:
                break
        await world.aclose()
        assert not reports[0].complete and reports[-1].complete
        merged = DriftReport(channel=CHANNEL, started_at=0.0, window=reports[0].window)
        for report in reports:
            for item in report.findings:
                merged.add(item)
        result = score(world, merged, repairs)
        assert result.missed == [] and result.false_positives == [] and result.repaired_ok

    run(go())


class CountedShopify(ShopifyOrders):
    """The Shopify source without the dense-number shortcut (and, optionally, a low cap)."""

    dense_numbers = False


def test_count_bisection_finds_lost_orders_without_dense_numbers() -> None:
    async def go() -> None:
        world = await build_world(N, 4, kinds=("lost",))
        reconciler, repairs = world.reconciler()
        source = reconciler.channel
        assert isinstance(source, ShopifyOrders)
        source.__class__ = CountedShopify
        report = await reconciler.run_pass()
        await world.aclose()
        assert {f.record_key for f in report.findings if f.cause is Cause.MISSING} == set(
            world.planted
        )
        assert score(world, report, repairs).false_positives == []
        # Each lost order costs a few counts down to a window small enough to list.
        assert report.calls["channel"] <= 16

    run(go())


def test_count_based_receipt_of_a_clean_world_is_one_count_and_the_cancellations() -> None:
    async def go() -> None:
        world = await build_world(N, 0)
        reconciler, _ = world.reconciler()
        reconciler.channel.__class__ = CountedShopify
        report = await reconciler.run_pass()
        await world.aclose()
        assert report.findings == []
        assert report.calls == {"channel": 2, "back_office": 1}

    run(go())


def test_counts_at_the_platform_cap_are_lower_bounds_and_split() -> None:
    async def go() -> None:
        world = await build_world(N, 2, kinds=("lost",))
        reconciler, _repairs = world.reconciler()
        source = reconciler.channel
        assert isinstance(source, ShopifyOrders)
        source.__class__ = CountedShopify
        source.count_cap = 400  # the instance's own: Shopify's is 25,001
        counted: list[int] = []
        original = source.count

        async def count(window: Window, *, cancelled: bool = False) -> int:
            value = await original(window, cancelled=cancelled)
            counted.append(value)
            return min(value, 400)

        source.count = count  # type: ignore[method-assign]
        report = await reconciler.run_pass()
        await world.aclose()
        assert {f.record_key for f in report.findings if f.cause is Cause.MISSING} == set(
            world.planted
        )
        assert max(counted) < 400  # every window was cut below the cap before counting

    run(go())


def test_the_engine_store_is_read_the_same_way_from_sqlite(tmp_path: Any) -> None:
    from sync_engine.reconcile.ledger import StoreLedger
    from sync_engine.store.sqlite import SqliteStore

    async def go() -> None:
        world = await build_world(300, 0, extra={"unmapped": 1, "lag": 1})
        sqlite = SqliteStore(tmp_path / "engine.db")
        memory = StoreLedger(world.store)
        orders: list[Order] = [r.order for r in memory.orders(CHANNEL, Window(0, 2e9))]
        sqlite.ingest_orders(orders, now=world.clock.now(), sales_location="1")
        for r in memory.orders(CHANNEL, Window(0, 2e9)):
            if r.state == "synced":
                sqlite.mark_synced(r.order, now=world.clock.now())
            elif r.state == "exception":
                sqlite.mark_exception(
                    r.order, now=world.clock.now(), reason="r", code="C", fingerprint="f"
                )
        window = Window(0, 2e9)

        def seen(ledger: StoreLedger) -> set[tuple[str, str, str]]:
            return {
                (r.order_id, str(r.state), json.dumps(r.order.to_json(), sort_keys=True))
                for r in ledger.orders(CHANNEL, window)
            }

        from_sqlite, from_memory = seen(StoreLedger(sqlite)), seen(memory)
        assert from_sqlite == from_memory and len(from_sqlite) == 301
        assert set(StoreLedger(sqlite).held()) == set(memory.held())
        sqlite.close()
        await world.aclose()

    run(go())


def test_settings_lag_moves_the_window_end() -> None:
    async def go() -> None:
        world = await build_world(500, 0)
        report, _ = await one_pass(world, settings=ReconcileSettings(lag=60.0, horizon=86_400.0))
        now = report.started_at
        assert report.window.end == int(now - 60) and report.window.start == int(now - 86_400)
        # The N orders span three days: only the last day's are compared.
        assert 0 < report.orders_compared < 500
        assert report.findings == []

    run(go())


def test_a_number_gap_without_an_order_is_listed_once_then_remembered() -> None:
    async def go() -> None:
        world = await build_world(1000, 1, kinds=("lost",))
        # The lost order is then deleted on the channel: its number stays unused for good.
        [(gone, _)] = world.planted.items()
        del world.shop.state.model.orders[int(gone)]
        world.planted.clear()
        reconciler, repairs = world.reconciler()
        first = await reconciler.run_pass()
        second = await reconciler.run_pass()
        await world.aclose()
        assert first.findings == second.findings == [] and repairs == []
        assert first.calls["channel"] == second.calls["channel"] + 1
        assert len(reconciler.receipt.empty_gaps) == 1

    run(go())


def test_a_transient_error_is_waited_out_and_a_permanent_one_ends_the_pass() -> None:
    from sync_engine.errors import AuthFailed, ServerError

    async def go() -> None:
        world = await build_world(1000, 2, kinds=("duplicate",))
        reconciler, _ = world.reconciler()
        source = reconciler.back_office
        original = source.checksums
        failures = [ServerError("erp 503"), AuthFailed("erp 401")]
        seen: list[str] = []

        async def flaky(*args: Any, **kwargs: Any) -> Any:
            if len(seen) < 1:
                seen.append("503")
                raise failures[0]
            return await original(*args, **kwargs)

        source.checksums = flaky  # type: ignore[method-assign]
        started = world.clock.now()
        report = await reconciler.run_pass()
        assert report.complete and report.error is None and seen == ["503"]
        assert world.clock.now() - started >= 2.0  # waited before repeating
        assert {f.cause for f in report.findings} == {Cause.DUPLICATE}

        async def refused(*args: Any, **kwargs: Any) -> Any:
            raise failures[1]

        source.checksums = refused  # type: ignore[method-assign]
        broken = await reconciler.run_pass()
        await world.aclose()
        assert not broken.complete and broken.error == "AuthFailed: erp 401"

    run(go())

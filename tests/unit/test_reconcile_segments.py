"""Segments of channel time and their checksums (pure functions, no mocks)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from simclock import parse_iso_utc
from sync_engine.connectors.netsuite_orders import channel_created_stamp
from sync_engine.reconcile.segments import (
    LEVELS,
    Checksum,
    Summand,
    Window,
    bucket_count,
    bucket_of,
    bucket_start,
    bucket_window,
    buckets_in,
    checksum,
    checksums_by_bucket,
    differing,
    next_level,
    quantile_split,
    stamp,
    start_level,
)

DAY, HOUR, TEN_MIN, MINUTE, TEN_S, SECOND = LEVELS
T = parse_iso_utc("2026-11-27T10:34:56Z")


def test_bucket_names_are_prefixes_of_the_stamp_the_back_office_holds() -> None:
    # The engine writes channel_created_stamp into the ERP; reconciliation groups by prefixes
    # of that very text, so both sides must be the same function.
    assert stamp(T) == channel_created_stamp(T) == "2026-11-27T10:34:56.000Z"
    assert [bucket_of(T, lv) for lv in LEVELS] == [
        "2026-11-27",
        "2026-11-27T10",
        "2026-11-27T10:3",
        "2026-11-27T10:34",
        "2026-11-27T10:34:5",
        "2026-11-27T10:34:56",
    ]


@pytest.mark.parametrize("level", LEVELS, ids=[lv.name for lv in LEVELS])
def test_a_bucket_is_the_aligned_span_holding_its_times(level: object) -> None:
    key = bucket_of(T, level)  # type: ignore[arg-type]
    window = bucket_window(key)
    assert T in window
    assert window.start == bucket_start(key)
    assert bucket_of(window.start, level) == key  # type: ignore[arg-type]
    assert bucket_of(window.end, level) != key  # type: ignore[arg-type]
    assert bucket_of(window.end - 0.001, level) == key  # type: ignore[arg-type]


def test_buckets_in_a_window_cover_it_and_are_counted_without_listing() -> None:
    window = Window(T, T + 3 * 3600 + 5)
    keys = buckets_in(window, HOUR)
    assert keys == ["2026-11-27T10", "2026-11-27T11", "2026-11-27T12", "2026-11-27T13"]
    for level in LEVELS[:-1]:
        assert bucket_count(window, level) == len(buckets_in(window, level))
    assert bucket_count(Window(T, T), MINUTE) == 0


def test_start_level_is_the_finest_whose_buckets_fit_one_page() -> None:
    three_days = Window(T, T + 3 * 86_400)
    assert start_level(three_days, page=1000) is TEN_MIN  # 432 buckets; minutes would be 4320
    assert start_level(three_days, page=50) is DAY
    assert start_level(Window(T, T + 100), page=1000) is SECOND


def test_next_level_skips_levels_while_the_groups_fit_one_page() -> None:
    # 8 differing 10-minute buckets of ~230 orders: 10-second groups (8 x 60 = 480) fit a
    # page, seconds (8 x 600) would not, unless there are fewer rows than that.
    assert next_level(TEN_MIN, 8, 1840, page=1000) is TEN_S
    assert next_level(TEN_MIN, 8, 400, page=1000) is SECOND
    assert next_level(DAY, 60, 10**6, page=1000) is HOUR
    # Nothing fits: one level down anyway.
    assert next_level(DAY, 5000, 10**6, page=1000) is HOUR


def _row(order_id: str, ts: float, total: str, **kw: object) -> Summand:
    return Summand(order_id=order_id, created_ts=ts, total=Decimal(total), **kw)  # type: ignore[arg-type]


def test_checksum_parts_catch_a_swap_a_duplicate_and_a_cent() -> None:
    base = [_row("1", T, "10.00", cancelled=False), _row("2", T, "5.00", cancelled=False)]
    mine = checksum(base, numeric_ids=True)
    swapped = checksum(
        [_row("1", T, "10.00", cancelled=False), _row("3", T, "5.00", cancelled=False)],
        numeric_ids=True,
    )
    assert mine.disagreements(swapped) == ["id_sum"]  # same count, same money
    duplicated = checksum([*base, _row("2", T, "5.00", cancelled=False)], numeric_ids=True)
    assert "orders" not in mine.disagreements(duplicated)
    assert duplicated.orders == 2 and duplicated.count == 3
    cent = checksum(
        [_row("1", T, "10.01", cancelled=False), _row("2", T, "5.00", cancelled=False)],
        numeric_ids=True,
    )
    assert mine.disagreements(cent) == ["total"]
    cancelled = checksum(
        [_row("1", T, "10.00", cancelled=True), _row("2", T, "5.00", cancelled=False)],
        numeric_ids=True,
    )
    assert mine.disagreements(cancelled) == ["cancelled"]


def test_parts_one_side_cannot_compute_are_not_compared() -> None:
    count_only = Checksum(count=2)
    full = checksum([_row("1", T, "1.00"), _row("2", T, "2.00")], numeric_ids=True)
    assert count_only.agrees(full)
    assert not Checksum(count=3).agrees(full)
    # A missing figure on one order makes the whole window's sum unknown, not wrong.
    assert (
        checksum(
            [_row("1", T, "1.00"), Summand(order_id="2", created_ts=T)], numeric_ids=False
        ).total
        is None
    )


def test_differing_buckets_include_those_one_side_lacks_with_their_size() -> None:
    rows = [_row("1", T, "1.00"), _row("2", T + 60, "2.00"), _row("3", T + 120, "3.00")]
    mine = checksums_by_bucket(rows, MINUTE, numeric_ids=True)
    theirs = checksums_by_bucket(rows[:2], MINUTE, numeric_ids=True)
    assert differing(mine, theirs) == {bucket_of(T + 120, MINUTE): 1}
    assert differing(mine, mine) == {}
    extra = checksums_by_bucket([*rows, _row("4", T + 3600, "1.00")], MINUTE, numeric_ids=True)
    assert differing(mine, extra) == {bucket_of(T + 3600, MINUTE): 1}


def test_quantile_split_cuts_at_whole_seconds_with_balanced_counts() -> None:
    window = Window(T, T + 1000)
    times = sorted(T + i * 0.25 for i in range(400))  # 4 a second over the first 100 s
    parts = quantile_split(window, times, 4)
    assert parts[0].start == window.start and parts[-1].end == window.end
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    assert all(p.start == int(p.start) for p in parts)
    counts = [sum(1 for t in times if t in p) for p in parts]
    assert sum(counts) == 400 and max(counts) <= 100
    # Nothing to split by: halves; a one-second window is not split.
    assert len(quantile_split(window, [], 2)) == 2
    assert quantile_split(Window(T, T + 1), times, 4) == [Window(T, T + 1)]


def test_window_is_half_open_and_refuses_to_run_backwards() -> None:
    window = Window(T, T + 10)
    assert T in window and T + 9.999 in window and T + 10 not in window
    assert window.clip(Window(T + 5, T + 20)) == Window(T + 5, T + 10)
    with pytest.raises(ValueError, match="ends before"):
        Window(T, T - 1)

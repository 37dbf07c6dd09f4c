"""Segments of channel time and their checksums: the pure half of data-diff's method.

Both sides of a comparison are cut into the same windows of *channel creation time*, each
side summarises every window in a :class:`Checksum` (count, distinct orders, sum of order ids,
money sums, cancellations), and only windows whose checksums disagree are cut finer, until a
window is small enough to list on both sides and diff order by order (PEERS.md section 5).

Windows are calendar buckets named by a prefix of the fixed-width ISO stamp the engine writes
into the back office (``2026-11-27T10:3`` is the ten minutes from 10:30): the back office can
then group a whole level of windows in one query (``GROUP BY SUBSTR(created, 1, 15)``), and the
buckets are data-diff's "checkpoints": a new order never shifts another window's boundaries.
Nothing here does I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal

from simclock import iso_utc


@dataclass(frozen=True)
class Level:
    """One granularity: buckets of ``seconds``, named by the first ``prefix`` ISO characters."""

    name: str
    seconds: int
    prefix: int


LEVELS = (
    Level("day", 86_400, 10),
    Level("hour", 3_600, 13),
    Level("10min", 600, 15),
    Level("minute", 60, 16),
    Level("10s", 10, 18),
    Level("second", 1, 19),
)
"""Coarsest first; each divides the one before and is aligned to UTC calendar boundaries."""


def stamp(ts: float) -> str:
    """The fixed-width ISO text of a channel creation time (``custbody_rh_channel_created``)."""
    return iso_utc(ts)


def bucket_of(ts: float, level: Level) -> str:
    """The bucket (an ISO prefix) holding ``ts`` at ``level``."""
    return stamp(ts)[: level.prefix]


_PADDING = "0000-01-01T00:00:00"


def bucket_start(key: str) -> float:
    """POSIX seconds where the bucket named ``key`` begins."""
    text = key + _PADDING[len(key) :]
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()


def level_of(key: str) -> Level:
    """The level whose prefix length ``key`` has."""
    for level in LEVELS:
        if level.prefix == len(key):
            return level
    raise ValueError(f"{key!r} is not a bucket name at any level")


@dataclass(frozen=True, order=True)
class Window:
    """A half-open span of channel creation time, ``[start, end)``, in POSIX seconds."""

    start: float
    end: float

    def __post_init__(self) -> None:
        if not self.end >= self.start:
            raise ValueError(f"window ends before it starts: [{self.start}, {self.end})")

    def __contains__(self, ts: object) -> bool:
        return isinstance(ts, (int, float)) and self.start <= ts < self.end

    @property
    def seconds(self) -> float:
        return self.end - self.start

    def clip(self, other: Window) -> Window:
        """The part of this window inside ``other`` (possibly empty)."""
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Window(start, max(start, end))

    def to_json(self) -> dict[str, str]:
        return {"start": iso_utc(self.start), "end": iso_utc(self.end)}


def bucket_window(key: str, within: Window | None = None) -> Window:
    """The span of a bucket, clipped to ``within`` when given."""
    start = bucket_start(key)
    window = Window(start, start + level_of(key).seconds)
    return window.clip(within) if within is not None else window


def buckets_in(window: Window, level: Level) -> list[str]:
    """Every bucket of ``level`` that overlaps ``window``, oldest first."""
    if window.seconds <= 0:
        return []
    first = math.floor(window.start / level.seconds) * level.seconds
    return [
        bucket_of(t, level)
        for t in range(int(first), math.ceil(window.end), level.seconds)
        if t + level.seconds > window.start
    ]


def bucket_count(window: Window, level: Level) -> int:
    """How many buckets of ``level`` overlap ``window`` (without listing them)."""
    if window.seconds <= 0:
        return 0
    first = math.floor(window.start / level.seconds)
    last = math.ceil(window.end / level.seconds)
    return int(last - first)


def finer(level: Level) -> list[Level]:
    """The levels finer than ``level``, coarsest first."""
    return [lv for lv in LEVELS if lv.seconds < level.seconds]


def ratio(coarse: Level, fine: Level) -> int:
    """How many ``fine`` buckets one ``coarse`` bucket holds."""
    return coarse.seconds // fine.seconds


@dataclass(frozen=True, kw_only=True)
class Checksum:
    """What one side knows about one window. ``None`` = this side cannot compute that part
    (a channel count endpoint gives ``count`` only); parts are compared where both sides have
    them, so a count-only side still meets a full one."""

    count: int = 0
    orders: int | None = None
    """Distinct channel orders: less than ``count`` when an order is in the window twice."""
    id_sum: int | None = None
    """Sum of numeric channel order ids: a missing order swapped for an extra one shows here."""
    total: Decimal | None = None
    tax: Decimal | None = None
    discount: Decimal | None = None
    shipping: Decimal | None = None
    cancelled: int | None = None

    def disagreements(self, other: Checksum) -> list[str]:
        """Names of the parts both sides know and that differ."""
        out = []
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if mine is not None and theirs is not None and mine != theirs:
                out.append(f.name)
        return out

    def agrees(self, other: Checksum) -> bool:
        return not self.disagreements(other)

    def to_json(self) -> dict[str, object]:
        return {
            f.name: (str(v) if isinstance(v, Decimal) else v)
            for f in fields(self)
            if (v := getattr(self, f.name)) is not None
        }


@dataclass(frozen=True, kw_only=True)
class Summand:
    """One order's contribution to a checksum (``None`` parts are unknown on that side)."""

    order_id: str
    created_ts: float
    total: Decimal | None = None
    tax: Decimal | None = None
    discount: Decimal | None = None
    shipping: Decimal | None = None
    cancelled: bool | None = None


def _sum(values: Iterable[Decimal | None]) -> Decimal | None:
    total = Decimal(0)
    for value in values:
        if value is None:
            return None
        total += value
    return total


def checksum(rows: Iterable[Summand], *, numeric_ids: bool) -> Checksum:
    """The checksum of ``rows`` (one window's orders on one side)."""
    items = list(rows)
    cancelled = [r.cancelled for r in items]
    return Checksum(
        count=len(items),
        orders=len({r.order_id for r in items}),
        id_sum=sum(int(r.order_id) for r in items) if numeric_ids else None,
        total=_sum(r.total for r in items),
        tax=_sum(r.tax for r in items),
        discount=_sum(r.discount for r in items),
        shipping=_sum(r.shipping for r in items),
        cancelled=None if None in cancelled else sum(1 for c in cancelled if c),
    )


def checksums_by_bucket(
    rows: Iterable[Summand], level: Level, *, numeric_ids: bool
) -> dict[str, Checksum]:
    """One checksum per non-empty bucket of ``level``."""
    grouped: dict[str, list[Summand]] = {}
    for row in rows:
        grouped.setdefault(bucket_of(row.created_ts, level), []).append(row)
    return {key: checksum(group, numeric_ids=numeric_ids) for key, group in grouped.items()}


def differing(left: Mapping[str, Checksum], right: Mapping[str, Checksum]) -> dict[str, int]:
    """Buckets whose checksums disagree (a bucket one side lacks counts as empty there),
    with the larger of the two counts: how many rows listing it would bring."""
    empty = Checksum()
    out: dict[str, int] = {}
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key, empty), right.get(key, empty)
        if not a.agrees(b):
            out[key] = max(a.count, b.count)
    return out


def next_level(level: Level, differing_buckets: int, rows: int, *, page: int) -> Level:
    """The finest level below ``level`` whose groups over the differing buckets still fit in
    one page of the grouped query (``rows`` bounds the groups too: empty buckets are not
    returned). Skipping levels saves a query per level skipped."""
    chosen = None
    for fine in finer(level):
        groups = min(rows, differing_buckets * ratio(level, fine))
        if groups <= page:
            chosen = fine
    return chosen or finer(level)[0]


def start_level(window: Window, *, page: int) -> Level:
    """The finest level at which the whole window's buckets fit in one page."""
    chosen = LEVELS[0]
    for level in LEVELS:
        if bucket_count(window, level) <= page:
            chosen = level
    return chosen


def quantile_split(window: Window, times: list[float], parts: int) -> list[Window]:
    """Cut ``window`` into up to ``parts`` windows holding about as many of ``times`` each
    (sorted creation times, e.g. the engine's own orders there), at whole seconds: count
    filters compare whole seconds, so a cut inside one would count an order twice."""
    if parts < 2 or window.seconds <= 1:
        return [window]
    inside = [t for t in times if t in window]
    cuts: list[float] = []
    for i in range(1, parts):
        if inside:
            cut = float(math.floor(inside[len(inside) * i // parts]))
        else:
            cut = float(math.floor(window.start + window.seconds * i / parts))
        if window.start < cut < window.end and (not cuts or cut > cuts[-1]):
            cuts.append(cut)
    if not cuts:
        middle = float(math.floor(window.start + window.seconds / 2))
        cuts = [middle] if window.start < middle < window.end else []
    edges = [window.start, *cuts, window.end]
    return [Window(a, b) for a, b in itertools.pairwise(edges) if b > a]

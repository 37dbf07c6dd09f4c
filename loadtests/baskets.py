"""What each arrival sends: checkout baskets, back-office stock movements, and the full plan.

Pure functions only (no locust, no gevent). Every draw takes an explicit `random.Random`, so
a plan built from one seed is the same request bodies at the same simulated times, whichever
dispatcher ends up sending them.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from loadtests.arrivals import Curve, arrival_times, expected_count, parse_curve
from loadtests.channels import ChannelSpec, channel_picker, parse_channels
from loadtests.staff import StaffSpec, staff_arrivals

CUSTOMER_POOL_RATIO = 3.0
"""Customers in the pool per expected checkout: about one order in seven is a repeat buyer."""

MIN_CUSTOMER_POOL = 10
"""Smallest customer pool, so tiny runs still see distinct shoppers."""

ORDERS_PER_RETURNING_CUSTOMER = 2.0
"""With a guest share, the returning customers' pool is sized so each orders about twice."""

_Spec = TypeVar("_Spec", bound="BackOfficeSpec")

DEFAULT_DISPATCHERS = 4
"""Dispatcher users when the config does not say."""

_MAX_REJECTIONS = 64
"""Zipf re-draws per basket line before falling back to an exact draw among the rest."""


class RequestKind(StrEnum):
    """The two arrival streams a dispatcher serves."""

    CHECKOUT = "checkout"
    STOCK_MOVEMENT = "stock-movement"
    STAFF = "staff"
    """Store staff acting on a channel's orders (``loadtests.staff``)."""


@dataclass(frozen=True, kw_only=True)
class PlannedRequest:
    """One arrival: when (simulated seconds from the run start), which stream, what body, and
    for a checkout the channel it goes to (None: the only one)."""

    sim_t: float
    kind: RequestKind
    body: dict[str, Any] = field(compare=False)
    channel: str | None = None


@dataclass(frozen=True, kw_only=True)
class BasketSpec:
    """How baskets are drawn (the scenario's ``basket`` block)."""

    max_lines: int = 3
    max_quantity: int = 2
    discount_code: str | None = None
    discount_share: float = 0.0
    express_share: float = 0.0
    line_sizes: tuple[tuple[int, float], ...] = ()
    """``(line count, weight)`` pairs the line count is drawn from; empty: uniform from 1 to
    ``max_lines`` (the draw of plans made before the shopper mix existed)."""
    guest_share: float | None = None
    """Share of checkouts with a fresh guest e-mail; the rest reuse the returning customers'
    pool. None: every e-mail comes from one pool (the earlier draw, unchanged)."""
    returning_customers: int | None = None
    """Size of the returning customers' pool with a ``guest_share`` (None: sized from the
    expected returning checkouts, see `returning_pool_size`)."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> BasketSpec:
        """From the load config's ``basket`` block (``line_sizes`` as ``[[lines, weight]]``)."""
        data = dict(raw or {})
        sizes = data.pop("line_sizes", ())
        try:
            pairs = tuple((int(n), float(w)) for n, w in sizes)
            return cls(**data, line_sizes=pairs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"load config: basket: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class BackOfficeSpec:
    """Back-office stock movements into the ERP (the scenario's ``back_office`` block)."""

    rate: float = 0.0
    receipt_share: float = 0.5
    max_units: int = 5
    location_id: str = "1"
    zipf_s: float = 0.0
    """SKU bias of back-office movements: 0 spreads them evenly (other channels do not share
    the flash sale's hot list); the checkout ``zipf_s`` makes them chase the same hot SKUs."""


def zipf_weights(n: int, s: float) -> list[float]:
    """Normalised Zipf weights for ranks 1..n: weight of rank k is proportional to 1 / k**s."""
    if n < 1:
        raise ValueError(f"need at least one sku, got n={n}")
    if s < 0:
        raise ValueError(f"zipf_s must be >= 0, got {s!r}")
    raw = [1.0 / (k**s) for k in range(1, n + 1)]
    total = sum(raw)
    return [w / total for w in raw]


def cumulative_weights(weights: Sequence[float]) -> list[float]:
    """Running sums of ``weights``, the form `random.Random.choices` draws fastest from."""
    return list(itertools.accumulate(weights))


def _draw_index(rng: random.Random, cum_weights: Sequence[float]) -> int:
    """One weighted index from cumulative weights."""
    return min(
        bisect.bisect_right(cum_weights, rng.random() * cum_weights[-1]), len(cum_weights) - 1
    )


def _distinct_indices(rng: random.Random, cum_weights: Sequence[float], k: int) -> list[int]:
    """``k`` distinct weighted indices (weighted sampling without replacement).

    Rejection is cheap while the hot ranks are not all taken; after `_MAX_REJECTIONS` misses
    the draw is made exactly among the indices left, so it always terminates.
    """
    chosen: list[int] = []
    taken: set[int] = set()
    for _ in range(k):
        for _ in range(_MAX_REJECTIONS):
            index = _draw_index(rng, cum_weights)
            if index not in taken:
                break
        else:
            left = [i for i in range(len(cum_weights)) if i not in taken]
            weights = [cum_weights[i] - (cum_weights[i - 1] if i else 0.0) for i in left]
            index = rng.choices(left, weights=weights)[0]
        chosen.append(index)
        taken.add(index)
    return chosen


def customer_email(number: int) -> str:
    """The email of customer ``number`` in the run's pool."""
    return f"customer{number:06d}@example.com"


def customer_pool_size(expected_orders: float, ratio: float = CUSTOMER_POOL_RATIO) -> int:
    """Customers to draw from so that some, not most, checkouts come from repeat buyers."""
    return max(MIN_CUSTOMER_POOL, round(expected_orders * ratio))


def returning_pool_size(expected_orders: float, spec: BasketSpec) -> int:
    """The pool e-mails are drawn from: with a ``guest_share``, the returning customers (each
    ordering about `ORDERS_PER_RETURNING_CUSTOMER` times unless the size is given); without,
    `customer_pool_size`."""
    if spec.guest_share is None:
        return customer_pool_size(expected_orders)
    if spec.returning_customers is not None:
        return spec.returning_customers
    returning = expected_orders * (1.0 - spec.guest_share)
    return max(MIN_CUSTOMER_POOL, round(returning / ORDERS_PER_RETURNING_CUSTOMER))


def guest_email(rng: random.Random) -> str:
    """A guest's e-mail: 48 random bits, so two guests of one run practically never share one."""
    return f"guest-{rng.getrandbits(48):012x}@example.com"


def _line_count(rng: random.Random, spec: BasketSpec, n_skus: int) -> int:
    """How many distinct lines a basket has (never more than there are SKUs)."""
    if not spec.line_sizes:
        return rng.randint(1, min(spec.max_lines, n_skus))
    counts = [n for n, _ in spec.line_sizes]
    drawn = rng.choices(counts, weights=[w for _, w in spec.line_sizes])[0]
    return min(drawn, n_skus)


def _email(rng: random.Random, spec: BasketSpec, customer_pool: int) -> str:
    if spec.guest_share is not None and rng.random() < spec.guest_share:
        return guest_email(rng)
    return customer_email(rng.randrange(customer_pool))


def draw_basket(
    rng: random.Random,
    skus: Sequence[str],
    cum_weights: Sequence[float],
    spec: BasketSpec,
    customer_pool: int,
) -> dict[str, Any]:
    """A ``/_sim/checkout`` body: distinct Zipf-biased skus, small quantities, an email.

    The line count is uniform up to ``max_lines`` or drawn from ``line_sizes``. Quantities
    lean to 1 (P(q) proportional to 1/q), as in a real flash sale; the discount code is
    applied to ``discount_share`` of baskets and express shipping to ``express_share``. The
    email is a pooled customer's, or with ``guest_share`` a fresh guest's that often.
    """
    n_lines = _line_count(rng, spec, len(skus))
    quantities = range(1, spec.max_quantity + 1)
    quantity_weights = [1.0 / q for q in quantities]
    lines = [
        {"sku": skus[i], "quantity": rng.choices(quantities, weights=quantity_weights)[0]}
        for i in _distinct_indices(rng, cum_weights, n_lines)
    ]
    body: dict[str, Any] = {"lines": lines, "email": _email(rng, spec, customer_pool)}
    if spec.discount_code and rng.random() < spec.discount_share:
        body["discount_code"] = spec.discount_code
    body["shipping"] = "express" if rng.random() < spec.express_share else "standard"
    return body


def draw_stock_movement(
    rng: random.Random,
    skus: Sequence[str],
    cum_weights: Sequence[float],
    spec: BackOfficeSpec,
) -> dict[str, Any]:
    """A ``/_sim/stock-movement`` body: a receipt (+) or another channel's sale (-).

    Hot skus move more often in the back office too, so the sku is Zipf-biased as well.
    """
    receipt = rng.random() < spec.receipt_share
    units = rng.randint(1, spec.max_units)
    return {
        "sku": skus[_draw_index(rng, cum_weights)],
        "location_id": spec.location_id,
        "delta": units if receipt else -units,
        "reason": "receipt" if receipt else "other_channel",
    }


def _validate(skus: Sequence[str], basket: BasketSpec, back_office: BackOfficeSpec) -> None:
    """Raise ValueError naming the first setting that cannot produce valid requests."""
    if not skus:
        raise ValueError("skus: at least one sku is required")
    if len(set(skus)) != len(skus):
        raise ValueError("skus: duplicates are not allowed (rank decides the Zipf weight)")
    if basket.max_lines < 1:
        raise ValueError(f"basket.max_lines must be >= 1, got {basket.max_lines}")
    if basket.max_quantity < 1:
        raise ValueError(f"basket.max_quantity must be >= 1, got {basket.max_quantity}")
    for name in ("discount_share", "express_share"):
        if not 0.0 <= getattr(basket, name) <= 1.0:
            raise ValueError(f"basket.{name} must be in [0, 1], got {getattr(basket, name)}")
    if basket.guest_share is not None and not 0.0 <= basket.guest_share <= 1.0:
        raise ValueError(f"basket.guest_share must be in [0, 1], got {basket.guest_share}")
    if basket.returning_customers is not None and basket.returning_customers < 1:
        raise ValueError(
            f"basket.returning_customers must be >= 1, got {basket.returning_customers}"
        )
    if basket.line_sizes:
        if any(n < 1 or not w >= 0 for n, w in basket.line_sizes):
            raise ValueError("basket.line_sizes: line counts must be >= 1 and weights >= 0")
        if sum(w for _, w in basket.line_sizes) <= 0:
            raise ValueError("basket.line_sizes: the weights add up to 0")
    if back_office.rate < 0:
        raise ValueError(f"back_office.rate must be >= 0, got {back_office.rate}")
    if not 0.0 <= back_office.receipt_share <= 1.0:
        raise ValueError(
            f"back_office.receipt_share must be in [0, 1], got {back_office.receipt_share}"
        )
    if back_office.max_units < 1:
        raise ValueError(f"back_office.max_units must be >= 1, got {back_office.max_units}")


def build_plan(
    *,
    curve: Curve | Sequence[Sequence[float]],
    duration: float,
    seed: int,
    skus: Sequence[str],
    zipf_s: float,
    basket: BasketSpec,
    back_office: BackOfficeSpec,
    channels: Sequence[tuple[str, float]] = (),
    stock_skus: Sequence[str] = (),
) -> list[PlannedRequest]:
    """Every request of the run, sorted by simulated time: checkouts merged with movements.

    Each stream has its own seed stream (arrival times and bodies separately), so adding
    back-office traffic does not change which baskets arrive when. With several ``channels``
    (name, share) each checkout picks one from a seed stream of its own, in proportion to the
    shares: the same seed gives the same baskets whatever the channel mix. Stock movements
    draw from ``stock_skus`` (the SKUs the back office stocks) when given, else from ``skus``:
    shoppers may also buy bundle SKUs that the back office does not stock.
    """
    _validate(skus, basket, back_office)
    parsed = curve if isinstance(curve, tuple) else parse_curve(curve)
    cum = cumulative_weights(zipf_weights(len(skus), zipf_s))
    pool = returning_pool_size(expected_count(parsed, duration), basket)
    basket_rng = random.Random(f"{seed}/baskets")
    pick = channel_picker(channels, random.Random(f"{seed}/channels"))
    plan = [
        PlannedRequest(
            sim_t=t,
            kind=RequestKind.CHECKOUT,
            body=draw_basket(basket_rng, skus, cum, basket, pool),
            channel=pick(),
        )
        for t in arrival_times(parsed, duration, f"{seed}/checkout-times")
    ]
    if back_office.rate > 0:
        movement_rng = random.Random(f"{seed}/movements")
        stocked = stock_skus or skus
        movement_cum = cumulative_weights(zipf_weights(len(stocked), back_office.zipf_s))
        plan.extend(
            PlannedRequest(
                sim_t=t,
                kind=RequestKind.STOCK_MOVEMENT,
                body=draw_stock_movement(movement_rng, stocked, movement_cum, back_office),
            )
            for t in arrival_times(((0.0, back_office.rate),), duration, f"{seed}/movement-times")
        )
    plan.sort(key=lambda request: request.sim_t)
    return plan


def dispatcher_share(
    plan: Sequence[PlannedRequest], index: int, dispatchers: int
) -> list[PlannedRequest]:
    """Requests ``index, index + n, index + 2n, ...`` of the plan: dispatcher ``index``'s share."""
    if not 0 <= index < dispatchers:
        raise ValueError(f"dispatcher index {index} outside 0..{dispatchers - 1}")
    return list(plan[index::dispatchers])


def _spec(cls: type[_Spec], key: str, raw: Mapping[str, Any] | None) -> _Spec:
    """Build a spec dataclass from its config block, naming unknown keys in the error."""
    try:
        return cls(**(raw or {}))
    except TypeError as exc:
        raise ValueError(f"load config: {key}: {exc}") from None


@dataclass(frozen=True, kw_only=True)
class LoadConfig:
    """The ``REHEARSAL_LOAD`` JSON file the orchestrator writes for one run."""

    shopify_url: str
    """The first channel's base URL (the whole storefront of a single-Shopify run)."""
    erp_url: str | None
    """The back office's base URL (ERP or Fulfil): where stock movements go."""
    time_scale: float
    seed: int
    duration: float
    curve: Curve
    skus: tuple[str, ...]
    zipf_s: float
    basket: BasketSpec
    back_office: BackOfficeSpec
    dispatchers: int
    report_path: str | None
    channels: tuple[ChannelSpec, ...] = ()
    """Where checkouts go; one Shopify channel at ``shopify_url`` when the file names none."""
    staff: StaffSpec = field(default_factory=StaffSpec)
    """Store staff's actions on the channels' orders (``loadtests.staff``)."""
    stock_skus: tuple[str, ...] = ()
    """The back office's SKUs, for stock movements, when ``skus`` also holds bundle SKUs it
    does not stock (empty: ``skus``)."""
    start_at_wall: float | None = None
    """Wall-clock POSIX time of the plan's second 0 (the orchestrator's load start, which the
    mocks' fault windows also count from); None: when Locust starts the test."""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> LoadConfig:
        """Build and validate from the decoded JSON; ValueError names the faulty key."""
        required: tuple[str, ...] = ("time_scale", "duration", "arrival_curve", "skus")
        if "channels" not in raw:
            required = ("shopify_url", *required)
        missing = [k for k in required if k not in raw]
        if missing:
            raise ValueError(f"load config: missing key(s) {', '.join(missing)}")
        back_office = _spec(BackOfficeSpec, "back_office", raw.get("back_office"))
        channels = parse_channels(raw)
        config = cls(
            shopify_url=channels[0].url,
            erp_url=str(raw["erp_url"]).rstrip("/") if raw.get("erp_url") else None,
            time_scale=float(raw["time_scale"]),
            seed=int(raw.get("seed", 0)),
            duration=float(raw["duration"]),
            curve=parse_curve(raw["arrival_curve"]),
            skus=tuple(raw["skus"]),
            zipf_s=float(raw.get("zipf_s", 1.0)),
            basket=BasketSpec.from_mapping(raw.get("basket")),
            back_office=back_office,
            dispatchers=int(raw.get("dispatchers", DEFAULT_DISPATCHERS)),
            report_path=raw.get("report_path"),
            channels=channels,
            staff=StaffSpec.from_mapping(raw.get("staff")),
            stock_skus=tuple(raw.get("stock_skus", ())),
            start_at_wall=None if raw.get("start_at_wall") is None else float(raw["start_at_wall"]),
        )
        if config.time_scale <= 0:
            raise ValueError(f"load config: time_scale must be > 0, got {config.time_scale}")
        if config.duration <= 0:
            raise ValueError(f"load config: duration must be > 0, got {config.duration}")
        if config.dispatchers < 1:
            raise ValueError(f"load config: dispatchers must be >= 1, got {config.dispatchers}")
        if back_office.rate > 0 and config.erp_url is None:
            raise ValueError("load config: back_office.rate > 0 needs erp_url")
        _validate(config.skus, config.basket, config.back_office)
        strangers = sorted(set(config.stock_skus) - set(config.skus))
        if strangers or len(set(config.stock_skus)) != len(config.stock_skus):
            raise ValueError(
                "load config: stock_skus must be distinct skus of the catalogue"
                + (f", not {', '.join(strangers[:3])}" if strangers else "")
            )
        return config

    def plan(self) -> list[PlannedRequest]:
        """The run's full request plan (see `build_plan`), staff actions merged in by time."""
        plan = build_plan(
            curve=self.curve,
            duration=self.duration,
            seed=self.seed,
            skus=self.skus,
            zipf_s=self.zipf_s,
            basket=self.basket,
            back_office=self.back_office,
            channels=[(c.name, c.share) for c in self.channels],
            stock_skus=self.stock_skus,
        )
        staff = [
            PlannedRequest(sim_t=a.sim_t, kind=RequestKind.STAFF, body=a.body, channel=a.channel)
            for a in staff_arrivals(self.staff, seed=self.seed)
        ]
        return sorted([*plan, *staff], key=lambda request: request.sim_t) if staff else plan

    def channel(self, name: str | None) -> ChannelSpec:
        """A planned checkout's channel (None: the first, the only one)."""
        if name is None:
            return self.channels[0]
        for channel in self.channels:
            if channel.name == name:
                return channel
        raise KeyError(f"no channel {name!r} in the load config")


def without_sold_out(body: Mapping[str, Any], sold_out_sku: object) -> dict[str, Any] | None:
    """What a shopper does when told one item sold out: drop it and check out the rest.

    Returns the reduced basket, or None when nothing would be left (or the refusal named no
    SKU of this basket, so retrying could not change the answer).
    """
    lines = [line for line in body.get("lines", []) if line.get("sku") != sold_out_sku]
    if not lines or len(lines) == len(body.get("lines", [])):
        return None
    return {**body, "lines": lines}

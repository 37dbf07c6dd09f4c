"""Store staff's arrivals: address edits, cancellations and refunds while shoppers check out.

Pure functions only (no locust, no gevent). Each action is a Poisson stream of its own at its
rate per simulated minute within the ``[start, end)`` window, with its own seed streams for
times, channels and picks, so adding or changing one action leaves the others (and every
checkout) where they were. A request body is ``{"action", "pick"}`` (plus ``refund_share`` for
refunds, ``restock`` for cancellations): the channel's mock picks the order itself
(``mocks/shopify/staff.py``), since the plan is made before any order exists.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from loadtests.arrivals import arrival_times

ACTIONS = ("edit-address", "cancel", "refund")
"""The mock's action names, in plan order."""


@dataclass(frozen=True, kw_only=True)
class StaffArrival:
    """One staff action: when (simulated seconds), on which channel, and the request body."""

    sim_t: float
    channel: str
    body: dict[str, Any] = field(compare=False)


@dataclass(frozen=True, kw_only=True)
class StaffSpec:
    """The load config's ``staff`` block (``scenarios.staff.StaffActions.load_config``)."""

    rates_per_minute: Mapping[str, float] = field(default_factory=dict)
    refund_share: str = "full"
    channels: tuple[str, ...] = ()
    start: float = 0.0
    end: float = 0.0
    restock_on_cancel: bool = False

    @property
    def active(self) -> bool:
        return bool(self.channels) and any(r > 0 for r in self.rates_per_minute.values())

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None) -> StaffSpec:
        """Build and validate; ValueError names the faulty key (``staff.…``)."""
        if not raw:
            return cls()
        known = {
            "rates_per_minute",
            "refund_share",
            "channels",
            "start",
            "end",
            "restock_on_cancel",
        }
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"load config: staff: unknown key(s) {', '.join(sorted(unknown))}")
        rates = dict(raw.get("rates_per_minute") or {})
        for action, rate in rates.items():
            if action not in ACTIONS:
                raise ValueError(f"load config: staff.rates_per_minute: unknown action {action!r}")
            if not isinstance(rate, int | float) or isinstance(rate, bool) or rate < 0:
                raise ValueError(f"load config: staff.rates_per_minute.{action} must be >= 0")
        share = str(raw.get("refund_share", "full"))
        if share not in ("full", "partial"):
            try:
                ok = Decimal(0) < Decimal(share) <= Decimal(1)
            except InvalidOperation:
                ok = False
            if not ok:
                raise ValueError(
                    'load config: staff.refund_share must be "full", "partial" or in (0, 1]'
                )
        spec = cls(
            rates_per_minute={a: float(r) for a, r in rates.items()},
            refund_share=share,
            channels=tuple(str(c) for c in raw.get("channels") or ()),
            start=float(raw.get("start", 0.0)),
            end=float(raw.get("end", 0.0)),
            restock_on_cancel=raw.get("restock_on_cancel", False) is True,
        )
        if spec.active and not 0 <= spec.start < spec.end:
            raise ValueError("load config: staff: need 0 <= start < end")
        return spec


def staff_arrivals(spec: StaffSpec, *, seed: int) -> list[StaffArrival]:
    """Every staff action of the run, sorted by simulated time (ties: action order)."""
    if not spec.active:
        return []
    arrivals: list[StaffArrival] = []
    for action in ACTIONS:
        rate = spec.rates_per_minute.get(action, 0.0) / 60.0
        if rate <= 0:
            continue
        times = arrival_times(((0.0, rate),), spec.end - spec.start, f"{seed}/staff/{action}")
        channel_rng = random.Random(f"{seed}/staff/{action}/channels")
        pick_rng = random.Random(f"{seed}/staff/{action}/picks")
        for t in times:
            body: dict[str, Any] = {"action": action, "pick": pick_rng.random()}
            if action == "refund":
                body["refund_share"] = spec.refund_share
            if action == "cancel":
                body["restock"] = spec.restock_on_cancel
            arrivals.append(
                StaffArrival(
                    sim_t=spec.start + t, channel=channel_rng.choice(spec.channels), body=body
                )
            )
    arrivals.sort(key=lambda a: a.sim_t)
    return arrivals

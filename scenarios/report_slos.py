"""The checks a run's verdict makes, each with its limit, what was measured, and a sentence
finance and operations can read.

One list drives both ``summary["reasons"]`` (the failing checks' terse reasons, unchanged
since the first runs) and ``summary["slos"]`` (every check, for the report's table), so the
two can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from scenarios.invariants import Findings
from scenarios.report_staff import MUST_BE_ZERO
from scenarios.schema import Scenario

BACK_OFFICE_NAMES = {"erp": "the ERP", "fulfil": "Fulfil"}
"""How the sentences name the back office."""

LATENCY_PERCENTILES = (50, 95, 99)
"""Latency SLOs a scenario may set (``slo.latency_p<q>_seconds``), checked in this order."""


@dataclass(frozen=True, kw_only=True)
class SloCheck:
    """One check of the verdict."""

    name: str
    limit: float | int | None
    """The most the run may show (None: no number, e.g. convergence without a timing)."""
    measured: float | int | None
    unit: str
    passed: bool
    reason: str
    """Why the run fails, terse (``summary["reasons"]``); empty when it passed."""
    words: str
    """The outcome as a plain-English sentence."""

    def to_dict(self) -> dict[str, Any]:
        """``summary["slos"]`` entry (the terse reason stays in ``summary["reasons"]``)."""
        row = asdict(self)
        del row["reason"]
        return row


def _zero(name: str, value: int, *, ok: str, bad: str) -> SloCheck:
    """A figure that must be 0 (orders lost, duplicated, drifted ...)."""
    return SloCheck(
        name=name,
        limit=0,
        measured=value,
        unit="orders",
        passed=not value,
        reason=f"{name} = {value} (must be 0)" if value else "",
        words=bad if value else ok,
    )


def _units_at_most(name: str, measured: int, limit: int, words: str) -> SloCheck:
    """A count of units that may not exceed the scenario's limit."""
    failed = measured > limit
    return SloCheck(
        name=name,
        limit=limit,
        measured=measured,
        unit="units",
        passed=not failed,
        reason=f"{name} = {measured} > {limit}" if failed else "",
        words=words,
    )


def _n(count: int | float, one: str, many: str) -> str:
    """``1 order`` / ``1,570 orders``."""
    return f"{count:,} {one if count == 1 else many}"


def _seconds(value: float) -> str:
    return f"{value:,.0f} s" if value >= 10 else f"{value:,.1f} s"


def _zero_checks(f: Findings, office: str, storefront: str) -> list[SloCheck]:
    """lost, duplicated, amount drift and unsurfaced failures: each must be 0."""
    synced = f.orders_accepted - f.lost
    words = {
        "lost": (
            f"No order was lost: all {_n(f.orders_accepted, 'order', 'orders')} taken on "
            f"{storefront} reached {office}.",
            f"{_n(f.lost, 'order', 'orders')} taken on {storefront} never reached {office} "
            f"(only {synced:,} of {f.orders_accepted:,} did): customers paid for goods the "
            "warehouse will not ship.",
        ),
        "duplicated": (
            f"No order reached {office} twice.",
            f"{_n(f.duplicated, 'order was', 'orders were')} entered twice in {office}: they "
            "would be picked, shipped and invoiced twice.",
        ),
        "amount_drift": (
            f"Every order's total, tax, discount and shipping in {office} match {storefront} "
            "to the cent.",
            f"{_n(f.amount_drift, 'order carries', 'orders carry')} a different total, tax, "
            f"discount or shipping in {office} than on {storefront}: the books will not "
            "reconcile.",
        ),
        "unsurfaced_failures": (
            "Every order that could not be synced was put in the exception queue for someone "
            "to handle.",
            f"{_n(f.unsurfaced_failures, 'order', 'orders')} failed without an alert or an "
            "exception: nobody would know to fix them.",
        ),
    }
    checks = []
    for name, value in (
        ("lost", f.lost),
        ("duplicated", f.duplicated),
        ("amount_drift", f.amount_drift),
        ("unsurfaced_failures", f.unsurfaced_failures),
    ):
        ok, bad = words[name]
        checks.append(_zero(name, value, ok=ok, bad=bad))
    return checks


def _stock_checks(scenario: Scenario, f: Findings, office: str) -> list[SloCheck]:
    slo = scenario.slo
    oversold, drift = f.oversold_units, f.stock_drift_units
    allowed = f" (the scenario allows up to {slo.max_oversold_units:,})"
    if not oversold:
        sold = "No unit was sold that the warehouse did not have."
    else:
        sold = (
            f"{_n(oversold, 'unit was', 'units were')} sold that the warehouse did not have"
            f"{allowed if slo.max_oversold_units else ''}: customers will get cancellation "
            "e-mails."
        )
    if not drift:
        shown = (
            "Once the sale settled, every storefront showed exactly the stock "
            f"{office} holds (less the safety buffer)."
        )
    else:
        shown = (
            f"Once the sale settled, storefront stock and {office} disagree by "
            f"{_n(drift, 'unit', 'units')} (limit {slo.max_stock_drift_units:,}): shoppers "
            "see availability that is not there, or miss stock that is."
        )
    return [
        _units_at_most("oversold_units", oversold, slo.max_oversold_units, sold),
        _units_at_most("stock_drift_units", drift, slo.max_stock_drift_units, shown),
    ]


def _convergence(
    scenario: Scenario,
    office: str,
    drain_seconds: float | None,
    converged: bool,
    settled_after_load: float | None,
) -> SloCheck:
    timeout = scenario.drain_timeout
    ok = converged and drain_seconds is not None
    if ok:
        after = "" if settled_after_load is None else f" ({_seconds(settled_after_load)})"
        words = (
            f"Everything reached {office} and stock settled within the {timeout:,g} s allowed "
            f"after the sale{after}."
        )
    else:
        words = (
            f"The backlog did not drain and settle within the {timeout:,g} s allowed after the "
            "sale: orders were still waiting when the rehearsal stopped."
        )
    return SloCheck(
        name="converged",
        limit=timeout,
        measured=settled_after_load if ok else None,
        unit="s",
        passed=ok,
        reason="" if ok else f"did not drain and settle within drain_timeout={timeout:g}s",
        words=words,
    )


def _latency(scenario: Scenario, f: Findings, office: str) -> list[SloCheck]:
    checks = []
    for q in LATENCY_PERCENTILES:
        limit = getattr(scenario.slo, f"latency_p{q}_seconds", None)
        measured = getattr(f.latency, f"p{q}")
        if limit is None:
            continue
        failed = measured is not None and measured > limit
        share = "Half" if q == 50 else f"{q}%"
        slowest = "Half of the orders" if q == 50 else f"The slowest {100 - q}% of orders"
        if measured is None:
            words = f"No order reached {office}, so no latency was measured (limit {limit:g} s)."
        elif failed:
            words = (
                f"{slowest} took {_seconds(measured)} or more to reach "
                f"{office}, over the {_seconds(limit)} allowed: customers wait for confirmation "
                "and warehouse picking starts late."
            )
        else:
            words = (
                f"{share} of orders reached {office} within {_seconds(measured)} of checkout "
                f"(limit {_seconds(limit)})."
            )
        checks.append(
            SloCheck(
                name=f"latency_p{q}",
                limit=limit,
                measured=measured,
                unit="s",
                passed=not failed,
                reason=f"latency p{q} = {measured:.1f}s > {limit:g}s" if failed else "",
                words=words,
            )
        )
    return checks


def _drain(scenario: Scenario, drain_seconds: float | None) -> list[SloCheck]:
    limit = scenario.slo.max_drain_seconds
    if limit is None:
        return []
    failed = drain_seconds is not None and drain_seconds > limit
    if drain_seconds is None:
        words = f"The order backlog never emptied after its peak (limit {_seconds(limit)})."
    else:
        words = (
            f"The order backlog emptied {_seconds(drain_seconds)} after its peak "
            f"({'over' if failed else 'within'} the {_seconds(limit)} allowed)."
        )
    return [
        SloCheck(
            name="drain_seconds",
            limit=limit,
            measured=drain_seconds,
            unit="s",
            passed=not failed,
            reason=f"drain = {drain_seconds:.1f}s > {limit:g}s" if failed else "",
            words=words,
        )
    ]


def _post_purchase(f: Findings, office: str) -> list[SloCheck]:
    """Cancel, refund and edit drift (``scenarios.report_staff.MUST_BE_ZERO``): each must be 0,
    with the reasons ``report_staff.staff_reasons`` gives."""
    words = {
        "cancel_drift": (
            f"Every cancellation made in the shop reached {office}.",
            "{n} cancelled in the shop {verb} still open in " + office + ": they may ship.",
        ),
        "refund_drift": (
            f"Every refund given in the shop is matched by a credit memo in {office}.",
            "{n} refunded in the shop {verb} no matching credit memo in " + office + ": the "
            "books will not reconcile.",
        ),
        "edit_drift": (
            f"Every address change made after checkout reached {office}.",
            "{n} with an address changed after checkout {verb} the old address in "
            + office
            + ": parcels go to the wrong place.",
        ),
    }
    verbs = {
        "cancel_drift": ("is", "are"),
        "refund_drift": ("has", "have"),
        "edit_drift": ("keeps", "keep"),
    }
    checks = []
    for name in MUST_BE_ZERO:
        value = int(getattr(f, name, 0) or 0)
        ok, bad = words.get(name, (f"{name} is 0.", "{n}: " + name + " {verb} not 0."))
        one, many = verbs.get(name, ("is", "are"))
        sentence = bad.format(n=_n(value, "order", "orders"), verb=one if value == 1 else many)
        checks.append(_zero(name, value, ok=ok, bad=sentence[0].upper() + sentence[1:]))
    return checks


def slo_checks(
    scenario: Scenario,
    f: Findings,
    drain_seconds: float | None,
    converged: bool,
    settled_after_load: float | None = None,
) -> list[SloCheck]:
    """Every check of the verdict, in the order of its reasons: lost, duplicated, amount
    drift, unsurfaced failures (each must be 0), oversold units, stock drift, convergence,
    then the latency percentiles and drain time the scenario sets limits for, then the
    post-purchase changes (cancel, refund and edit drift: each must be 0)."""
    office = BACK_OFFICE_NAMES.get(f.back_office, f.back_office)
    storefront = "the storefront" if len(scenario.channels) == 1 else "the storefronts"
    return [
        *_zero_checks(f, office, storefront),
        *_stock_checks(scenario, f, office),
        _convergence(scenario, office, drain_seconds, converged, settled_after_load),
        *_latency(scenario, f, office),
        *_drain(scenario, drain_seconds),
        *_post_purchase(f, office),
    ]

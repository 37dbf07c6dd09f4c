"""One seeded, declarative fault plan for every mock: install it with :func:`install_fault_plan`.

The pieces: ``fault_rules.py`` (what a rule is, validation), ``fault_plan.py`` (windows,
seeded decisions, the log), ``fault_middleware.py`` (the pure ASGI middleware that delays,
fails, drops or hangs requests), ``fault_routes.py`` (``/_mock/faults``). The reference, with
an example plan and the scenario form, is docs/faults.md.

What a platform offers the plan (all optional, on ``app.state``, looked up when needed):
``render_fault(status, detail) -> Response`` (its own error body and headers; else
``{"errors": detail}``), ``revoke_credentials()`` (else ``revoke_token`` answers 401 for its
window) and ``outbox`` (a :class:`~mocks.common.webhooks.WebhookOutbox`, whose rates the
``webhook`` rules override).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI

from mocks.common.fault_middleware import (
    ConnectionDropped,
    FaultMiddleware,
    generic_fault,
    silence_server_logs,
)
from mocks.common.fault_plan import FaultPlan, FaultRecord
from mocks.common.fault_routes import fault_router
from mocks.common.fault_rules import (
    AnyRule,
    FaultKind,
    FaultPlanError,
    RuleProblem,
    default_detail,
    dump_rule,
    parse_rules,
)
from mocks.common.webhooks import WebhookOutbox
from simclock import Clock

__all__ = [
    "ConnectionDropped",
    "FaultKind",
    "FaultPlan",
    "FaultPlanError",
    "FaultRecord",
    "RuleProblem",
    "default_detail",
    "dump_rule",
    "generic_fault",
    "install_fault_plan",
    "parse_rules",
]


def install_fault_plan(
    app: FastAPI,
    *,
    clock: Clock,
    seed: int,
    rules: Sequence[AnyRule] | Sequence[dict[str, Any]] | None = None,
    api_prefixes: Sequence[str] | None = None,
) -> FaultPlan:
    """Give ``app`` a fault plan: the middleware (outermost: call this after every other
    ``add_middleware``), ``/_mock/faults``, a reset hook and the outbox's rates override.

    ``rules`` (parsed, or raw JSON objects as in a process config's top-level ``faults``) are
    installed now; a bad one raises :class:`FaultPlanError` naming it. ``api_prefixes`` are the
    paths faulted by default (None: every path but ``/_sim/``, ``/_mock/`` and FastAPI's docs).
    Calling it again on the same app appends ``rules`` (when given) to the existing plan, so a
    process config's ``faults`` join the ones a platform installed from its own settings.
    """
    parsed = _parse(rules)
    existing = getattr(app.state, "fault_plan", None)
    if isinstance(existing, FaultPlan):
        if parsed:
            existing.append(parsed)
        return existing
    state = app.state
    plan = FaultPlan(
        clock=clock,
        seed=seed,
        api_prefixes=api_prefixes,
        revoker=lambda: _callable(getattr(state, "revoke_credentials", None)),
    )
    if parsed:
        plan.replace(parsed)
    state.fault_plan = plan
    app.add_middleware(FaultMiddleware, plan=plan, state=state)
    app.include_router(fault_router())
    resettables = getattr(state, "resettables", None)
    if resettables is None:
        state.resettables = resettables = []
    resettables.append(plan)
    outbox = getattr(state, "outbox", None)
    if isinstance(outbox, WebhookOutbox):
        outbox.rates_override = plan.webhook_rates
    silence_server_logs()
    return plan


def _parse(rules: Sequence[AnyRule] | Sequence[dict[str, Any]] | None) -> list[AnyRule] | None:
    if rules is None:
        return None
    raw = list(rules)
    if all(not isinstance(r, dict) for r in raw):
        return [r for r in raw if not isinstance(r, dict)]
    return list(parse_rules([r if isinstance(r, dict) else dump_rule(r) for r in raw]))


def _callable(value: Any) -> Callable[[], None] | None:
    return value if callable(value) else None

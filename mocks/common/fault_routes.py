"""``/_mock/faults``: read and change a mock's fault plan while it runs (docs/faults.md).

- ``GET``: the rules (re-installable as they are), ``installed_at``, ``now``, the indexes of the
  rules in force, each rule's absolute window, counts by kind, requests in flight and the log;
- ``PUT {"rules": [...]}``: replace the plan, windows counted from now;
- ``POST {"rules": [...]}``: append rules, their windows counted from now;
- ``DELETE``: no rules (counts and log stay; ``/_mock/reset`` clears them too).
Every change answers like ``GET``. A body that is not a JSON object is a 400; rules that do not
validate are a 422 ``{"error": "invalid_fault_plan", "detail", "errors": [{"rule", "field",
"reason"}]}``, and the plan is left as it was.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.common.fault_plan import FaultPlan
from mocks.common.fault_rules import AnyRule, FaultPlanError, RuleProblem, parse_rules
from mocks.common.money import loads_exact


def _plan(request: Request) -> FaultPlan:
    plan: FaultPlan = request.app.state.fault_plan
    return plan


def _invalid(problems: tuple[RuleProblem, ...]) -> JSONResponse:
    return JSONResponse(
        {
            "error": "invalid_fault_plan",
            "detail": "; ".join(str(p) for p in problems),
            "errors": [p.as_dict() for p in problems],
        },
        status_code=422,
    )


async def _rules(request: Request) -> tuple[AnyRule, ...] | JSONResponse:
    """The rules of a ``{"rules": [...]}`` body, or the 400/422 that says what is wrong."""
    try:
        body = loads_exact(await request.body() or b"")
    except ValueError as exc:
        return JSONResponse({"error": "malformed_json", "detail": str(exc)}, status_code=400)
    if not isinstance(body, dict):
        detail = f'the body must be an object {{"rules": [...]}}, got {type(body).__name__}'
        return JSONResponse({"error": "malformed_json", "detail": detail}, status_code=400)
    unknown = sorted(set(body) - {"rules"})
    if unknown or "rules" not in body:
        reason = f"unknown key(s) {unknown}" if unknown else "is required"
        field = unknown[0] if unknown else "rules"
        return _invalid((RuleProblem(rule=None, field=field, reason=reason),))
    try:
        return parse_rules(body["rules"])
    except FaultPlanError as exc:
        return _invalid(exc.problems)


def fault_router() -> APIRouter:
    """The ``/_mock/faults`` routes; the plan is ``app.state.fault_plan``."""
    router = APIRouter(prefix="/_mock", tags=["mock control"])

    @router.get("/faults")
    async def show(request: Request) -> dict[str, Any]:
        return _plan(request).describe()

    @router.put("/faults", response_model=None)
    async def replace(request: Request) -> dict[str, Any] | JSONResponse:
        rules = await _rules(request)
        if isinstance(rules, JSONResponse):
            return rules
        _plan(request).replace(rules)
        return _plan(request).describe()

    @router.post("/faults", response_model=None)
    async def append(request: Request) -> dict[str, Any] | JSONResponse:
        rules = await _rules(request)
        if isinstance(rules, JSONResponse):
            return rules
        _plan(request).append(rules)
        return _plan(request).describe()

    @router.delete("/faults")
    async def clear(request: Request) -> dict[str, Any]:
        _plan(request).clear()
        return _plan(request).describe()

    return router

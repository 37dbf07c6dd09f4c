"""The rules of a fault plan: what each kind of fault is, its parameters, and their validation.

A rule is a JSON object with a ``kind`` and a window in simulated seconds counted from the
moment the rule was installed (``start``, optional ``end``). Rules that act on requests carry
``routes`` (path prefixes, or regular expressions starting with ``^``), ``methods`` and a
``probability``. Kinds (docs/faults.md has the reference and examples):

- ``latency``: delay matching requests, then serve them (``fixed``, ``uniform``, ``lognormal``
  or ``load`` = grows with the requests in flight);
- ``error``: answer one of ``statuses`` (optionally weighted) in the platform's error shape;
- ``reset``: the connection drops after the status line (the client sees a transport error);
- ``hang``: nothing comes back for ``seconds`` (or until the client gives up), then a drop;
- ``outage``: the platform is down: API *and* storefront (``/_sim/``) answer ``status``;
- ``admin_down``: the Cyber Monday 2025 pattern (PLATFORMS.md 1.12): the admin API answers
  ``status`` while the storefront keeps selling and webhooks keep being queued;
- ``revoke_token``: at ``start`` every issued credential stops working (the platform's
  ``revoke_credentials``; without one, API calls answer 401 for the window);
- ``webhook``: the outbox's drop/duplicate/delay/reorder rates are replaced while open.

Validation errors name the rule, the field and the reason (:class:`FaultPlanError`). Numbers
are strict (``"5"`` is not 5) and may arrive as ``Decimal`` from ``loads_exact``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from http import HTTPStatus
from statistics import NormalDist
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

MOCK_PREFIX = "/_mock/"
"""Control routes: never faulted."""
SIM_PREFIX = "/_sim/"
"""Simulated shoppers: faulted only by ``outage`` or by a route that names ``/_sim``."""
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
DEFAULT_HANG_SECONDS = 3600.0
DEFAULT_DOWN_STATUS = 503
DEFAULT_ERROR_STATUSES = (500,)
_STANDARD_NORMAL = NormalDist()
_EDGE = 1e-12  # keeps the inverse normal CDF finite at draws of exactly 0

Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Seconds = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]
Rate = Annotated[float, Strict(), Field(ge=0, le=1)]
Status = Annotated[int, Strict(), Field(ge=400, le=599)]

_LATENCY_PARAMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # distribution: (required, optional)
    "fixed": (("seconds",), ()),
    "uniform": (("low", "high"), ()),
    "lognormal": (("median", "sigma"), ("max",)),
    "load": (("base", "per_in_flight"), ("max",)),
}
_LATENCY_FIELDS = ("seconds", "low", "high", "median", "sigma", "max", "base", "per_in_flight")


class FaultKind(StrEnum):
    """What a rule does."""

    LATENCY = "latency"
    ERROR = "error"
    RESET = "reset"
    HANG = "hang"
    OUTAGE = "outage"
    ADMIN_DOWN = "admin_down"
    REVOKE_TOKEN = "revoke_token"
    WEBHOOK = "webhook"


def default_detail(status: int) -> str:
    """The reason phrase of ``status`` (``"Service Unavailable"``), the detail of an injected
    answer whose rule gives none. Platforms may replace it with their own wording."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _problem(field: str, reason: str) -> PydanticCustomError:
    # ``field`` travels in the context so the error names it even from a model validator.
    context = {"field": field, "reason": reason}
    return PydanticCustomError("fault_rule", "{field}: {reason}", context)


def check_route(route: str) -> None:
    """A route is a path prefix (``/admin/``) or a regular expression starting with ``^``."""
    if route.startswith("^"):
        try:
            re.compile(route)
        except re.error as exc:
            raise ValueError(f"{route!r} is not a valid regular expression: {exc}") from None
        forbidden = route.startswith("^" + MOCK_PREFIX.rstrip("/"))
    elif route.startswith("/"):
        forbidden = route.startswith(MOCK_PREFIX.rstrip("/"))
    else:
        raise ValueError(f"{route!r} must be a path prefix (/...) or a regex (^...)")
    if forbidden:
        raise ValueError(f"{route!r}: /_mock/ control routes are never faulted")


class _Rule(BaseModel):
    """Fields every rule has."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: Seconds = 0.0
    """Simulated seconds after installation at which the window opens."""
    end: Seconds | None = None
    """When it closes (exclusive); open-ended when absent."""
    routes: tuple[str, ...] | None = Field(None, min_length=1)
    """Path prefixes or ``^`` regexes; absent = the platform's API routes."""
    methods: tuple[str, ...] | None = Field(None, min_length=1)
    probability: Rate = 1.0
    """Share of matching requests that meet the fault (seeded draws)."""

    @field_validator("routes")
    @classmethod
    def _routes(cls, routes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for i, route in enumerate(routes or ()):
            try:
                check_route(route)
            except ValueError as exc:
                raise _problem(f"routes[{i}]", str(exc)) from None
        return routes

    @field_validator("methods")
    @classmethod
    def _methods(cls, methods: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if methods is None:
            return None
        upper = tuple(m.upper() for m in methods)
        unknown = sorted(set(upper) - HTTP_METHODS)
        if unknown:
            known = ", ".join(sorted(HTTP_METHODS))
            raise _problem("methods", f"unknown method(s) {', '.join(unknown)}; known: {known}")
        return upper

    @model_validator(mode="after")
    def _window(self) -> _Rule:
        if self.end is not None and self.end <= self.start:
            raise _problem("end", f"must be after start ({self.start:g}), got {self.end:g}")
        return self


class LatencyRule(_Rule):
    """Delay matching requests by a drawn number of simulated seconds, then serve them."""

    kind: Literal["latency"]
    distribution: Literal["fixed", "uniform", "lognormal", "load"] = "fixed"
    seconds: Seconds | None = None
    low: Seconds | None = None
    high: Seconds | None = None
    median: Seconds | None = None
    sigma: Seconds | None = None
    max: Seconds | None = None
    base: Seconds | None = None
    per_in_flight: Seconds | None = None

    @model_validator(mode="after")
    def _params(self) -> LatencyRule:
        required, optional = _LATENCY_PARAMS[self.distribution]
        for name in _LATENCY_FIELDS:
            given = getattr(self, name) is not None
            if name in required and not given:
                raise _problem(name, f"required by distribution {self.distribution!r}")
            if given and name not in required and name not in optional:
                raise _problem(name, f"not used by distribution {self.distribution!r}")
        low, high = self.low, self.high
        if self.distribution == "uniform" and low is not None and high is not None and high < low:
            raise _problem("high", f"must be >= low ({low:g})")
        return self

    def sample(self, u: float, others_in_flight: int) -> float:
        """Seconds of delay for the uniform draw ``u`` (always one draw, whatever the shape)."""
        d = self.distribution
        if d == "fixed":
            return _num(self.seconds)
        if d == "uniform":
            low = _num(self.low)
            return low + u * (_num(self.high) - low)
        if d == "lognormal":
            z = _STANDARD_NORMAL.inv_cdf(min(max(u, _EDGE), 1 - _EDGE))
            value = _num(self.median) * math.exp(_num(self.sigma) * z)
        else:
            value = _num(self.base) + _num(self.per_in_flight) * others_in_flight
        return value if self.max is None else min(value, self.max)


class ErrorRule(_Rule):
    """Answer one of ``statuses`` (weighted draw) instead of serving the request."""

    kind: Literal["error"]
    statuses: tuple[Status, ...] = Field(DEFAULT_ERROR_STATUSES, min_length=1)
    weights: tuple[Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)], ...] | None = None
    detail: str | None = None

    @model_validator(mode="after")
    def _weights(self) -> ErrorRule:
        if self.weights is not None and len(self.weights) != len(self.statuses):
            raise _problem(
                "weights",
                f"needs one weight per status ({len(self.statuses)}), got {len(self.weights)}",
            )
        return self

    def pick(self, u: float) -> int:
        """The status for the uniform draw ``u``."""
        weights = self.weights or (1.0,) * len(self.statuses)
        point = u * sum(weights)
        for status, weight in zip(self.statuses, weights, strict=True):
            point -= weight
            if point < 0:
                return status
        return self.statuses[-1]


class ResetRule(_Rule):
    """Drop the connection after the status line: the client sees a transport error."""

    kind: Literal["reset"]


class HangRule(_Rule):
    """Send nothing for ``seconds`` (or until the client disconnects), then drop."""

    kind: Literal["hang"]
    seconds: Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)] = DEFAULT_HANG_SECONDS


class OutageRule(_Rule):
    """The whole platform is down: API and storefront answer ``status``."""

    kind: Literal["outage"]
    status: Status = DEFAULT_DOWN_STATUS
    detail: str | None = None


class AdminDownRule(_Rule):
    """Admin API down, storefront up and webhooks still queued (Cyber Monday 2025)."""

    kind: Literal["admin_down"]
    status: Status = DEFAULT_DOWN_STATUS
    detail: str | None = None


class RevokeTokenRule(_Rule):
    """Every issued credential stops working at ``start`` (once)."""

    kind: Literal["revoke_token"]
    detail: str | None = None
    """Detail of the 401 answered when the platform cannot revoke (fallback)."""

    @model_validator(mode="after")
    def _certain(self) -> RevokeTokenRule:
        if self.probability != 1.0:
            raise _problem("probability", "a revocation is not drawn; leave it at 1")
        return self


class WebhookRule(_Rule):
    """Replace the outbox's fault rates while the window is open (unset ones keep theirs)."""

    kind: Literal["webhook"]
    drop_rate: Rate | None = None
    duplicate_rate: Rate | None = None
    delay_rate: Rate | None = None
    delay_max_seconds: Seconds | None = None
    reorder_rate: Rate | None = None
    reorder_max_seconds: Seconds | None = None

    @model_validator(mode="after")
    def _rates(self) -> WebhookRule:
        for name in ("routes", "methods"):
            if getattr(self, name) is not None:
                raise _problem(name, "webhook rules act on the outbox, not on requests")
        if self.probability != 1.0:
            raise _problem("probability", "webhook rules set rates; leave probability at 1")
        if not self.rates():
            raise _problem("drop_rate", "give at least one of " + ", ".join(_WEBHOOK_RATES))
        return self

    def rates(self) -> dict[str, float]:
        """The rates this rule sets (absent ones are left to the outbox)."""
        return {k: v for k in _WEBHOOK_RATES if (v := getattr(self, k)) is not None}


_WEBHOOK_RATES = (
    "drop_rate",
    "duplicate_rate",
    "delay_rate",
    "delay_max_seconds",
    "reorder_rate",
    "reorder_max_seconds",
)

FaultRule = Annotated[
    LatencyRule
    | ErrorRule
    | ResetRule
    | HangRule
    | OutageRule
    | AdminDownRule
    | RevokeTokenRule
    | WebhookRule,
    Field(discriminator="kind"),
]
"""One rule of a plan, any kind."""
AnyRule = (
    LatencyRule
    | ErrorRule
    | ResetRule
    | HangRule
    | OutageRule
    | AdminDownRule
    | RevokeTokenRule
    | WebhookRule
)
_RULES: TypeAdapter[list[AnyRule]] = TypeAdapter(list[FaultRule])


def _num(value: float | None) -> float:
    # The validators guarantee presence for the chosen distribution.
    return 0.0 if value is None else value


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleProblem:
    """One thing wrong with one rule."""

    rule: int | None
    """Index in the list given (None: the list itself)."""
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        """JSON shape of ``/_mock/faults`` errors."""
        return {"rule": self.rule, "field": self.field, "reason": self.reason}

    def __str__(self) -> str:
        if self.rule is None:
            return f"{self.field}: {self.reason}"
        field = f".{self.field}" if self.field else ""
        return f"rules[{self.rule}]{field}: {self.reason}"


class FaultPlanError(ValueError):
    """Rules that cannot be installed; ``problems`` names each rule, field and reason."""

    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def _field_of(loc: tuple[int | str, ...], err: Any) -> str:
    ctx = err.get("ctx") or {}
    if err["type"] == "fault_rule":
        return str(ctx["field"])
    if err["type"].startswith("union_tag"):
        return "kind"
    rest = list(loc[2:]) if len(loc) > 1 else []  # drop the index and the kind tag
    field = ""
    for part in rest:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    return field


def _reason(err: Any) -> str:
    if err["type"] == "fault_rule":
        return str(err["ctx"]["reason"])
    return str(err["msg"]).removeprefix("Value error, ")


def parse_rules(raw: object) -> tuple[AnyRule, ...]:
    """Rules from decoded JSON (a list of objects); :class:`FaultPlanError` says what is wrong."""
    if not isinstance(raw, list):
        reason = f"must be a list of rule objects, got {type(raw).__name__}"
        raise FaultPlanError([RuleProblem(rule=None, field="rules", reason=reason)])
    try:
        return tuple(_RULES.validate_python(raw))
    except ValidationError as exc:
        errors = exc.errors()
        problems = [
            RuleProblem(
                rule=int(err["loc"][0]) if err["loc"] else None,
                field=_field_of(tuple(err["loc"]), err),
                reason=_reason(err),
            )
            for err in errors
            if not _echo(err, errors)
        ]
        raise FaultPlanError(problems) from None


def _echo(err: Any, errors: Sequence[Any]) -> bool:
    """pydantic adds "too short after validation" beside a bad item's own error: drop it."""
    loc = tuple(err["loc"])
    return err["type"] == "too_short" and any(
        tuple(other["loc"])[: len(loc)] == loc and other is not err for other in errors
    )


def dump_rule(rule: AnyRule) -> dict[str, Any]:
    """A rule as JSON, in the form ``PUT /_mock/faults`` accepts back."""
    fields = rule.model_dump(mode="json", exclude_none=True)
    return {"kind": fields.pop("kind"), **fields}

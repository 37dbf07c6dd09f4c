"""A mock's fault plan as plain Python: installed rules, their windows, seeded decisions, a log.

No HTTP here: :class:`FaultPlan` answers "what does this request meet now?" (:meth:`decide`),
"which webhook rates apply now?" (:meth:`webhook_rates`) and fires due credential revocations;
``fault_middleware.py`` turns the answers into delays, error responses and dropped
connections, ``fault_routes.py`` exposes the plan at ``/_mock/faults``.

Determinism: every rule draws from its own stream ``derive(seed, "faults:<index>")`` and every
evaluation of a rule on a request draws exactly two numbers in a fixed order (does it fire?
which status / how long?), so the same seed and the same sequence of requests meet the same
faults, and adding a rule never shifts another rule's draws.

Modelling choices (*): windows count from the moment their rule was installed (``PUT`` installs
the whole plan at once; ``POST`` appends rules counted from their own arrival). A revocation
fires once, on the first request or plan read at or after its start: no observer can tell it
apart from firing at the exact instant, since only a request can notice a dead credential.
Matching latency rules add up; of the other kinds the first rule (by index) that fires answers.
"""

from __future__ import annotations

import math
import random
import re
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mocks.common.fault_rules import (
    SIM_PREFIX,
    AnyRule,
    ErrorRule,
    FaultKind,
    HangRule,
    LatencyRule,
    OutageRule,
    ResetRule,
    RevokeTokenRule,
    WebhookRule,
    default_detail,
    dump_rule,
)
from mocks.common.rng import derive
from mocks.common.webhooks import WebhookFaultRates
from simclock import Clock

DEFAULT_LOG_SIZE = 1000
NON_API_PATHS = ("/docs", "/redoc", "/openapi.json")
"""FastAPI's own pages: not the platform's API, so not faulted by default."""
_INF = math.inf

Revoker = Callable[[], Callable[[], None] | None]
"""Looks up the platform's ``revoke_credentials`` when needed (None: the platform has none)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultRecord:
    """One injected fault, as ``GET /_mock/faults`` lists it."""

    at: float
    rule: int
    kind: str
    method: str | None = None
    path: str | None = None
    status: int | None = None
    seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON shape."""
        return {
            "at": self.at,
            "rule": self.rule,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "seconds": self.seconds,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Injection:
    """What one request meets: a delay, then optionally an action instead of the route."""

    delay: float = 0.0
    kind: str | None = None
    """``error`` (also outage, admin_down, revoke fallback: a status), ``reset`` or ``hang``."""
    status: int | None = None
    detail: str = ""
    seconds: float = 0.0
    """How long a hang lasts."""


@dataclass(kw_only=True, eq=False)
class InstalledRule:
    """A rule with its absolute window, its random stream and its compiled matcher."""

    index: int
    rule: AnyRule
    installed_at: float
    starts_at: float
    ends_at: float
    rng: random.Random
    prefixes: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    sim_prefixes: tuple[str, ...] = ()
    sim_patterns: tuple[re.Pattern[str], ...] = ()
    fired: bool = False
    """Revocations: already done."""
    methods: frozenset[str] | None = field(default=None)

    @classmethod
    def build(cls, index: int, rule: AnyRule, *, origin: float, seed: int) -> InstalledRule:
        """Compile ``rule`` installed at simulated time ``origin``."""
        routes = rule.routes or ()
        is_sim = [r.startswith(("/_sim", "^/_sim")) for r in routes]
        pairs = list(zip(routes, is_sim, strict=True))
        return cls(
            index=index,
            rule=rule,
            installed_at=origin,
            starts_at=origin + rule.start,
            ends_at=_INF if rule.end is None else origin + rule.end,
            rng=derive(seed, f"faults:{index}"),
            prefixes=tuple(r for r, s in pairs if not s and not r.startswith("^")),
            patterns=tuple(re.compile(r) for r, s in pairs if not s and r.startswith("^")),
            sim_prefixes=tuple(r for r, s in pairs if s and not r.startswith("^")),
            sim_patterns=tuple(re.compile(r) for r, s in pairs if s and r.startswith("^")),
            methods=frozenset(rule.methods) if rule.methods else None,
        )

    def matches(self, method: str, path: str, api_prefixes: tuple[str, ...] | None) -> bool:
        """Whether a request is in this rule's scope (``/_mock/`` never reaches here)."""
        if self.methods is not None and method not in self.methods:
            return False
        sim = path.startswith(SIM_PREFIX)
        if self.rule.routes is None:
            if sim:
                return isinstance(self.rule, OutageRule)
            if api_prefixes is not None:
                return path.startswith(api_prefixes)
            return not path.startswith(NON_API_PATHS)
        if sim:
            return path.startswith(self.sim_prefixes) or any(
                p.match(path) for p in self.sim_patterns
            )
        return path.startswith(self.prefixes) or any(p.match(path) for p in self.patterns)

    def action(self, u: float) -> tuple[str, int | None, str, float]:
        """(kind, status, detail, hang seconds) of a terminal rule for the draw ``u``."""
        rule = self.rule
        if isinstance(rule, HangRule):
            return FaultKind.HANG, None, "", rule.seconds
        if isinstance(rule, ResetRule):
            return FaultKind.RESET, None, "", 0.0
        if isinstance(rule, ErrorRule):
            status = rule.pick(u)
        elif isinstance(rule, RevokeTokenRule):
            status = 401
        else:
            status = getattr(rule, "status", 503)
        detail = getattr(rule, "detail", None) or default_detail(status)
        return FaultKind.ERROR, status, detail, 0.0


class FaultPlan:
    """The rules in force on one mock, and what they have done."""

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int,
        api_prefixes: Sequence[str] | None = None,
        revoker: Revoker | None = None,
        log_size: int = DEFAULT_LOG_SIZE,
    ) -> None:
        self.clock = clock
        self.seed = seed
        self.api_prefixes: tuple[str, ...] | None = (
            None if api_prefixes is None else tuple(api_prefixes)
        )
        """Paths of the platform's API (faulted by default); None = all but /_sim/, /_mock/."""
        self.revoker: Revoker = revoker or (lambda: None)
        self.installed_at = clock.now()
        """When the plan was last installed (``PUT``) or cleared."""
        self.in_flight = 0
        """Requests inside the fault middleware now (maintained by it; drives ``load``)."""
        self._rules: list[InstalledRule] = []
        self._log: deque[FaultRecord] = deque(maxlen=log_size)
        self._counts = dict.fromkeys(FaultKind, 0)
        self._invalidate()

    # -- installing ------------------------------------------------------------------------

    def replace(self, rules: Iterable[AnyRule]) -> None:
        """Install ``rules`` as the whole plan, their windows counted from now."""
        self.installed_at = self.clock.now()
        self._rules = []
        self.append(rules)

    def append(self, rules: Iterable[AnyRule]) -> None:
        """Add ``rules`` after the existing ones, their windows counted from now."""
        origin = self.clock.now()
        for rule in rules:
            index = len(self._rules)
            self._rules.append(InstalledRule.build(index, rule, origin=origin, seed=self.seed))
        self._invalidate()

    def clear(self) -> None:
        """No rules (the log and counts stay)."""
        self.replace(())

    def reset(self) -> None:
        """No rules, no history (``/_mock/reset``)."""
        self.clear()
        self._log.clear()
        self._counts = dict.fromkeys(FaultKind, 0)

    @property
    def rules(self) -> tuple[AnyRule, ...]:
        """The rules in force, in order."""
        return tuple(r.rule for r in self._rules)

    # -- windows ---------------------------------------------------------------------------

    def _invalidate(self) -> None:
        self._valid_from = _INF
        self._valid_until = -_INF
        self._request_rules: tuple[InstalledRule, ...] = ()
        self._webhook_rules: tuple[InstalledRule, ...] = ()

    def _refresh(self, now: float) -> None:
        """Recompute the active rules; they stay valid until the next window boundary."""
        bounds = [b for r in self._rules for b in (r.starts_at, r.ends_at)]
        self._valid_from = max((b for b in bounds if b <= now), default=-_INF)
        self._valid_until = min((b for b in bounds if b > now), default=_INF)
        revoke = self.revoker()
        request: list[InstalledRule] = []
        webhook: list[InstalledRule] = []
        for r in self._rules:
            if isinstance(r.rule, RevokeTokenRule) and revoke is not None:
                if not r.fired and r.starts_at <= now:
                    r.fired = True
                    revoke()
                    self._record(FaultRecord(at=now, rule=r.index, kind=FaultKind.REVOKE_TOKEN))
                continue
            if not r.starts_at <= now < r.ends_at:
                continue
            (webhook if isinstance(r.rule, WebhookRule) else request).append(r)
        self._request_rules = tuple(request)
        self._webhook_rules = tuple(webhook)

    def tick(self, now: float) -> None:
        """Bring the windows up to ``now`` (fires due revocations). Cheap when nothing changed."""
        if not self._valid_from <= now < self._valid_until:
            self._refresh(now)

    def active(self, now: float) -> list[int]:
        """Indexes of the rules whose window is open at ``now``."""
        self.tick(now)
        return [r.index for r in self._rules if r.starts_at <= now < r.ends_at]

    # -- decisions -------------------------------------------------------------------------

    def decide(self, now: float, method: str, path: str) -> Injection | None:
        """What a request for ``path`` meets at ``now``; None (no allocation) when nothing."""
        if not self._valid_from <= now < self._valid_until:
            self._refresh(now)
        if not self._request_rules:
            return None
        delay = 0.0
        action: tuple[str, int | None, str, float] | None = None
        for r in self._request_rules:
            if not r.matches(method, path, self.api_prefixes):
                continue
            fires = r.rng.random() < r.rule.probability
            u = r.rng.random()
            if not fires:
                continue
            if isinstance(r.rule, LatencyRule):
                seconds = r.rule.sample(u, max(0, self.in_flight - 1))
                delay += seconds
                self._record(
                    FaultRecord(
                        at=now,
                        rule=r.index,
                        kind=r.rule.kind,
                        method=method,
                        path=path,
                        seconds=seconds,
                    )
                )
            elif action is None:
                action = r.action(u)
                self._record(
                    FaultRecord(
                        at=now,
                        rule=r.index,
                        kind=r.rule.kind,
                        method=method,
                        path=path,
                        status=action[1],
                        seconds=action[3] or None,
                    )
                )
        if action is None:
            return Injection(delay=delay) if delay else None
        kind, status, detail, seconds = action
        return Injection(delay=delay, kind=kind, status=status, detail=detail, seconds=seconds)

    def webhook_rates(self) -> WebhookFaultRates | None:
        """Rates overriding the outbox's for a delivery queued now (None: its own)."""
        now = self.clock.now()
        self.tick(now)
        if not self._webhook_rules:
            return None
        merged: dict[str, float] = {}
        for r in self._webhook_rules:
            assert isinstance(r.rule, WebhookRule)
            merged.update(r.rule.rates())
        last = self._webhook_rules[-1]
        self._record(FaultRecord(at=now, rule=last.index, kind=FaultKind.WEBHOOK))
        return WebhookFaultRates(**merged)

    # -- history ---------------------------------------------------------------------------

    def _record(self, record: FaultRecord) -> None:
        self._log.append(record)
        self._counts[FaultKind(record.kind)] += 1

    def counts(self) -> dict[str, int]:
        """Injected faults by kind since the last reset (every kind present)."""
        return {str(kind): n for kind, n in self._counts.items()}

    def log(self) -> list[FaultRecord]:
        """The most recent injected faults, oldest first (bounded)."""
        return list(self._log)

    def describe(self) -> dict[str, Any]:
        """``GET /_mock/faults``: the plan (re-installable as is), windows, counts and log."""
        now = self.clock.now()
        active = set(self.active(now))
        return {
            "rules": [dump_rule(r.rule) for r in self._rules],
            "installed_at": self.installed_at,
            "now": now,
            "active": sorted(active),
            "windows": [
                {
                    "rule": r.index,
                    "installed_at": r.installed_at,
                    "starts_at": r.starts_at,
                    "ends_at": None if r.ends_at == _INF else r.ends_at,
                    "active": r.index in active,
                }
                for r in self._rules
            ],
            "counts": self.counts(),
            "injected": sum(self._counts.values()),
            "in_flight": self.in_flight,
            "log": [record.as_dict() for record in self._log],
        }

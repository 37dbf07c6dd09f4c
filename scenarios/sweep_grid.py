"""The what-if grid of ``rehearsal sweep``: ``--param NAME=v1,v2`` parsed, its cartesian
product, and each point applied to the scenario's raw mapping and validated, so a bad value is
refused before anything runs.

``NAME`` is a dotted path into the scenario mapping (``engine.stock_buffer``,
``platforms.erp.concurrency_limit``, ``channels.0.share``; a number indexes a list) or one of
:data:`ALIASES`. ``peak`` is not a path: it multiplies every rate of the arrival curve (a
``traffic:`` block is replaced by the curve it compiles to). Values are YAML scalars (``5``,
``1.5``, ``true``, ``graphql``). Each variant is validated by the same ``Scenario`` model as a
scenario file, then by the mock settings and engine timings it starts with (what the processes
would refuse at start-up).
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from mocks.erp.constants import ErpSettings
from mocks.fulfil.constants import FulfilSettings
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.graphql.settings import GraphQLSettings
from mocks.shopline.constants import ShoplineSettings
from mocks.shopware.constants import ShopwareSettings
from scenarios.platforms import default_settings
from scenarios.schema import Scenario
from sync_engine.config import Timing

ALIASES: dict[str, str] = {
    "buffer": "engine.stock_buffer",
    "erp.concurrency": "platforms.erp.concurrency_limit",
    "erp.latency": "platforms.erp.write_latency_median",
    "shopify.leak_rate": "platforms.shopify.leak_rate",
    "shopify.bucket": "platforms.shopify.bucket_size",
    "back_office.rate": "back_office.rate",
    "dispatchers": "dispatchers",
}
"""Short names for the parameters users sweep most; any dotted path works too."""
PEAK = "peak"
"""Multiplies every rate of the arrival curve by the value (``peak=1.5``: 50% more traffic)."""

PARAM = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)=(?P<values>.+)$")
UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class SweepError(ValueError):
    """A sweep that cannot run; ``str()`` names the parameter, the value and the reason."""


@dataclass(frozen=True)
class Param:
    """One ``--param``: the name the user gave, the path it sets, the values in their order."""

    name: str
    path: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Point:
    """One point of the grid: a value per parameter, and the scenario it makes."""

    values: tuple[tuple[str, Any], ...]
    scenario: Scenario

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.values)


def _scalar(name: str, text: str) -> Any:
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SweepError(f"--param {name}: value {text!r} is not a YAML scalar ({exc})") from exc
    if isinstance(value, (dict, list)) or value is None:
        raise SweepError(f"--param {name}: value {text!r} is not a YAML scalar")
    return value


def label_value(value: Any) -> str:
    """A value as it appears in a variant name: YAML spelling, filesystem-safe."""
    text = yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()
    return UNSAFE.sub("_", text)


def parse_param(text: str) -> Param:
    """``buffer=0,2,5`` → ``Param("buffer", "engine.stock_buffer", (0, 2, 5))``."""
    match = PARAM.match(text)
    if match is None:
        raise SweepError(
            f"--param {text!r}: expected NAME=V1,V2,... (a dotted path such as "
            f"engine.stock_buffer, or one of: {', '.join([*ALIASES, PEAK])})"
        )
    name = match["name"]
    pieces = [p.strip() for p in match["values"].split(",")]
    if any(not p for p in pieces):
        raise SweepError(f"--param {text!r}: an empty value in the list")
    values = tuple(_scalar(name, p) for p in pieces)
    labels = [label_value(v) for v in values]
    twice = sorted({v for v in labels if labels.count(v) > 1})
    if twice:
        raise SweepError(f"--param {name}: value(s) listed twice: {', '.join(twice)}")
    if name == PEAK:
        for value in values:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise SweepError(
                    f"--param {name}={label_value(value)}: peak is a factor on the arrival "
                    "curve's rates and must be a number > 0"
                )
    return Param(name=name, path=ALIASES.get(name, name), values=values)


def parse_params(texts: list[str]) -> list[Param]:
    """Every ``--param``; the same path twice (say ``buffer`` and ``engine.stock_buffer``) is
    refused."""
    if not texts:
        raise SweepError("no --param given: a sweep needs at least one NAME=V1,V2,...")
    params, problems = [], []
    for text in texts:
        try:
            params.append(parse_param(text))
        except SweepError as exc:
            problems.append(str(exc))
    if problems:
        raise SweepError("\n".join(problems))
    paths = [p.path for p in params]
    for param in params:
        if paths.count(param.path) > 1:
            raise SweepError(f"--param {param.name}: {param.path} is swept twice")
    return params


def _set_path(raw: dict[str, Any], defaults: Mapping[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``raw``; containers the file leaves out come from the model's defaults
    (``channels`` of a one-channel scenario) or are created (``platforms.erp``)."""
    parts = path.split(".")
    node: Any = raw
    default: Any = defaults
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        last = depth == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ValueError(f"{where}: no item {part} (the list has {len(node)})")
            index = int(part)
            if last:
                node[index] = value
                return
            default = default[index] if isinstance(default, list) and index < len(default) else {}
            node = node[index]
            continue
        if not isinstance(node, dict):
            raise ValueError(
                f"{'.'.join(parts[:depth])}: is a {type(node).__name__}, not a mapping"
            )
        if last:
            node[part] = value
            return
        default = default.get(part, {}) if isinstance(default, dict) else {}
        if part not in node:
            node[part] = copy.deepcopy(default) if isinstance(default, (dict, list)) else {}
        node = node[part]


def _scale_peak(raw: dict[str, Any], factor: float) -> None:
    curve = raw.get("arrival_curve")
    if not isinstance(curve, list):
        raise ValueError("arrival_curve: the scenario has no curve to scale")
    raw["arrival_curve"] = [
        [point[0], point[1] * factor]
        if isinstance(point, (list, tuple)) and len(point) == 2
        # Leave malformed points to the model's own error.
        else point
        for point in curve
    ]


def apply(raw: dict[str, Any], defaults: Mapping[str, Any], values: list[tuple[Param, Any]]) -> Any:
    """A deep copy of the raw scenario mapping with each parameter's value applied."""
    variant = copy.deepcopy(raw)
    for param, value in values:
        if param.name == PEAK:
            _scale_peak(variant, value)
        else:
            _set_path(variant, defaults, param.path, value)
    return variant


SETTINGS: dict[str, Callable[[dict[str, Any]], object]] = {
    "erp": ErpSettings.from_overrides,
    "shopline": ShoplineSettings.from_overrides,
    "shopware": ShopwareSettings.from_overrides,
    "fulfil": FulfilSettings.from_overrides,
}


def _shopify_settings(settings: dict[str, Any]) -> object:
    rest = dict(settings)
    GraphQLSettings.from_overrides(rest.pop("graphql", None) or {})
    return ShopifySettings.from_overrides(rest)


SETTINGS["shopify"] = _shopify_settings


def check_started(scenario: Scenario) -> list[str]:
    """What the processes would refuse at start-up: each mock's settings (as the orchestrator
    builds them) and the engine's timings. Each problem is ``field: reason``."""
    problems = []
    for service, platform in scenario.mocks.items():
        settings = {**default_settings(platform, scenario), **scenario.settings_for(service)}
        try:
            SETTINGS[platform](settings)
        except (ValueError, TypeError) as exc:
            problems.append(f"platforms.{service}: {exc}")
    try:
        Timing(**scenario.engine.timing)
    except ValidationError as exc:
        problems.extend(
            f"engine.timing.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
    return problems


def _validate(raw: Any, name: str) -> tuple[Scenario | None, list[str]]:
    """The variant as a ``Scenario`` named ``name``, or the problems (``field: reason``)."""
    data = {**raw, "name": name}
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        return None, [
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in exc.errors()
        ]
    return scenario, check_started(scenario)


def variant_name(base: str, values: list[tuple[Param, Any]]) -> str:
    """``flash-sale-smoke--buffer-5--erp.concurrency-15``: labels the run's results folder."""
    labels = [f"{UNSAFE.sub('_', p.name)}-{label_value(v)}" for p, v in values]
    return "--".join([base, *labels])


def build_grid(raw: dict[str, Any], base: Scenario, params: list[Param]) -> list[Point]:
    """Every combination (the first parameter varies slowest), each validated. A value that is
    bad on its own is reported against that parameter and value; a combination that is bad
    only together is reported with all its values. Raises ``SweepError`` listing every
    problem, before anything runs."""
    defaults = base.model_dump(mode="json")
    if any(p.name == PEAK for p in params) and "arrival_curve" not in raw:
        # A ``traffic:`` block is scaled as the curve it compiles to.
        raw = {k: v for k, v in raw.items() if k != "traffic"}
        raw["arrival_curve"] = [[t, rate] for t, rate in base.curve()]
    problems: list[str] = []
    for param in params:
        for value in param.values:
            where = f"--param {param.name}={label_value(value)}"
            try:
                variant = apply(raw, defaults, [(param, value)])
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            _, found = _validate(variant, base.name)
            problems.extend(f"{where}: {p}" for p in found)
    if problems:
        raise SweepError("\n".join(problems))
    points = []
    for combo in itertools.product(*(p.values for p in params)):
        values = list(zip(params, combo, strict=True))
        name = variant_name(base.name, values)
        scenario, found = _validate(apply(raw, defaults, values), name)
        if scenario is None or found:
            together = " ".join(f"{p.name}={label_value(v)}" for p, v in values)
            problems.extend(f"--param {together}: {p}" for p in found)
            continue
        points.append(Point(values=tuple((p.name, v) for p, v in values), scenario=scenario))
    if problems:
        raise SweepError("\n".join(problems))
    return points

"""Load a scenario file, or say exactly what is wrong with it: file, field, why."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from scenarios.schema import Scenario

LIBRARY = Path(__file__).resolve().parent


class ScenarioError(Exception):
    """A scenario file that cannot be run; ``str()`` is the message for the user."""


def resolve(name_or_path: str) -> Path:
    """A path, or the name of a scenario in the library (``flash-sale``)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    for candidate in (LIBRARY / name_or_path, LIBRARY / f"{name_or_path}.yaml"):
        if candidate.exists():
            return candidate
    raise ScenarioError(f"{name_or_path}: no such file, and no scenario of that name in {LIBRARY}")


def load(name_or_path: str) -> Scenario:
    path = resolve(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(f"{path}{where}: YAML syntax error: {problem}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a mapping of fields, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"]) or "(top level)"
            problems.append(f"{path}: {field}: {err['msg']}")
        raise ScenarioError("\n".join(problems)) from exc

"""``rehearsal schema``: the JSON Schema of scenario files, for editors.

Generated from the pydantic models (``Scenario.model_json_schema``), titles and descriptions
from the fields' docstrings. The library ships it as ``scenarios/scenario.schema.json``; a YAML
file opts in with ``# yaml-language-server: $schema=scenario.schema.json`` as its first line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from scenarios.schema import Scenario

SCHEMA_ID = "https://rehearsal.local/scenario.schema.json"
LIBRARY_SCHEMA = Path(__file__).resolve().parent / "scenario.schema.json"


def scenario_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, as it is read (validation mode)."""
    schema = Scenario.model_json_schema(mode="validation")
    # What the models accept beyond their plain shape: duration defaults to the curve's end,
    # and ``back_office: fulfil`` is short for ``{platform: fulfil}``.
    schema["required"] = [name for name in schema.get("required", []) if name != "duration"]
    office = schema["properties"]["back_office"]
    schema["properties"]["back_office"] = {
        "anyOf": [{"$ref": office.pop("$ref")}, {"enum": ["erp", "fulfil"], "type": "string"}],
        **office,
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def render() -> str:
    """The schema as the committed file holds it (sorted keys, two-space indent, newline)."""
    return json.dumps(scenario_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("schema", help="write the JSON Schema of scenario files (for editors)")
    p.add_argument("--out", type=Path, help="write it here (default: standard output)")
    p.set_defaults(func=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    text = render()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        args.out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"rehearsal schema: {args.out}: cannot write: {exc}", file=sys.stderr)
        return 2
    print(f"JSON Schema written to {args.out}")
    return 0

"""``rehearsal schema``: the JSON Schema editors use, and the committed copy of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.schema_export import LIBRARY_SCHEMA, render, scenario_schema


def test_the_committed_schema_is_up_to_date() -> None:
    assert LIBRARY_SCHEMA.read_text(encoding="utf-8") == render(), (
        "stale: run rehearsal schema --out scenarios/scenario.schema.json"
    )


def test_the_cli_writes_the_schema_to_a_file_or_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "scenario.schema.json"
    assert main(["schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == scenario_schema()
    capsys.readouterr()
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == scenario_schema()


def test_a_folder_that_cannot_be_written_is_exit_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "missing" / "s.json"
    assert main(["schema", "--out", str(out)]) == 2
    assert str(out) in capsys.readouterr().err


def test_the_schema_describes_the_new_blocks_from_their_docstrings() -> None:
    schema = scenario_schema()
    props, defs = schema["properties"], schema["$defs"]
    assert schema["required"] == ["name"]  # duration defaults to the curve's end
    assert {"traffic", "shoppers", "arrival_curve", "slo"} <= set(props)
    assert "from" in defs["Stage"]["properties"] and "to" in defs["Stage"]["properties"]
    assert defs["Traffic"]["properties"]["profile"]["anyOf"][0]["const"] == "black-friday-day"
    guest = defs["Shoppers"]["properties"]["guest_share"]
    assert "returning customers" in guest["description"]
    assert "latency_p95_seconds" in defs["Slo"]["properties"]
    assert {"generator", "tax_classes", "bundles"} <= set(defs["Catalogue"]["properties"])
    assert {"type": "string", "enum": ["erp", "fulfil"]} in props["back_office"]["anyOf"]

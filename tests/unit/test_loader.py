from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.loader import ScenarioError, load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


HEAD = "name: x\nduration: 10\narrival_curve: "
OK = HEAD + "[[0, 1], [5, 2]]\n"


def test_library_scenario_loads() -> None:
    scenario = load("flash-sale")
    assert scenario.name == "flash-sale" and scenario.duration > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nduration: 10\narrival_curve: [[0, 1], [5, -1]]\n",
            "arrival_curve: Value error, point 1: rate -1.0 is negative",
        ),
        (
            "name: x\nduration: 10\narrival_curve: [[0, 1], [0, 2]]\n",
            "point 1: time 0.0 is not after 0.0",
        ),
        (
            OK + "colour: red\n",
            "colour: Extra inputs are not permitted",
        ),
        (
            "name: x\nduration: ten\narrival_curve: [[0, 1], [5, 2]]\n",
            "duration: Input should be a valid number",
        ),
        (
            OK + "catalogue: {skus: 3, hot: {count: 5}}\n",
            "hot.count (5) exceeds skus (3)",
        ),
        (
            OK + "platforms: {magento: {}}\n",
            "unknown platform(s) ['magento']",
        ),
        ("name: x\n  duration: [\n", ":2:11: YAML syntax error"),
        ("- just\n- a list\n", "a scenario is a mapping"),
    ],
)
def test_bad_files_name_the_file_field_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load(str(path))
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_cli_exits_2_on_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "name: x\nduration: -5\narrival_curve: [[0, 1], [5, 2]]\n")
    assert main(["validate", str(path)]) == 2
    assert "duration: Input should be greater than 0" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2

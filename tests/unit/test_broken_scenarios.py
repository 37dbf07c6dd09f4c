"""A corpus of broken scenario files (tests/data/broken_scenarios/): wrong types, unknown keys,
impossible values, YAML syntax errors. ``rehearsal validate`` and ``rehearsal run`` refuse each
with exit code 2 and a message naming the file, the path in it and the reason. Each file's
first line says what its message must contain: ``# expect: <path>: <reason>``."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.cli import EXIT_BAD_INPUT, main

CORPUS = Path(__file__).resolve().parents[1] / "data" / "broken_scenarios"
FILES = sorted(CORPUS.glob("*.yaml"))


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    return first.removeprefix("# expect: ")


def test_the_corpus_covers_every_kind_of_breakage() -> None:
    names = {p.stem for p in FILES}
    assert len(names) >= 15
    for kind in ("wrong-type", "unknown", "yaml-", "not-a-mapping", "negative", "range"):
        assert any(kind in name for name in names), kind


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_a_broken_file_is_refused_with_file_path_and_reason(
    path: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([command, str(path)])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT, err
    assert f"{path}" in err, err
    assert expectation(path) in err, err
    assert "Traceback" not in err

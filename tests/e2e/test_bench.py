"""``rehearsal bench --quick --only a`` as a subprocess: it runs and writes its ratios."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_bench_quick_writes_the_three_ratios_for_both_clients(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", "bench", "--quick", "--only", "a",
         "--results", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (out,) = (tmp_path / "bench").iterdir()
    results = json.loads((out / "bench.json").read_text())
    assert set(results) == {"a"}
    for client in ("ours", "naive"):
        entry = results["a"][client]
        for ratio in ("utilisation", "throttled_share", "drain_ratio"):
            assert isinstance(entry[ratio], float)
        assert entry["useful_calls"] == 120
    # The naive client is throttled (Shopify's bucket is real); ours paces under it.
    assert results["a"]["naive"]["throttled"] > 0
    assert results["a"]["ours"]["throttled"] == 0
    assert (out / "bench.csv").read_text().count("\n") == 3
    assert "(a) Shopify REST" in done.stdout

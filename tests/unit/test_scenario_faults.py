"""A scenario's ``faults:`` timeline: validated at load, turned into one plan per platform, and
PUT to each mock's ``/_mock/faults`` by the orchestrator right before the load starts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from scenarios.loader import ScenarioError, load
from scenarios.orchestrator import Rehearsal, RunOptions
from scenarios.processes import ProcessFailed, Service
from scenarios.schema import Scenario

BASE: dict[str, Any] = {"name": "x", "duration": 600, "arrival_curve": [[0, 1], [600, 1]]}


def scenario(*faults: dict[str, Any]) -> Scenario:
    return Scenario.model_validate({**BASE, "faults": list(faults)})


def test_faults_become_one_plan_per_platform_timed_from_the_load_start() -> None:
    sc = scenario(
        {"platform": "shopify", "at": 120, "duration": 600, "kind": "admin_down"},
        {"platform": "erp", "at": 30, "duration": 60, "kind": "latency", "seconds": 4},
        {"platform": "shopify", "at": 0, "kind": "webhook", "duplicate_rate": 0.2},
        {"platform": "erp", "at": 300, "kind": "error", "statuses": [503, 504]},
    )
    assert sc.fault_plans() == {
        "shopify": [
            {"kind": "admin_down", "start": 120, "end": 720},
            {"kind": "webhook", "start": 0, "duplicate_rate": 0.2},
        ],
        "erp": [
            {"kind": "latency", "start": 30, "end": 90, "seconds": 4},
            {"kind": "error", "start": 300, "statuses": [503, 504]},
        ],
    }


def test_a_scenario_without_faults_installs_nothing() -> None:
    assert Scenario.model_validate(BASE).fault_plans() == {}


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (
            {"platform": "magento", "at": 0, "kind": "reset"},
            "faults.0.platform: Value error, unknown platform 'magento'",
        ),
        (
            {"platform": "shopline", "at": 0, "kind": "reset"},
            "faults.0.platform: Value error, 'shopline' is not started by this scenario",
        ),
        (
            {"platform": "erp", "at": 0, "kind": "error", "statuses": [200]},
            "faults.0: Value error, statuses[0]: Input should be greater than or equal to 400",
        ),
        (
            {"platform": "erp", "at": 0, "kind": "quake"},
            "faults.0: Value error, kind: Input tag 'quake'",
        ),
        (
            {"platform": "erp", "at": 0, "kind": "reset", "end": 9},
            "faults.0: Value error, end: use at and duration in a scenario",
        ),
        ({"platform": "erp", "at": -1, "kind": "reset"}, "faults.0.at: Input should be greater"),
        (
            {"platform": "erp", "at": 0, "duration": 0, "kind": "reset"},
            "faults.0.duration: Input should be greater than 0",
        ),
    ],
)
def test_bad_faults_name_the_path_in_the_scenario_file(
    tmp_path: Path, fault: dict[str, Any], expected: str
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps({**BASE, "faults": [fault]}))  # JSON is YAML
    with pytest.raises(ScenarioError) as info:
        load(str(path))
    assert expected in str(info.value)


def test_the_orchestrator_puts_each_plan_to_its_mock(tmp_path: Path) -> None:
    sent: list[tuple[str, str, Any]] = []

    def mock(request: httpx.Request) -> httpx.Response:
        sent.append((request.method, str(request.url), json.loads(request.content)))
        if request.url.host == "erp.test":
            return httpx.Response(404, json={"detail": "Not Found"})
        return httpx.Response(200, json={})

    sc = scenario(
        {"platform": "shopify", "at": 60, "duration": 60, "kind": "outage"},
        {"platform": "erp", "at": 0, "kind": "reset", "probability": 0.1},
    )
    rehearsal = Rehearsal(sc, RunOptions(results_root=tmp_path, echo=lambda *_: None))
    try:
        rehearsal.http = httpx.Client(transport=httpx.MockTransport(mock))
        rehearsal.services = {  # started mocks, as far as the fault plans need them
            name: Service(name=name, argv=[], log_path=tmp_path / name, url=f"http://{name}.test")
            for name in ("shopify", "erp")
        }
        with pytest.raises(ProcessFailed, match=r"erp mock refused its fault plan \(404\)"):
            # The load starts 15 simulated seconds after the plans are installed: every
            # window moves by as much, so it still counts from the start of the load.
            rehearsal._install_faults(15.0)
    finally:
        shutil.rmtree(rehearsal.private, ignore_errors=True)
    assert sent == [
        (
            "PUT",
            "http://shopify.test/_mock/faults",
            {"rules": [{"kind": "outage", "start": 75.0, "end": 135.0}]},
        ),
        (
            "PUT",
            "http://erp.test/_mock/faults",
            {"rules": [{"kind": "reset", "start": 15.0, "probability": 0.1}]},
        ),
    ]

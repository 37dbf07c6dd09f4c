"""Stock drift while a run is on: the verdict's own definition, applied to a mid-run reading.

Every ``PROBE_EVERY_WALL`` wall seconds the orchestrator reads every mock's ``/_mock/state``
and asks :func:`scenarios.invariants.check_channels` how far each channel's shown stock is
from the back office's available-to-sell (less buffer and the units of orders still on their
way). Mid-run, drift is the engine's propagation lag made visible; after drain it must be
zero. The figures land in ``timeseries.csv`` (``stock_drift_units``, ``oversold_so_far``)
and the report's drift-over-time plot.
"""

from __future__ import annotations

from typing import Any

from scenarios.invariants import check_channels
from scenarios.invariants_channels import read_back_office, read_channel
from scenarios.run_config import Started
from scenarios.schema import Scenario

PROBE_EVERY_WALL = 10.0
"""Wall seconds between two probes: a state read is heavier than a stats read."""


def probe(
    scenario: Scenario, started: Started, states: dict[str, dict[str, Any]]
) -> dict[str, int]:
    """Drift and oversold units of the mocks' states ``states`` (by service name)."""
    findings = check_channels(
        [read_channel(c.name, c.platform, states[c.name]) for c in scenario.channels],
        read_back_office(scenario.back_office.platform, states[scenario.back_office.platform]),
        buffers={c.name: scenario.stock_buffer(c) for c in scenario.channels},
        location_maps={c.name: started.location_map(c.name) for c in scenario.channels},
    )
    return {
        "stock_drift_units": findings.stock_drift_units,
        "oversold_so_far": findings.oversold_units,
    }

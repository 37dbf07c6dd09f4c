"""Hypothesis profiles for the property tests, chosen by ``HYPOTHESIS_PROFILE``.

- ``ci`` (default): bounded, for every CI run (``tests/properties/test_system_machine.py``
  takes about 20 s on 2 cores; the budget is 45 s);
- ``long``: 1,000+ examples, one command away:
  ``HYPOTHESIS_PROFILE=long python -m pytest tests/properties/test_system_machine.py``, or
  ``python -m tests.properties.bench_machine`` for the figures and a kept failure database;
- ``dev``: a handful of examples while editing a rule.

Tests that pin their own ``@settings`` keep them; the profile fills in what they leave out.
``deadline=None``: steps run a whole in-process system, and a wall-clock deadline would turn
CPU contention into failures. ``too_slow`` and ``filter_too_much`` are suppressed for the same
reason (data generation is cheap; each step is slow by design).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile("ci", COMMON, max_examples=60, stateful_step_count=30)
settings.register_profile("long", COMMON, max_examples=1000, stateful_step_count=40)
settings.register_profile("dev", COMMON, max_examples=10, stateful_step_count=20)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

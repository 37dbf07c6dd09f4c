"""How fast the whole-system state machine runs: examples per second on this machine.

    python -m tests.properties.bench_machine --examples 1000 [--steps 40] [--seed N]
        [--database DIR]

Runs :class:`tests.properties.test_system_machine.SystemMachine` for ``--examples`` examples
(Hypothesis stops earlier only if it has explored everything, or on a falsifying example),
counting machines built and rule steps taken, and prints examples/s, steps/s and the load
average it ran under. Falsifying examples are kept in ``--database`` (a directory, printed at
the start and the end); running the same command again replays them first. ``--seed`` fixes
Hypothesis's random choices (without it every run explores afresh). It is a benchmark, not a
test: it never fails on timing (a falsifying example still raises, after the figures).
"""

from __future__ import annotations

import argparse
import os
import time

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase
from hypothesis.stateful import run_state_machine_as_test

from tests.properties import test_system_machine as machine

DEFAULT_DATABASE = "/tmp/rehearsal-machine-examples"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=40, help="stateful_step_count")
    parser.add_argument("--seed", type=int, default=None, help="Hypothesis seed")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="failures kept here")
    args = parser.parse_args(argv)
    counted = {"examples": 0, "steps": 0}

    class Counted(machine.SystemMachine):
        def __init__(self) -> None:
            super().__init__()
            counted["examples"] += 1

        def check_invariants(self, *a: object, **kw: object) -> None:
            counted["steps"] += 1
            super().check_invariants(*a, **kw)  # type: ignore[arg-type]

    # The database key of run_state_machine_as_test(SystemMachine): its failures replay here.
    Counted.__qualname__ = machine.SystemMachine.__qualname__
    Counted.__module__ = machine.SystemMachine.__module__
    if args.seed is not None:
        Counted._hypothesis_internal_use_seed = args.seed
    budget = settings(
        max_examples=args.examples,
        stateful_step_count=args.steps,
        deadline=None,
        database=DirectoryBasedExampleDatabase(args.database),
        derandomize=False,
        suppress_health_check=list(HealthCheck),
    )
    print(f"failures are kept in {args.database}")
    load_before = os.getloadavg()[0]
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        run_state_machine_as_test(Counted, settings=budget)
    finally:
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        n, steps = counted["examples"], counted["steps"]
        print(
            f"{n} examples, {steps} steps in {wall:.1f} s: {n / wall:.2f} examples/s, "
            f"{steps / wall:.0f} steps/s ({n / cpu:.2f} examples per CPU second; load "
            f"average {load_before:.2f} → {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs); "
            f"failures kept in {args.database}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

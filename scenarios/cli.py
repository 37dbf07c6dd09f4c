"""The ``rehearsal`` command. Exit codes: 0 pass, 1 failed verdict, 2 bad input."""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path

import httpx

from scenarios import catalogue, compare, exceptions_cli, reconcile_cli, sweep
from scenarios.connector_pins import PinError, apply_pins
from scenarios.loader import ScenarioError, load
from scenarios.platforms import BACK_OFFICES, CHANNELS, credentials_for
from scenarios.processes import (
    ProcessFailed,
    Service,
    free_port,
    mock_service,
    wait_ready,
)
from scenarios.run_config import mock_config
from simclock import ScaledClock

EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2
DEFAULT_SCENARIO = "flash-sale"


def _positive(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from scenarios.orchestrator import RunOptions, run
    from scenarios.report import table

    scenario = load(args.scenario)
    try:
        scenario = apply_pins(scenario, list(args.connector))
    except PinError as exc:
        print(f"rehearsal: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"rehearsal: {scenario.name} (seed {scenario.seed}, time_scale {scenario.time_scale:g})")
    result = run(
        scenario,
        RunOptions(
            results_root=args.results,
            kill_engine_at=list(args.kill_engine_at),
            kill_engine_random=args.kill_engine_random,
            workers=args.workers,
            ui=args.ui,
        ),
    )
    print(table(result.summary))
    print(f"  results: {result.results_dir}/summary.json")
    return EXIT_PASS if result.passed else EXIT_FAIL


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load(args.scenario)
    print(f"{args.scenario}: ok ({scenario.name}, {scenario.duration:g} sim s)")
    return EXIT_PASS


def _interrupt(signum: int, frame: object) -> None:
    """Treat SIGTERM like Ctrl-C, so the mocks are stopped either way."""
    raise KeyboardInterrupt


API_ROOTS = {
    "shopify": ("admin_api", "/admin/api/2026-01/"),
    "shopline": ("admin_api", "/admin/openapi/v20250301/"),
    "shopware": ("admin_api", "/api/"),
    "erp": ("record_api", "/services/rest/record/v1/"),
    "fulfil": ("api", "/api/v2/"),
}
"""Where each platform's API lives under its mock's base URL (written to ``--out``)."""


def cmd_mocks(args: argparse.Namespace) -> int:
    """Start a scenario's mocks alone (every channel and the back office, or those named),
    seeded with its catalogue, until interrupted."""
    scenario = load(args.scenario)
    platform_of = scenario.mocks
    services = args.platform or list(platform_of)
    unknown = [s for s in services if s not in platform_of]
    if unknown:
        raise ScenarioError(
            f"{', '.join(unknown)}: not started by {scenario.name} "
            f"(its mocks: {', '.join(platform_of)})"
        )
    clock = ScaledClock(time_scale=args.time_scale)
    started: dict[str, Service] = {}
    credentials: dict[str, dict[str, str]] = {}
    # Process configs hold the credentials: a private temp dir, removed on exit.
    config_dir = Path(tempfile.mkdtemp(prefix="rehearsal-mocks-"))
    log_dir = args.out.resolve().parent
    products = catalogue.products(scenario)
    channels = {c.name: c for c in scenario.channels}
    try:
        for service in services:
            credentials[service] = credentials_for(platform_of[service])
            config = config_dir / f"{service}.json"
            config.write_text(
                json.dumps(
                    mock_config(
                        scenario, service, clock=clock.to_dict(), credentials=credentials[service]
                    )
                )
            )
            mock = mock_service(
                service=service,
                platform=platform_of[service],
                port=free_port(),
                config=config,
                log_path=log_dir / f".rehearsal-{service}.log",
            )
            mock.start()
            started[service] = mock
        for service, mock in started.items():
            wait_ready(mock, "/_mock/stats", clock)
            platform = platform_of[service]
            if service in channels:
                seed = CHANNELS[platform].seed(
                    products, scenario=scenario, channel=channels[service], webhook_url=None
                )
            else:
                seed = BACK_OFFICES[platform].seed(products, scenario=scenario)
            httpx.post(f"{mock.url}/_mock/seed", json=seed, timeout=30).raise_for_status()
        info = {}
        for service, mock in started.items():
            platform = platform_of[service]
            key, root = API_ROOTS[platform]
            info[service] = {
                "platform": platform,
                "base_url": mock.url,
                **credentials[service],
                key: f"{mock.url}{root}",
            }
        args.out.write_text(json.dumps(info, indent=2))
        args.out.chmod(0o600)
        print(f"mocks running: {', '.join(f'{p} {s.url}' for p, s in started.items())}")
        print(f"base URLs and credentials written to {args.out}; Ctrl-C to stop")
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while all(s.alive() for s in started.values()):
                clock.sleep_blocking(clock.time_scale)
        except KeyboardInterrupt:
            pass
        return EXIT_PASS
    finally:
        for mock in started.values():
            mock.stop()
        shutil.rmtree(config_dir, ignore_errors=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rehearsal", description="Flash-sale rehearsal harness.")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run a scenario end to end and judge it")
    run.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help="scenario file or library name (default: flash-sale)",
    )
    run.add_argument(
        "--results",
        type=Path,
        default=Path("results"),
        help="folder for run outputs (default: results/)",
    )
    run.add_argument(
        "--kill-engine-at",
        type=_positive,
        action="append",
        default=[],
        metavar="SECONDS",
        help="SIGKILL and restart the engine this many simulated seconds after "
        "the load starts (repeatable)",
    )
    run.add_argument(
        "--kill-engine-random",
        type=int,
        default=0,
        metavar="N",
        help="also SIGKILL and restart the engine N times at seeded random points of the load",
    )
    run.add_argument(
        "--connector",
        action="append",
        default=[],
        metavar="CHANNEL=FAMILY[@VERSION]",
        help="pin a channel to another connector for this run, e.g. "
        "shopify=shopify-graphql@2026-04 (repeatable); the results folder is labelled with it",
    )
    run.add_argument(
        "--workers",
        type=int,
        choices=range(0, 65),
        default=0,
        metavar="N",
        help="run Locust as a master and N worker processes on 127.0.0.1, sharing the plan "
        "(0-64; default 0: one Locust process)",
    )
    run.add_argument(
        "--ui",
        action="store_true",
        help="open Locust's web UI on 127.0.0.1 (URL printed) instead of running headless; "
        "the load still starts and ends by itself",
    )
    run.set_defaults(func=cmd_run)

    validate = sub.add_parser("validate", help="check a scenario file without running it")
    validate.add_argument("scenario")
    validate.set_defaults(func=cmd_validate)

    exceptions_cli.add_parser(sub)
    reconcile_cli.add_parser(sub)
    compare.add_parser(sub)
    sweep.add_parser(sub)

    mocks = sub.add_parser("mocks", help="start mock platforms alone until interrupted")
    mocks.add_argument(
        "--platform",
        action="append",
        metavar="NAME",
        help="a channel name or the back office to start (repeatable; default: every mock "
        "of the scenario)",
    )
    mocks.add_argument(
        "--out", type=Path, required=True, help="write base URLs and credentials as JSON here"
    )
    mocks.add_argument(
        "--scenario", default=DEFAULT_SCENARIO, help="seed the mocks with this scenario's catalogue"
    )
    mocks.add_argument("--time-scale", type=float, default=1.0)
    mocks.set_defaults(func=cmd_mocks)

    from scenarios.schema_export import add_parser as add_schema_parser

    add_schema_parser(sub)

    from scenarios.bench import add_parser as add_bench_parser

    add_bench_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ScenarioError as exc:
        print(f"rehearsal: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ProcessFailed as exc:
        print(f"rehearsal: a process of the run failed: {exc}", file=sys.stderr)
        return EXIT_FAIL
    return code


if __name__ == "__main__":
    sys.exit(main())

"""The Locust process(es) of a run, and the load report they leave behind.

Three shapes, all bound to 127.0.0.1:

- one headless process (the default);
- ``workers=N``: a headless ``--master`` (it runs the load shape and writes Locust's CSVs)
  and N ``--worker`` processes, each firing its share of the plan and writing its own report
  (``load_report-worker<i>.json``) and raw timings (``requests-worker<i>.csv``);
- ``ui=True``: Locust's web UI on ``127.0.0.1:<port>`` instead of headless, ``--autostart``
  so the open-model plan still runs on schedule and ``--autoquit`` so the process exits
  `AUTOQUIT_S` seconds after the shape stops (combines with ``workers``).

`LoadGroup` is a `Service` to the orchestrator: it is alive while the leader (the single
process or the master) is; when the leader has exited it waits for the workers, merges their
reports into ``load_report.json`` and adds ``latency_ms``, exact percentiles from every
process's raw timings (`scenarios.request_timings`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtests.arrivals import lag_summary
from scenarios import request_timings
from scenarios.processes import ProcessFailed, Service, free_port, python_module

LOAD_ENV = "REHEARSAL_LOAD"
"""The variable naming the load config (``loadtests.locustfile.LOAD_ENV``; that module is not
imported here: importing locust patches the standard library for gevent)."""

AUTOQUIT_S = 5
"""With the web UI: seconds the final figures stay on screen after the shape stops."""

EXPECT_WORKERS_MAX_WAIT_S = 60
"""The master gives up (exit 1) if its workers have not all connected by then."""

WORKER_EXIT_WAIT_S = 15.0
"""How long workers get to write their reports and exit after the master has quit."""

REPORT_NAME = "load_report.json"
"""The (merged) load report in the run folder, as ``scenarios.report`` reads it."""

_SUMMED = (
    "scheduled_checkouts",
    "fired_checkouts",
    "scheduled_movements",
    "fired_movements",
    "in_flight_at_stop",
)


def leader_argv(
    locustfile: Path,
    *,
    host: str,
    csv_prefix: Path,
    workers: int = 0,
    master_port: int | None = None,
    web_port: int | None = None,
) -> list[str]:
    """The single process's or the master's command line (``web_port``: the web UI's)."""
    argv = python_module("locust", "-f", str(locustfile), "--host", host)
    argv += ["--csv", str(csv_prefix), "--exit-code-on-error", "0"]
    if web_port is None:
        argv += ["--headless", "--only-summary"]
    else:
        argv += ["--web-host", "127.0.0.1", "--web-port", str(web_port)]
        argv += ["--autostart", "--autoquit", str(AUTOQUIT_S)]
    if workers:
        if master_port is None:
            raise ValueError("a master needs master_port")
        argv += ["--master", "--master-bind-host", "127.0.0.1"]
        argv += ["--master-bind-port", str(master_port), "--expect-workers", str(workers)]
        argv += ["--expect-workers-max-wait", str(EXPECT_WORKERS_MAX_WAIT_S)]
    return argv


def worker_argv(locustfile: Path, *, master_host: str, master_port: int) -> list[str]:
    """A worker's command line: it takes its users and its share from the master."""
    return python_module(
        "locust",
        "-f",
        str(locustfile),
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
    )


@dataclass(kw_only=True)
class LoadGroup(Service):
    """The leader process (``argv``, ``popen``, ``log_path``: the single process or the master)
    plus its workers, started, watched and stopped as one."""

    workers: list[Service] = field(default_factory=list)
    results: Path
    web_url: str | None = None
    finished: bool = False

    def start(self) -> None:
        super().start()
        for worker in self.workers:
            worker.start()

    def alive(self) -> bool:
        """True while the leader runs; the first time it is not, the workers are waited for
        and the reports merged (`finish`) before answering.

        Raises `ProcessFailed` if a worker fails (exits non-zero) while the leader runs: its
        share of the plan would go unfired. Workers told to quit exit 0, a moment before the
        master does."""
        if self.leader().alive():
            for worker in self.workers:
                if worker.popen is not None and worker.popen.poll() not in (None, 0):
                    raise ProcessFailed(_exited(worker, "while the load ran"))
            return True
        self.finish()
        return False

    def finish(self) -> None:
        """Once: wait for the workers, then write the merged report with ``latency_ms``.

        Raises `ProcessFailed` (after writing the report) if the leader succeeded but a worker
        did not exit cleanly; a failed leader is left for the caller to report."""
        if self.finished:
            return
        self.finished = True
        for worker in self.workers:
            if worker.popen is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    worker.popen.wait(timeout=WORKER_EXIT_WAIT_S)
            worker.stop()
        finalise_report(self.results, workers=len(self.workers))
        if self.popen is not None and self.popen.returncode == 0:
            for worker in self.workers:
                if worker.popen is not None and worker.popen.returncode != 0:
                    raise ProcessFailed(_exited(worker, "after the master quit"))

    def leader(self) -> Service:
        """The leader process alone, as a plain `Service` (its ``alive`` has no side effects)."""
        return Service(name=self.name, argv=self.argv, log_path=self.log_path, popen=self.popen)

    def stop(self, timeout: float = 10.0) -> None:
        self.leader().stop(timeout)
        for worker in self.workers:
            worker.stop(timeout)

    def kill(self) -> None:
        self.leader().kill()
        for worker in self.workers:
            worker.kill()


def _exited(worker: Service, when: str) -> str:
    code = worker.popen.returncode if worker.popen is not None else None
    return f"{worker.name} exited with {code} {when}; log {worker.log_path}:\n{worker.log_tail()}"


def build(
    *,
    locustfile: Path,
    config: Path,
    host: str,
    results: Path,
    workers: int = 0,
    ui: bool = False,
) -> LoadGroup:
    """The run's Locust process(es), not yet started: logs ``locust.log`` (leader) and
    ``locust-worker<k>.log`` (k: launch order, not necessarily Locust's worker index)."""
    if workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    env = {LOAD_ENV: str(config)}
    master_port = free_port() if workers else None
    web_port = free_port() if ui else None
    group = LoadGroup(
        name="locust master" if workers else "locust",
        argv=leader_argv(
            locustfile,
            host=host,
            csv_prefix=results / "locust",
            workers=workers,
            master_port=master_port,
            web_port=web_port,
        ),
        log_path=results / "locust.log",
        env=env,
        results=results,
        web_url=None if web_port is None else f"http://127.0.0.1:{web_port}",
    )
    for k in range(workers):
        assert master_port is not None
        group.workers.append(
            Service(
                name=f"locust worker {k}",
                argv=worker_argv(locustfile, master_host="127.0.0.1", master_port=master_port),
                log_path=results / f"locust-worker{k}.log",
                env=env,
            )
        )
    return group


def _sum_counts(into: dict[str, Counter[str]], counts: Mapping[str, Mapping[str, int]]) -> None:
    for key, by_status in counts.items():
        into.setdefault(key, Counter()).update({s: int(n) for s, n in by_status.items()})


def merge_reports(
    reports: Sequence[Mapping[str, Any]], lags: Sequence[float], *, workers: int
) -> dict[str, Any]:
    """One report from the workers' reports: counts summed, lags recomputed from the raw
    ``lags`` of every process (a percentile of percentiles would be wrong), ``drained`` only
    if every expected worker reported and was drained, and the per-worker counts kept."""
    merged: dict[str, Any] = {key: sum(int(r.get(key) or 0) for r in reports) for key in _SUMMED}
    merged.update(lag_summary(lags))
    status: dict[str, Counter[str]] = {}
    channels: dict[str, dict[str, Any]] = {}
    channel_status: dict[str, Counter[str]] = {}
    for report in reports:
        _sum_counts(status, report.get("status_counts") or {})
        for name, channel in (report.get("channels") or {}).items():
            merged_channel = channels.setdefault(
                name, {"platform": channel.get("platform"), "fired_checkouts": 0}
            )
            merged_channel["fired_checkouts"] += int(channel.get("fired_checkouts") or 0)
            _sum_counts(channel_status, {name: channel.get("status_counts") or {}})
    merged["status_counts"] = {kind: dict(counts) for kind, counts in status.items()}
    merged["channels"] = {
        name: {**channel, "status_counts": dict(channel_status.get(name, {}))}
        for name, channel in channels.items()
    }
    first = reports[0] if reports else {}
    walls = [float(r["wall_s"]) for r in reports if r.get("wall_s") is not None]
    merged.update(
        drained=len(reports) == workers and all(r.get("drained") for r in reports),
        time_scale=first.get("time_scale"),
        duration_sim_s=first.get("duration_sim_s"),
        wall_s=max(walls) if walls else None,
        workers=workers,
        by_worker=[
            {
                "worker_index": r.get("worker_index"),
                **{key: r.get(key) for key in _SUMMED},
                "drained": r.get("drained"),
            }
            for r in reports
        ],
    )
    return merged


def _read(path: Path) -> dict[str, Any] | None:
    with contextlib.suppress(OSError, ValueError):
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    return None


def worker_reports(results: Path) -> list[dict[str, Any]]:
    """Every ``load_report-worker<i>.json`` in the run folder, by worker index."""
    reports = [_read(path) for path in results.glob("load_report-worker*.json")]
    found = [r for r in reports if r is not None]
    return sorted(found, key=lambda r: int(r.get("worker_index") or 0))


def finalise_report(results: Path, *, workers: int) -> dict[str, Any] | None:
    """Write ``load_report.json`` (merged from the workers' reports when ``workers``) with
    ``latency_ms`` added; None, and nothing written, when no process left a report.

    A timing file that cannot be read (a process killed mid-row) is named in
    ``latency_error`` instead of failing the run."""
    path = results / REPORT_NAME
    try:
        timings = request_timings.read_folder(results)
        error = None
    except (OSError, ValueError) as exc:
        timings, error = [], str(exc)
    if workers:
        reports = worker_reports(results)
        if not reports:
            return None
        lags = [t.lag_s for t in timings if t.attempt == 1]
        report = merge_reports(reports, lags, workers=workers)
    else:
        single = _read(path)
        if single is None:
            return None
        report = single
    report["latency_ms"] = request_timings.by_name(timings)
    if error is not None:
        report["latency_error"] = error
    path.write_text(json.dumps(report, indent=2) + "\n")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m scenarios.load_process FOLDER --workers N``: merge the worker reports and
    timings gathered into FOLDER (a load run on several machines) into ``load_report.json``."""
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.load_process",
        description="merge Locust workers' load reports and raw timings in a folder",
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--workers", type=int, required=True, help="workers the run had (>= 1)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers: must be >= 1, got {args.workers}")
    report = finalise_report(args.folder, workers=args.workers)
    if report is None:
        print(f"{args.folder}: no load_report-worker*.json to merge", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

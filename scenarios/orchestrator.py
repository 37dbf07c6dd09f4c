"""Run a scenario: mocks, engine and Locust as processes; load; drain; check; results.

Sequence: start one mock per channel and one for the back office → seed them with the
scenario's catalogue (the same SKUs everywhere; the back office holds the stock, each channel
shows it minus its buffer) → start the engine and wait until it has subscribed to webhooks
(Shopify, SHOPLINE: its own API calls; Shopware: the app webhook seeded into the mock) and
read stock → install each mock's fault plan (the scenario's ``faults:``, timed from this
moment) → start Locust, shoppers picking a channel per arrival → sample ground truth every wall
second (and SIGKILL/restart the engine when asked) → after the load, wait for the back office
to hold every accepted order and the engine to go idle → read every mock's state → invariants.
Platform specifics live in ``platforms`` (seeds, credentials, engine settings, counters) and
``invariants_channels`` (state readers); the configs handed to processes in ``run_config``.
"""

from __future__ import annotations

import contextlib
import json
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

import loadtests
from scenarios import alert_sink, catalogue
from scenarios.drift_probe import PROBE_EVERY_WALL, probe
from scenarios.invariants import Findings, check_channels
from scenarios.invariants_channels import read_back_office, read_channel
from scenarios.invariants_staff import CHECKED_JOB_FLOWS
from scenarios.platforms import BACK_OFFICES, CHANNELS, credentials_for
from scenarios.processes import (
    ProcessFailed,
    Service,
    free_port,
    mock_service,
    python_module,
    wait_ready,
)
from scenarios.progress import RunProgress
from scenarios.run_config import (
    Started,
    engine_config,
    load_config,
    mock_config,
    sample_row,
    webhook_base,
)
from scenarios.schema import Scenario
from simclock import ScaledClock
from sync_engine.config import Timing

LOAD_START_MARGIN_WALL = 3.0
"""Wall seconds between launching Locust and the plan's second 0: Locust's start-up (imports,
workers connecting) happens before the load, so simulated second 0 of the plan, of the fault
windows and of the time series is one instant."""
SAMPLE_EVERY_SIM = 1.0
"""Ground truth is sampled once per simulated second ..."""
SAMPLE_MIN_WALL = 0.1
"""... but no more often than ten times a wall second (time_scale 10 keeps the 1-second grain;
a heavily compressed run, such as a 24-hour day at time_scale 240, samples every 24 simulated
seconds instead)."""


def sample_interval(time_scale: float) -> float:
    """Simulated seconds between two samples of a run at ``time_scale``."""
    return max(SAMPLE_EVERY_SIM, SAMPLE_MIN_WALL * time_scale)


@dataclass(kw_only=True)
class RunOptions:
    """How to run, beyond what the scenario says."""

    results_root: Path = Path("results")
    kill_engine_at: list[float] = field(default_factory=list)
    """Simulated seconds after the load starts at which to SIGKILL and restart the engine."""
    kill_engine_random: int = 0
    """SIGKILL the engine this many more times, at seeded random points during the load."""
    workers: int = 0
    """Locust worker processes under a master (0: one Locust process)."""
    ui: bool = False
    """Locust's web UI on 127.0.0.1 instead of headless (the plan still starts by itself)."""
    echo: Any = print
    interactive: bool | None = None
    """Progress bar and live line redrawn in place (default: when stdout is a terminal);
    otherwise a plain line every few seconds."""


@dataclass(kw_only=True)
class RunResult:
    summary: dict[str, Any]
    results_dir: Path
    passed: bool


class Rehearsal:
    """One run of one scenario."""

    def __init__(self, scenario: Scenario, options: RunOptions) -> None:
        self.scenario = scenario
        self.options = options
        self.clock = ScaledClock(time_scale=scenario.time_scale)
        stamp = datetime.fromtimestamp(self.clock.origin_wall, UTC).strftime("%Y%m%d-%H%M%S")
        self.results = options.results_root / f"{scenario.name}-{stamp}"
        self.results.mkdir(parents=True, exist_ok=True)
        # Credentials and process configs live outside results/: secrets never land there.
        self.private = Path(tempfile.mkdtemp(prefix="rehearsal-"))
        self.back_office = scenario.back_office.platform
        self.credentials: dict[str, dict[str, str]] = {
            service: credentials_for(platform) for service, platform in scenario.mocks.items()
        }
        self.services: dict[str, Service] = {}
        self.samples: list[dict[str, Any]] = []
        self._next_ship_at = 0.0
        self.kills: list[dict[str, float]] = []
        self._load_started = 0.0
        self._last_activity_t = 0.0
        """When (simulated s after the load started) orders last came in or reached the back
        office, as far as the samples saw."""
        self.http = httpx.Client(timeout=30.0)
        self.started: Started | None = None
        self._phase, self._phase_origin = "load", 0.0
        self._next_probe_at = 0.0
        self.progress = RunProgress(
            duration=scenario.duration,
            drain_timeout=scenario.drain_timeout,
            channels=[c.name for c in scenario.channels],
            back_office=self.back_office,
            echo=options.echo,
            interactive=options.interactive,
        )

    @property
    def mock_names(self) -> list[str]:
        """The started mocks: every channel by name, then the back office."""
        return list(self.scenario.mocks)

    # -- processes ---------------------------------------------------------------------------

    def _config_file(self, name: str, content: dict[str, Any]) -> Path:
        path = self.private / f"{name}.json"
        path.write_text(json.dumps(content))
        return path

    def _start_mock(self, service: str) -> Service:
        config = mock_config(
            self.scenario,
            service,
            clock=self.clock.to_dict(),
            credentials=self.credentials[service],
        )
        mock = mock_service(
            service=service,
            platform=self.scenario.mocks[service],
            port=free_port(),
            config=self._config_file(service, config),
            log_path=self.results / f"{service}.log",
        )
        mock.start()
        self.services[service] = mock
        return mock

    def _seed(self, service: str, payload: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(f"{self.services[service].url}/_mock/seed", json=payload)
        if response.status_code != 200:
            raise ProcessFailed(
                f"{service} mock refused its seed ({response.status_code}): {response.text}"
            )
        answer: dict[str, Any] = response.json()
        return answer

    def _seed_all(self, engine_port: int) -> Started:
        """The back office gets the stock; every channel the same catalogue minus its
        buffer, and (Shopware) the app webhook pointing at the engine's ingress."""
        sc = self.scenario
        office = BACK_OFFICES[self.back_office]
        answer = self._seed(self.back_office, office.seed(self.products, scenario=sc))
        locations = {}
        for channel in sc.channels:
            adapter = CHANNELS[channel.platform]
            payload = adapter.seed(
                self.products,
                scenario=sc,
                channel=channel,
                webhook_url=f"{webhook_base(engine_port)}/{channel.name}",
            )
            locations[channel.name] = adapter.location(self._seed(channel.name, payload))
        return Started(
            urls={name: str(self.services[name].url) for name in self.mock_names},
            credentials=self.credentials,
            back_office_location=office.location(answer),
            channel_locations=locations,
        )

    def _start_alert_sink(self) -> Service:
        """Where the engine's exception alerts go; what it receives lands in the results."""
        port = free_port()
        service = Service(
            name="alert sink",
            argv=python_module(
                "scenarios.alert_sink",
                "--port",
                str(port),
                "--out",
                str(self.results / "alerts.jsonl"),
            ),
            log_path=self.results / "alerts.log",
            url=f"http://127.0.0.1:{port}",
        )
        service.start()
        self.services["alerts"] = service
        wait_ready(service, "/health", self.clock)
        return service

    def _start_engine(self, started: Started, port: int) -> Service:
        config = self._config_file(
            "engine",
            engine_config(
                self.scenario,
                started,
                engine_port=port,
                db_path=str(self.private / "engine.sqlite"),
                alerts_url=f"{self.services['alerts'].url}/alerts",
                clock=self.clock.to_dict(),
            ),
        )
        service = Service(
            name="sync engine",
            argv=python_module("sync_engine.serve", "--port", str(port), "--config", str(config)),
            log_path=self.results / "engine.log",
            url=f"http://127.0.0.1:{port}",
        )
        service.start()
        self.services["engine"] = service
        wait_ready(service, "/health", self.clock, ready=lambda body: body.get("ready"))
        return service

    def _start_load(self, started: Started, start_at_wall: float) -> Service:
        load = load_config(
            self.scenario,
            started,
            products=self.products,
            report_path=str(self.results / "load_report.json"),
        )
        load["start_at_wall"] = start_at_wall
        if self.options.workers:
            load["workers"] = self.options.workers
        config = self.results / "load.json"
        config.write_text(json.dumps(load, indent=2))
        locustfile = Path(loadtests.__file__).resolve().parent / "locustfile.py"
        from scenarios import load_process

        service = load_process.build(
            locustfile=locustfile,
            config=config,
            host=load["shopify_url"],
            results=self.results,
            workers=self.options.workers,
            ui=self.options.ui,
        )
        service.start()
        if service.web_url:
            self.options.echo(f"  Locust web UI: {service.web_url}")
        self.services["locust"] = service
        return service

    def _install_faults(self, load_starts_in: float) -> None:
        """PUT each mock's fault plan; a mock counts its windows from the moment it is
        installed, so each window is moved by ``load_starts_in`` simulated seconds to count
        from the start of the load."""
        for service, planned in self.scenario.fault_plans().items():
            rules = [_shifted(rule, load_starts_in) for rule in planned]
            url = f"{self.services[service].url}/_mock/faults"
            response = self.http.put(url, json={"rules": rules})
            if response.status_code != 200:
                raise ProcessFailed(
                    f"{service} mock refused its fault plan "
                    f"({response.status_code}): {response.text}"
                )
            self.options.echo(f"  {service}: {len(rules)} fault rule(s) installed")

    # -- observation -------------------------------------------------------------------------

    def _maybe_ship(self) -> None:
        """The warehouse's pick, pack and ship round, when the scenario has one due."""
        office = self.scenario.back_office
        if office.ship_every is None or office.platform != "erp":
            return
        now = self.clock.now()
        if now < self._next_ship_at:
            return
        self._next_ship_at = now + office.ship_every
        response = self.http.post(
            f"{self.services['erp'].url}/_sim/ship",
            json={"min_age_seconds": office.ship_min_age},
        )
        response.raise_for_status()

    def _reconcile(self) -> dict[str, Any]:
        """One pass on the engine after drain (lag lets even the newest orders count); the
        whole report goes to ``reconciliation.json``, its totals to the summary."""
        response = self.http.post(f"{self.services['engine'].url}/reconcile", timeout=600)
        response.raise_for_status()
        report: dict[str, Any] = response.json()
        (self.results / "reconciliation.json").write_text(json.dumps(report, indent=2))
        return {k: report[k] for k in ("drift", "by_cause", "calls", "skipped")}

    def _get(self, service: str, path: str) -> dict[str, Any]:
        url = self.services[service].url
        response = self.http.get(f"{url}{path}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def _sample(self, load_started: float) -> dict[str, Any]:
        stats = {name: self._get(name, "/_mock/stats") for name in self.mock_names}
        engine: dict[str, Any] = {}
        if self.services["engine"].alive():
            with contextlib.suppress(httpx.HTTPError):
                engine = self._get("engine", "/status")
        row = sample_row(
            self.scenario,
            t=self.clock.now() - load_started,
            stats=stats,
            engine=engine,
            origin=load_started,
        )
        previous = self.samples[-1] if self.samples else None
        if previous is None or (row["accepted"], row["sales_orders"]) != (
            previous["accepted"],
            previous["sales_orders"],
        ):
            self._last_activity_t = row["t"]
        row.update(self._drift())
        self.samples.append(row)
        self.progress.update(self._phase, self.clock.now() - self._phase_origin, row)
        return row

    def _drift(self) -> dict[str, Any]:
        """Stock drift and oversold units so far, from the mocks' states when a probe is due
        (blank otherwise: a state read is heavier than a stats read)."""
        if self.started is None or self.clock.now() < self._next_probe_at:
            return {"stock_drift_units": None, "oversold_so_far": None}
        self._next_probe_at = self.clock.now() + self.clock.time_scale * PROBE_EVERY_WALL
        states = {name: self._get(name, "/_mock/state") for name in self.mock_names}
        return probe(self.scenario, self.started, states)

    def _random_kill_times(self) -> list[float]:
        """Seeded kill points spread over the load (5%–95% of it), reproducible per scenario."""
        rng = random.Random(f"{self.scenario.seed}:engine-kills")
        duration = self.scenario.duration
        return [rng.uniform(0.05, 0.95) * duration for _ in range(self.options.kill_engine_random)]

    def _maybe_kill(self, elapsed: float, pending_kills: list[float]) -> None:
        if pending_kills and elapsed >= pending_kills[0]:
            at = pending_kills.pop(0)
            engine = self.services["engine"]
            engine.kill()
            self.options.echo(f"  engine SIGKILLed at t={elapsed:.0f}s; restarting")
            engine.restarts += 1
            engine.start()
            wait_ready(engine, "/health", self.clock, ready=lambda body: body.get("ready"))
            self.kills.append(
                {
                    "asked_at": at,
                    "killed_at": round(elapsed, 2),
                    "back_at": round(self.clock.now() - self._load_started, 2),
                }
            )

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> RunResult:
        try:
            return self._run()
        finally:
            self.progress.close()
            for service in reversed(list(self.services.values())):
                service.stop()
            self.http.close()
            shutil.rmtree(self.private, ignore_errors=True)
            elapsed = self.clock.now() - self.clock.origin_sim
            self.options.echo(
                f"  {elapsed:.0f} simulated s in {elapsed / self.clock.time_scale:.0f} wall s"
            )

    def _run(self) -> RunResult:
        sc = self.scenario
        echo = self.options.echo
        self.products = catalogue.products(sc)
        for service in self.mock_names:
            self._start_mock(service)
        for service in self.mock_names:
            wait_ready(self.services[service], "/_mock/stats", self.clock)
        engine_port = free_port()
        started = self._seed_all(engine_port)
        self.started = started
        channels = ", ".join(f"{c.name} ({c.platform})" for c in sc.channels)
        echo(
            f"  mocks up and seeded: {len(self.products)} SKUs on {channels}; "
            f"back office {self.back_office}"
        )
        self._start_alert_sink()
        self._start_engine(started, engine_port)
        echo("  engine ready (webhooks subscribed, stock read)")

        load_starts_in = LOAD_START_MARGIN_WALL * sc.time_scale
        self._load_started = self._phase_origin = self.clock.now() + load_starts_in
        self._install_faults(load_starts_in)
        locust = self._start_load(started, self.clock.wall_time(self._load_started))
        self.clock.sleep_blocking(max(0.0, self._load_started - self.clock.now()))
        echo(f"  load running: {sc.duration:.0f} sim s at time_scale {sc.time_scale:g}")
        pending_kills = sorted(self.options.kill_engine_at + self._random_kill_times())
        while locust.alive():
            self._sample(self._load_started)
            self._maybe_ship()
            self._maybe_kill(self.clock.now() - self._load_started, pending_kills)
            self.clock.sleep_blocking(sample_interval(sc.time_scale))
        if locust.popen is not None and locust.popen.returncode not in (0, None):
            raise ProcessFailed(
                f"locust exited with {locust.popen.returncode}; log "
                f"{locust.log_path}:\n{locust.log_tail()}"
            )
        load_ended = self._phase_origin = self.clock.now()
        self._phase = "drain"
        echo("  load finished; draining")
        settled_at = self._drain(load_ended, pending_kills)
        return self._finish(started, load_ended, settled_at)

    def _drain(self, load_ended: float, pending_kills: list[float]) -> float | None:
        """Wait until the back office holds every accepted order (but those the engine holds
        in its exception queue: they will not move without triage, and the verdict counts them
        as lost) and every change and refund the verdict checks is done or held, the engine
        has read all stock afresh since orders stopped moving (its
        quiet-time full sync, which settles what pushes raced with) and it stays idle long
        enough to trust it (three stock polls). Returns when that state began, or None if it
        never came within ``drain_timeout``."""
        sc = self.scenario
        settle = 3 * Timing(**sc.engine.timing).stock_poll_interval
        settled_since: float | None = None
        while self.clock.now() - load_ended < sc.drain_timeout:
            row = self._sample(self._load_started)
            if pending_kills:  # kills not yet done when the load ended happen while draining
                self._maybe_kill(self.clock.now() - self._load_started, pending_kills)
                continue
            now = self.clock.now()
            full_sync = row["engine_full_sync_t"]
            resynced = full_sync is None or full_sync >= self._last_activity_t
            # Staff's changes and refunds are checked by the verdict, so they must be done (or
            # held); without staff, the changes fulfilments cause are not, and waiting for a
            # queue that fulfilments keep refilling would never settle.
            changes_done = not sc.staff.active or not any(
                row.get(f"backlog_{flow}") for flow in CHECKED_JOB_FLOWS
            )
            if (
                row["backlog"] <= row["engine_held"]
                and row["engine_idle"]
                and resynced
                and changes_done
            ):
                settled_since = settled_since or now
                if now - settled_since >= settle:
                    return settled_since
            else:
                settled_since = None
            self.clock.sleep_blocking(sample_interval(sc.time_scale))
        return None

    def _finish(self, started: Started, load_ended: float, settled_at: float | None) -> RunResult:
        from scenarios.report import build_summary, read_csv, read_json, write_outputs

        sc = self.scenario
        states = {name: self._get(name, "/_mock/state") for name in self.mock_names}
        # The ground truth the verdict was computed from, for anyone who doubts it.
        for name, state in states.items():
            (self.results / f"{name}_state.json").write_text(json.dumps(state, default=str))
        # The end-of-run reconciliation: found drift is repaired or held, and reported.
        reconciliation = self._reconcile()
        engine_status = self._get("engine", "/status")
        exceptions = self._get("engine", "/exceptions")["exceptions"]
        held_records = self._get("engine", "/exceptions/records")
        held = held_records["records"]
        findings: Findings = check_channels(
            [read_channel(c.name, c.platform, states[c.name]) for c in sc.channels],
            read_back_office(self.back_office, states[self.back_office]),
            buffers={c.name: sc.stock_buffer(c) for c in sc.channels},
            location_maps={c.name: started.location_map(c.name) for c in sc.channels},
            exception_keys={(str(r["channel"]), str(r["order_id"])) for r in held},
            held_jobs=held_records.get("jobs", []),
        )
        summary = build_summary(
            scenario=sc,
            findings=findings,
            samples=self.samples,
            stats={name: state.get("stats", {}) for name, state in states.items()},
            engine_status=engine_status,
            exceptions=exceptions,
            load_report=read_json(self.results / "load_report.json"),
            locust_rows=read_csv(self.results / "locust_stats.csv"),
            kills=self.kills,
            alerts=alert_sink.read(self.results / "alerts.jsonl"),
            settled_after_load=None if settled_at is None else max(0.0, settled_at - load_ended),
            converged=settled_at is not None,
        )
        summary["reconciliation"] = reconciliation
        write_outputs(self.results, summary, self.samples)
        return RunResult(
            summary=summary, results_dir=self.results, passed=summary["verdict"] == "pass"
        )


def _shifted(rule: dict[str, Any], seconds: float) -> dict[str, Any]:
    """A fault rule whose window starts and ends ``seconds`` later."""
    moved = {**rule, "start": float(rule.get("start", 0.0)) + seconds}
    if rule.get("end") is not None:
        moved["end"] = float(rule["end"]) + seconds
    return moved


def run(scenario: Scenario, options: RunOptions) -> RunResult:
    return Rehearsal(scenario, options).run()

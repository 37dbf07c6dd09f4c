"""Run a scenario: mocks, engine and Locust as processes; load; drain; check; results.

Sequence: start the mocks → seed them with the scenario's catalogue → start the engine and
wait until it has subscribed and read stock → install each mock's fault plan (the scenario's
``faults:``, timed from this moment) → start Locust → sample ground truth every wall
second (and SIGKILL/restart the engine when asked) → after the load, wait for the back office
to hold every accepted order and the engine to go idle → read both mocks' state → invariants.
"""

from __future__ import annotations

import contextlib
import csv
import json
import random
import secrets
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

import loadtests
from scenarios import alert_sink, catalogue
from scenarios.invariants import Findings, check
from scenarios.processes import ProcessFailed, Service, free_port, python_module, wait_ready
from scenarios.schema import Scenario
from simclock import ScaledClock
from sync_engine.config import Timing

SAMPLE_EVERY_WALL = 1.0


@dataclass(kw_only=True)
class RunOptions:
    """How to run, beyond what the scenario says."""

    results_root: Path = Path("results")
    kill_engine_at: list[float] = field(default_factory=list)
    """Simulated seconds after the load starts at which to SIGKILL and restart the engine."""
    kill_engine_random: int = 0
    """SIGKILL the engine this many more times, at seeded random points during the load."""
    echo: Any = print


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
        self.credentials = {
            "shopify": {
                "access_token": "shpat_" + secrets.token_hex(16),
                "webhook_secret": secrets.token_hex(24),
            },
            "erp": {"access_token": secrets.token_hex(24)},
        }
        self.services: dict[str, Service] = {}
        self.samples: list[dict[str, Any]] = []
        self.kills: list[dict[str, float]] = []
        self._load_started = 0.0
        self.http = httpx.Client(timeout=30.0)

    # -- processes ---------------------------------------------------------------------------

    def _config_file(self, name: str, content: dict[str, Any]) -> Path:
        path = self.private / f"{name}.json"
        path.write_text(json.dumps(content))
        return path

    def _start_mock(self, platform: str) -> Service:
        port = free_port()
        config = self._config_file(
            platform,
            {
                "clock": self.clock.to_dict(),
                "seed": self.scenario.seed,
                "settings": self.scenario.platforms.get(platform, {}),
                "credentials": self.credentials[platform],
            },
        )
        service = Service(
            name=f"{platform} mock",
            argv=python_module(
                "mocks.serve", "--platform", platform, "--port", str(port), "--config", str(config)
            ),
            log_path=self.results / f"{platform}.log",
            url=f"http://127.0.0.1:{port}",
        )
        service.start()
        self.services[platform] = service
        return service

    def _engine_config(self, location_map: dict[str, int], port: int) -> dict[str, Any]:
        eng = self.scenario.engine
        return {
            "db_path": str(self.private / "engine.sqlite"),
            "shopify": {"base_url": self.services["shopify"].url, **self.credentials["shopify"]},
            "erp": {
                "base_url": self.services["erp"].url,
                "access_token": self.credentials["erp"]["access_token"],
                "initial_concurrency": eng.erp_initial_concurrency,
                "max_concurrency": eng.erp_max_concurrency,
            },
            "location_map": location_map,
            "stock_buffer": eng.stock_buffer,
            "webhook_address": f"http://127.0.0.1:{port}/webhooks/shopify",
            "timing": eng.timing,
            "alerts": {"url": f"{self.services['alerts'].url}/alerts"},
            "seed": self.scenario.seed,
            "clock": self.clock.to_dict(),
            # A stable identity: a restarted engine reclaims its own leases at once.
            "engine_id": "rehearsal-engine-1",
        }

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

    def _start_engine(self, location_map: dict[str, int]) -> Service:
        port = free_port()
        config = self._config_file("engine", self._engine_config(location_map, port))
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

    def _start_load(self) -> Service:
        sc = self.scenario
        load = {
            "shopify_url": self.services["shopify"].url,
            "erp_url": self.services["erp"].url,
            "time_scale": sc.time_scale,
            "seed": sc.seed,
            "duration": sc.duration,
            "arrival_curve": [list(point) for point in sc.arrival_curve],
            "skus": [p.sku for p in self.products],
            "zipf_s": sc.catalogue.zipf_s,
            "basket": sc.basket.model_dump(),
            "back_office": {
                **sc.back_office.model_dump(),
                "location_id": catalogue.ERP_LOCATION_ID,
            },
            "dispatchers": sc.dispatchers,
            "report_path": str(self.results / "load_report.json"),
        }
        config = self.results / "load.json"
        config.write_text(json.dumps(load, indent=2))
        locustfile = Path(loadtests.__file__).resolve().parent / "locustfile.py"
        service = Service(
            name="locust",
            argv=python_module(
                "locust",
                "-f",
                str(locustfile),
                "--headless",
                "--host",
                str(self.services["shopify"].url),
                "--csv",
                str(self.results / "locust"),
                "--only-summary",
                "--exit-code-on-error",
                "0",
            ),
            log_path=self.results / "locust.log",
            env={"REHEARSAL_LOAD": str(config)},
        )
        service.start()
        self.services["locust"] = service
        return service

    def _install_faults(self) -> None:
        """PUT each platform's fault plan; its windows count from now, the start of the load."""
        for platform, rules in self.scenario.fault_plans().items():
            url = f"{self.services[platform].url}/_mock/faults"
            response = self.http.put(url, json={"rules": rules})
            if response.status_code != 200:
                raise ProcessFailed(
                    f"{platform} mock refused its fault plan "
                    f"({response.status_code}): {response.text}"
                )
            self.options.echo(f"  {platform}: {len(rules)} fault rule(s) installed")

    # -- observation -------------------------------------------------------------------------

    def _get(self, service: str, path: str) -> dict[str, Any]:
        url = self.services[service].url
        response = self.http.get(f"{url}{path}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def _sample(self, load_started: float) -> dict[str, Any]:
        shop = self._get("shopify", "/_mock/stats")
        erp = self._get("erp", "/_mock/stats")
        engine: dict[str, Any] = {}
        if self.services["engine"].alive():
            with contextlib.suppress(httpx.HTTPError):
                engine = self._get("engine", "/status")
        accepted = int(shop["checkouts"]["accepted"])
        row = {
            "t": round(self.clock.now() - load_started, 2),
            "accepted": accepted,
            "rejected": int(shop["checkouts"]["rejected"]),
            "sales_orders": int(erp["sales_orders"]),
            # Ground truth, not the engine's word: accepted on the channel, absent in the ERP.
            "backlog": accepted - int(erp["sales_orders"]),
            "shopify_calls": int(shop["calls"]),
            "shopify_429": int(shop["throttled"]),
            "erp_calls": int(erp["calls"]),
            "erp_rejected": int(erp["rejected_concurrency"]),
            "erp_in_flight_max": int(erp["max_in_flight"]),
            "webhooks_pending": int(shop["webhooks"]["pending"]),
            "engine_up": bool(engine),
            "engine_idle": bool(engine.get("idle")),
            "engine_erp_limit": engine.get("erp", {}).get("concurrency_limit"),
            "engine_pending_pushes": engine.get("inventory", {}).get("pending_pushes"),
        }
        self.samples.append(row)
        return row

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
        for platform in ("shopify", "erp"):
            self._start_mock(platform)
        for platform in ("shopify", "erp"):
            wait_ready(self.services[platform], "/_mock/stats", self.clock)
        self.http.post(
            f"{self.services['erp'].url}/_mock/seed", json=catalogue.erp_seed(self.products)
        ).raise_for_status()
        seeded = self.http.post(
            f"{self.services['shopify'].url}/_mock/seed",
            json=catalogue.shopify_seed(
                self.products, buffer=sc.engine.stock_buffer, currency=sc.catalogue.currency
            ),
        )
        seeded.raise_for_status()
        shop_location = int(seeded.json()["locations"][0]["id"])
        location_map = {catalogue.ERP_LOCATION_ID: shop_location}
        echo(f"  mocks up and seeded: {len(self.products)} SKUs")
        self._start_alert_sink()
        self._start_engine(location_map)
        echo("  engine ready (webhooks subscribed, stock read)")

        self._install_faults()
        locust = self._start_load()
        self._load_started = self.clock.now()
        echo(f"  load running: {sc.duration:.0f} sim s at time_scale {sc.time_scale:g}")
        pending_kills = sorted(self.options.kill_engine_at + self._random_kill_times())
        while locust.alive():
            self._sample(self._load_started)
            self._maybe_kill(self.clock.now() - self._load_started, pending_kills)
            self.clock.sleep_blocking(SAMPLE_EVERY_WALL * sc.time_scale)
        if locust.popen is not None and locust.popen.returncode not in (0, None):
            raise ProcessFailed(
                f"locust exited with {locust.popen.returncode}; log "
                f"{locust.log_path}:\n{locust.log_tail()}"
            )
        load_ended = self.clock.now()
        echo("  load finished; draining")
        settled_at = self._drain(load_ended, pending_kills)
        return self._finish(location_map, load_ended, settled_at)

    def _drain(self, load_ended: float, pending_kills: list[float]) -> float | None:
        """Wait until the back office holds every accepted order and the engine stays idle
        long enough to trust it (three stock polls). Returns when that state began, or None
        if it never came within ``drain_timeout``."""
        sc = self.scenario
        settle = 3 * Timing(**sc.engine.timing).stock_poll_interval
        settled_since: float | None = None
        while self.clock.now() - load_ended < sc.drain_timeout:
            row = self._sample(self._load_started)
            if pending_kills:  # kills not yet done when the load ended happen while draining
                self._maybe_kill(self.clock.now() - self._load_started, pending_kills)
                continue
            now = self.clock.now()
            if row["backlog"] <= 0 and row["engine_idle"]:
                settled_since = settled_since or now
                if now - settled_since >= settle:
                    return settled_since
            else:
                settled_since = None
            self.clock.sleep_blocking(SAMPLE_EVERY_WALL * sc.time_scale)
        return None

    def _finish(
        self, location_map: dict[str, int], load_ended: float, settled_at: float | None
    ) -> RunResult:
        from scenarios.report import build_summary, write_outputs

        shopify_state = self._get("shopify", "/_mock/state")
        erp_state = self._get("erp", "/_mock/state")
        # The ground truth the verdict was computed from, for anyone who doubts it.
        for name, state in (("shopify", shopify_state), ("erp", erp_state)):
            (self.results / f"{name}_state.json").write_text(json.dumps(state, default=str))
        engine_status = self._get("engine", "/status")
        exceptions = self._get("engine", "/exceptions")["exceptions"]
        held = self._get("engine", "/exceptions/records")["records"]
        surfaced = {str(r["order_id"]) for r in held if r["channel"] == "shopify"}
        findings: Findings = check(
            shopify_state,
            erp_state,
            stock_buffer=self.scenario.engine.stock_buffer,
            location_map=location_map,
            exception_keys=surfaced,
        )
        summary = build_summary(
            scenario=self.scenario,
            findings=findings,
            samples=self.samples,
            shopify_stats=shopify_state["stats"],
            erp_stats=erp_state["stats"],
            engine_status=engine_status,
            exceptions=exceptions,
            load_report=self._read_json(self.results / "load_report.json"),
            locust_rows=self._locust_rows(),
            kills=self.kills,
            alerts=alert_sink.read(self.results / "alerts.jsonl"),
            settled_after_load=None if settled_at is None else max(0.0, settled_at - load_ended),
            converged=settled_at is not None,
        )
        write_outputs(self.results, summary, self.samples)
        return RunResult(
            summary=summary, results_dir=self.results, passed=summary["verdict"] == "pass"
        )

    @staticmethod
    def _read_json(path: Path) -> dict[str, Any]:
        with contextlib.suppress(OSError, ValueError):
            data: dict[str, Any] = json.loads(path.read_text())
            return data
        return {}

    def _locust_rows(self) -> list[dict[str, str]]:
        path = self.results / "locust_stats.csv"
        with contextlib.suppress(OSError), path.open(newline="") as handle:
            return list(csv.DictReader(handle))
        return []


def run(scenario: Scenario, options: RunOptions) -> RunResult:
    return Rehearsal(scenario, options).run()

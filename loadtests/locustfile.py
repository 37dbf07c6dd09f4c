"""Open-model flash-sale load: checkouts on the channels' mocks, stock movements on the back office.

Run (the orchestrator does this; a shape class means no -u/-r/-t)::

    REHEARSAL_LOAD=load.json python -m locust -f loadtests/locustfile.py --headless \\
        --host http://127.0.0.1:8001 --csv out/locust --only-summary --exit-code-on-error 0

The whole request plan (times and bodies) is computed up front from the seed. A fixed set of
`Dispatcher` users shares it round-robin; each sleeps until an arrival's wall time and fires
it in its own greenlet, so a slow response never delays the arrivals behind it (open model:
the arrival rate does not depend on response times). The run stops by itself once the curve
is over and every fired request has finished, or `STRAGGLER_GRACE_S` later at most.

With several channels (``channels`` in the config) each checkout goes to the channel the plan
drew for it, in that platform's body; Locust names the requests ``checkout <channel>`` so its
CSV keeps them apart (a single channel keeps the plain ``checkout``).

Scale-out: with ``workers: N`` in the config, run one ``--master`` (it runs the shape; Locust
spreads ``dispatchers × N`` users over the workers) and N ``--worker`` processes. Every worker
builds the same plan from the seed and keeps requests ``i, i + N, ...`` for its Locust worker
index ``i``, so the workers together fire the plan exactly once; each tells the master when
its share is drained, and writes its own report and timings, suffixed ``-worker<i>``. Every
process that fires requests records each one's exact elapsed time (``loadtests.timings``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import time
from collections import Counter, defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Any

import gevent
from gevent.pool import Group
from locust import FastHttpUser, LoadTestShape, events, task
from locust.runners import MasterRunner, WorkerRunner

from loadtests.arrivals import lag_summary, shape_tick
from loadtests.baskets import (
    LoadConfig,
    PlannedRequest,
    RequestKind,
    dispatcher_share,
    without_sold_out,
)
from loadtests.channels import checkout_body, sold_out_sku
from loadtests.timings import Timing, TimingRecorder, suffixed, timings_path

LOAD_ENV = "REHEARSAL_LOAD"
"""Environment variable naming the run's load config JSON."""

CONNECTIONS_PER_HOST = 100
"""Open connections per dispatcher and host: enough that firing never waits for a socket."""

IDLE_S = 1.0
"""How often a dispatcher with nothing left to send wakes up (until the shape stops the run)."""

ACCEPTED = {
    RequestKind.CHECKOUT: 201,
    RequestKind.STOCK_MOVEMENT: 200,
    RequestKind.STAFF: 200,
}
"""Status meaning the request did what it asked."""

REFUSED = {
    RequestKind.CHECKOUT: "sold out",
    RequestKind.STOCK_MOVEMENT: "refused",
    RequestKind.STAFF: "none eligible",
}
"""Label of the legitimate 409 outcome, reported as a success under its own request name."""

WORKERS_KEY = "workers"
"""Config key: how many worker processes share the plan (absent or 1: a single process)."""

DRAINED_MESSAGE = "rehearsal_drained"
"""Worker → master: this worker has fired its whole share and nothing is in flight."""


class Role(StrEnum):
    """What this Locust process does in the run."""

    SINGLE = "single"
    MASTER = "master"
    WORKER = "worker"


log = logging.getLogger(__name__)


class _Run:
    """Everything the dispatchers share for one run: plan, zero time and counters."""

    def __init__(self, config: LoadConfig, *, role: Role = Role.SINGLE, workers: int = 1) -> None:
        self.config = config
        self.role = role
        self.workers = workers
        # the master fires nothing: it needs the timing of the curve, not the plan
        self.plan: list[PlannedRequest] = [] if role is Role.MASTER else config.plan()
        self.worker_index: int | None = None
        self.drained_workers: set[int] = set()
        self.recorder: TimingRecorder | None = None
        self.t0: float | None = None
        self.indices = itertools.count()
        self.finished_dispatchers = 0
        self.in_flight = 0
        self.fired: Counter[RequestKind] = Counter()
        self.lags: list[float] = []
        self.status_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.channel_fired: Counter[str] = Counter()
        self.channel_status: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def url(self, request: PlannedRequest) -> str:
        """Absolute URL of a request's route (the back office is not Locust's --host)."""
        if request.kind is RequestKind.CHECKOUT:
            return f"{self.config.channel(request.channel).url}/_sim/checkout"
        if request.kind is RequestKind.STAFF:
            return f"{self.config.channel(request.channel).url}/_sim/staff"
        return f"{self.config.erp_url}/_sim/stock-movement"

    def name(self, request: PlannedRequest) -> str:
        """Locust's request name: the stream, and the channel when there are several."""
        if request.kind is RequestKind.CHECKOUT and len(self.config.channels) > 1:
            return f"{request.kind.value} {self.config.channel(request.channel).name}"
        if request.kind is RequestKind.STAFF:
            return f"{request.kind.value} {request.body['action']}"
        return request.kind.value

    def take_share(self, worker_index: int) -> None:
        """On a worker: keep only requests ``worker_index, + workers, ...`` of the plan."""
        if not 0 <= worker_index < self.workers:
            raise RuntimeError(
                f"Locust worker index {worker_index} outside 0..{self.workers - 1}: "
                f"more workers connected than the config's {WORKERS_KEY}={self.workers}"
            )
        self.worker_index = worker_index
        self.plan = self.plan[worker_index :: self.workers]

    @property
    def suffix(self) -> str:
        """Suffix of this process's report and timing files (none for a single process)."""
        return "" if self.worker_index is None else f"-worker{self.worker_index}"

    def start(self) -> None:
        """Simulated second 0 is now, or at the config's ``start_at_wall`` (which every
        process of a distributed run shares); open the timing file if the config names a
        folder."""
        wait = 0.0
        if self.config.start_at_wall is not None:
            wait = max(0.0, self.config.start_at_wall - time.time())
        self.t0 = time.monotonic() + wait
        if self.config.report_path and self.role is not Role.MASTER:
            self.recorder = TimingRecorder(timings_path(Path(self.config.report_path), self.suffix))

    def drained(self) -> bool:
        """True once every dispatcher has fired its share and no request is in flight (on the
        master: once every worker has said so)."""
        if self.role is Role.MASTER:
            return len(self.drained_workers) >= self.workers
        return self.finished_dispatchers >= self.config.dispatchers and self.in_flight == 0

    def shape_args(self) -> dict[str, Any]:
        """Keyword arguments of `shape_tick` other than the elapsed time."""
        users = self.config.dispatchers * (self.workers if self.role is Role.MASTER else 1)
        return {
            "time_scale": self.config.time_scale,
            "duration": self.config.duration,
            "dispatchers": users,
            "drained": self.drained(),
        }

    def report(self) -> dict[str, Any]:
        """The load report the orchestrator reads (see loadtests/README.md)."""
        scheduled = Counter(request.kind for request in self.plan)
        return {
            "scheduled_checkouts": scheduled[RequestKind.CHECKOUT],
            "fired_checkouts": self.fired[RequestKind.CHECKOUT],
            "scheduled_movements": scheduled[RequestKind.STOCK_MOVEMENT],
            "fired_movements": self.fired[RequestKind.STOCK_MOVEMENT],
            **lag_summary(self.lags),
            "status_counts": {kind: dict(counts) for kind, counts in self.status_counts.items()},
            "channels": {
                c.name: {
                    "platform": c.platform,
                    "fired_checkouts": self.channel_fired[c.name],
                    "status_counts": dict(self.channel_status[c.name]),
                }
                for c in self.config.channels
            },
            "in_flight_at_stop": self.in_flight,
            "drained": self.drained(),
            "worker_index": self.worker_index,
            "workers": self.workers,
            "time_scale": self.config.time_scale,
            "duration_sim_s": self.config.duration,
            "wall_s": round(time.monotonic() - self.t0, 3) if self.t0 is not None else None,
        }


RUN: _Run | None = None
"""Set by the init listener, before the shape's first tick."""


def _run() -> _Run:
    if RUN is None:
        raise RuntimeError(f"load config not loaded: is {LOAD_ENV} set?")
    return RUN


def _role(runner: Any) -> Role:
    if isinstance(runner, MasterRunner):
        return Role.MASTER
    if isinstance(runner, WorkerRunner):
        return Role.WORKER
    return Role.SINGLE


@events.init.add_listener
def _load_config(environment: Any, **_kwargs: Any) -> None:
    """Read the config and build the plan once, before the shape starts."""
    global RUN
    path = os.environ.get(LOAD_ENV)
    if not path:
        raise RuntimeError(f"{LOAD_ENV} must name the load config JSON file")
    raw = json.loads(Path(path).read_text())
    workers = int(raw.get(WORKERS_KEY, 1))
    if workers < 1:
        raise ValueError(f"load config: {WORKERS_KEY} must be >= 1, got {workers}")
    role = _role(environment.runner)
    RUN = _Run(LoadConfig.from_mapping(raw), role=role, workers=workers)
    if role is Role.MASTER:
        environment.runner.register_message(DRAINED_MESSAGE, _worker_drained)
    if not environment.host:
        # FastHttpUser refuses to start without a base URL; every request is absolute anyway
        Dispatcher.host = RUN.config.shopify_url
    log.info("load plan: %d requests over %.1f simulated s", len(RUN.plan), RUN.config.duration)


def _worker_drained(environment: Any, msg: Any, **_kwargs: Any) -> None:
    """On the master: a worker's share is done (the shape stops once all of them are)."""
    _run().drained_workers.add(int(msg.data["index"]))


@events.test_start.add_listener
def _start_clock(environment: Any, **_kwargs: Any) -> None:
    """Simulated second 0 of the plan is now; a worker keeps only its share of the plan (its
    Locust index is known by now: the master acknowledged it before sending users)."""
    run = _run()
    if run.role is Role.WORKER and run.worker_index is None:
        run.take_share(environment.runner.worker_index)
    run.start()


@events.test_stop.add_listener
def _write_report(**_kwargs: Any) -> None:
    """Write the load report where the config asked for it and flush the timings (the
    master fires nothing and writes neither)."""
    run = _run()
    if run.role is Role.MASTER:
        return
    if run.recorder is not None:
        run.recorder.close()
    report = run.report()
    log.info("load report: %s", json.dumps(report))
    if run.config.report_path:
        path = suffixed(Path(run.config.report_path), run.suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + "\n")


class Dispatcher(FastHttpUser):
    """Fires its round-robin share of the plan on schedule, never waiting on replies."""

    concurrency = CONNECTIONS_PER_HOST

    def on_start(self) -> None:
        """Take the next dispatcher index (local to this process)."""
        self.index = next(_run().indices)

    @task
    def dispatch(self) -> None:
        """Sleep to each arrival, fire it in its own greenlet, then wait for the stragglers."""
        run = _run()
        config = run.config
        assert run.t0 is not None, "test_start sets the clock before users start"
        in_flight = Group()
        if self.index >= config.dispatchers:
            # Locust gave this process more users than its share has dispatchers: idle
            log.warning("dispatcher %d of %d has no share", self.index, config.dispatchers)
            while True:
                gevent.sleep(IDLE_S)
        for request in dispatcher_share(run.plan, self.index, config.dispatchers):
            due = run.t0 + request.sim_t / config.time_scale
            delay = due - time.monotonic()
            if delay > 0:
                gevent.sleep(delay)
            run.in_flight += 1
            in_flight.spawn(self._fire, run, request, due)
        in_flight.join()
        run.finished_dispatchers += 1
        if run.role is Role.WORKER and run.drained():
            self.environment.runner.send_message(DRAINED_MESSAGE, {"index": run.worker_index})
        while True:  # the shape ends the run; returning would only re-run this task
            gevent.sleep(IDLE_S)

    def _fire(self, run: _Run, request: PlannedRequest, due: float) -> None:
        """Send one request and classify its outcome.

        A shopper told that one item sold out drops it and checks out the rest, as real
        shoppers do; each retry is a checkout attempt of its own.
        """
        run.lags.append(max(0.0, time.monotonic() - due))
        run.fired[request.kind] += 1
        if request.kind is RequestKind.CHECKOUT:
            run.channel_fired[run.config.channel(request.channel).name] += 1
        body: dict[str, Any] | None = dict(request.body)
        attempt = 0
        try:
            while body is not None:
                attempt += 1
                body = self._send(run, request, body, attempt)
        finally:
            run.in_flight -= 1

    def _send(
        self, run: _Run, request: PlannedRequest, body: dict[str, Any], attempt: int = 1
    ) -> dict[str, Any] | None:
        """One request; returns the basket to retry with, if the shopper would retry. Its
        exact elapsed time goes to the timing file under its final Locust name."""
        kind = request.kind
        name = run.name(request)
        channel = run.config.channel(request.channel) if kind is RequestKind.CHECKOUT else None
        wire = (
            checkout_body(channel.platform, body, promotions=channel.promotions)
            if channel is not None
            else body
        )
        retry = None
        assert run.t0 is not None, "test_start sets the clock before users start"
        start_s = time.monotonic() - run.t0
        started = time.perf_counter()
        post = self.client.post(run.url(request), json=wire, name=name, catch_response=True)
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        with post as response:
            status = response.status_code
            run.status_counts[kind.value][str(status)] += 1
            if channel is not None:
                run.channel_status[channel.name][str(status)] += 1
            if status == ACCEPTED[kind]:
                response.success()
            elif status == 409:
                response.request_meta["name"] = f"{name} ({REFUSED[kind]})"
                response.success()
                if channel is not None:
                    try:
                        sku = sold_out_sku(channel.platform, response.json())
                    except ValueError:
                        sku = None
                    retry = without_sold_out(body, sku)
            else:
                text = (response.text or "")[:200]
                response.failure(f"{name}: unexpected status {status}: {text}")
            if run.recorder is not None:
                run.recorder.record(
                    Timing(
                        name=str(response.request_meta["name"]),
                        attempt=attempt,
                        scheduled_s=request.sim_t / run.config.time_scale,
                        start_s=start_s,
                        elapsed_ms=elapsed_ms,
                        status=status,
                        ok=status in (ACCEPTED[kind], 409),
                    )
                )
        return retry


class FlashSaleShape(LoadTestShape):
    """A fixed set of dispatchers for the curve's wall duration, then stop once drained."""

    def tick(self) -> tuple[int, float] | None:
        """See `loadtests.arrivals.shape_tick`."""
        run = _run()
        elapsed = self.get_run_time() if run.t0 is None else time.monotonic() - run.t0
        return shape_tick(elapsed, **run.shape_args())

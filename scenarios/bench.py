"""``rehearsal bench``: our budgets against a naive client on each mock's limit, side by side.

For each case — (a) Shopify REST bucket, (b) Shopify GraphQL cost bucket, (c) SHOPLINE's
header-less bucket, (d) the ERP's concurrency limit — a fresh mock is started as a live server
(``python -m mocks.serve`` on a free loopback port, ScaledClock), seeded, and driven with N
useful calls by each client in turn (a fresh mock each, so both start from a full budget).
Everything is measured in simulated time, so the ratios do not depend on ``time_scale`` as
long as the CPU keeps up (``--scale`` lets that be checked). The ratios are defined in
:mod:`scenarios.bench_measure`. It reports; it never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import secrets
import shutil
import tempfile
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from scenarios import bench_clients as clients
from scenarios.bench_measure import (
    TARGET_DRAIN_RATIO,
    TARGET_THROTTLED_SHARE,
    TARGET_UTILISATION,
    Call,
    Limit,
    Ratios,
    ratios,
)
from scenarios.processes import Service, free_port, python_module, wait_ready
from simclock import ScaledClock

Client = Callable[[clients.Target], Coroutine[Any, Any, tuple[list[Call], dict[str, Any]]]]
SKUS = 20
WARM_UP_REFILL = 3.0
"""Simulated seconds to wait after the warm-up calls, so the budget starts full."""


@dataclass(frozen=True, kw_only=True)
class Case:
    """One limit to measure both clients against."""

    key: str
    title: str
    platform: str
    n: int
    n_quick: int
    time_scale: float
    ours: Client
    naive: Client
    concurrency: int = 4
    naive_n_share: float = 1.0
    """The naive ERP client is ~15× slower; it runs a share of N to keep the wall time short."""
    naive_time_scale: float | None = None


CASES = (
    Case(key="a", title="Shopify REST bucket (40 @ 2/s)", platform="shopify", n=400, n_quick=120,
         time_scale=20.0, ours=clients.shopify_rest_ours, naive=clients.shopify_rest_naive),
    Case(key="b", title="Shopify GraphQL cost (2000 @ 100/s)", platform="shopify", n=500,
         n_quick=300, time_scale=2.0, ours=clients.shopify_graphql_ours,
         naive=clients.shopify_graphql_naive),
    Case(key="c", title="SHOPLINE bucket, no header (40 @ 4/s)", platform="shopline", n=500,
         n_quick=150, time_scale=20.0, ours=clients.shopline_ours, naive=clients.shopline_naive),
    Case(key="d", title="ERP concurrency (15, lognormal ~1 s)", platform="erp", n=500,
         n_quick=120, time_scale=2.0, ours=clients.erp_ours, naive=clients.erp_naive,
         naive_n_share=0.15, naive_time_scale=10.0),
)  # fmt: skip


async def _stats(base_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
        response = await client.get("/_mock/stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result


def _seed(platform: str, base_url: str) -> tuple[list[str], str]:
    """Seed SKUs; returns (inventory item ids or SKUs, location id)."""
    skus = [f"BENCH-{i:03d}" for i in range(SKUS)]
    if platform == "erp":
        payload: dict[str, Any] = {
            "locations": [{"id": clients.ERP_LOCATION, "name": "WH"}],
            "items": [{"sku": s, "on_hand": {clients.ERP_LOCATION: 100_000}} for s in skus],
        }
        httpx.post(f"{base_url}/_mock/seed", json=payload, timeout=30).raise_for_status()
        return skus, clients.ERP_LOCATION
    payload = {
        "locations": [{"name": "WH"}],
        "products": [
            {"sku": s, "title": s, "price": "19.99", "inventory": {"WH": 100_000}} for s in skus
        ],
    }
    response = httpx.post(f"{base_url}/_mock/seed", json=payload, timeout=30)
    response.raise_for_status()
    seeded = response.json()
    items = [str(v["inventory_item_id"]) for v in seeded["variants"]]
    return items, str(seeded["locations"][0]["id"])


async def _warm_up(platform: str, target: clients.Target) -> None:
    """A few calls on the routes the run uses, then time for the budget to refill.

    A fresh server's first requests are slow (imports, first route resolution): at a high
    time_scale that costs seconds of simulated time, which would be charged to whichever client
    ran first. Both clients get the same warm-up and start from a full budget.
    """
    token = target.token
    async with httpx.AsyncClient(base_url=target.base_url, timeout=30.0) as client:
        for _ in range(3):
            if platform == "shopify":
                shopify = {"X-Shopify-Access-Token": token}
                await client.get(f"/admin/api/{clients.SHOPIFY_VERSION}/locations.json",
                                 headers=shopify)  # fmt: skip
                await client.post(f"/admin/api/{clients.SHOPIFY_VERSION}/graphql.json",
                                  json={"query": "{ shop { id } }"}, headers=shopify)  # fmt: skip
            elif platform == "shopline":
                await client.get(f"/admin/openapi/{clients.SHOPLINE_VERSION}/locations.json",
                                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            else:
                await client.get("/services/rest/record/v1/inventoryItem",
                                 params={"limit": 1},
                                 headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    # Three REST calls leak out of the slowest bucket (2/s) in 1.5 s; GraphQL's few points
    # are back at once.
    await target.clock.sleep(WARM_UP_REFILL)


def _limit(case: Case, stats: dict[str, Any], n: int) -> Limit:
    # Slack: our headroom, what calls in flight may hold back, and one call of header rounding
    # (Shopify rounds the level up) — see bench_measure.
    if case.key == "a":
        return Limit(burst=40, rate=2.0, slack=2 + case.concurrency + 1)
    if case.key == "b":
        return Limit(burst=2000, rate=100.0, slack=10 + 10 * case.concurrency + 1)
    if case.key == "c":
        return Limit(burst=40, rate=4.0, slack=3 + case.concurrency + 1)
    # The queueing minimum uses the mean latency the mock actually drew in this run.
    write = stats["latency"]["write"]
    mean = float(write["total_seconds"]) / max(1, int(write["count"]))
    return Limit(burst=0, rate=float(stats["concurrency_limit"]) / mean, concurrency=True)


def run_one(case: Case, client: Client, *, n: int, scale: float, workdir: Path) -> dict[str, Any]:
    """Start a fresh mock, seed it, drive ``n`` calls with ``client``, stop it, measure."""
    clock = ScaledClock(time_scale=scale)
    token = secrets.token_hex(16)
    config = workdir / f"{case.key}-{secrets.token_hex(4)}.json"
    config.write_text(
        json.dumps({"clock": clock.to_dict(), "seed": 1, "credentials": {"access_token": token}})
    )
    port = free_port()
    service = Service(
        name=f"{case.platform} mock",
        argv=python_module("mocks.serve", "--platform", case.platform, "--port", str(port),
                           "--config", str(config)),
        log_path=workdir / f"{case.platform}.log",
        url=f"http://127.0.0.1:{port}",
    )  # fmt: skip
    service.start()
    try:
        assert service.url is not None
        wait_ready(service, "/_mock/stats", clock)
        items, location = _seed(case.platform, service.url)
        target = clients.Target(
            base_url=service.url, token=token, items=items, location=location, clock=clock,
            n=n, concurrency=case.concurrency,
        )  # fmt: skip
        asyncio.run(_warm_up(case.platform, target))
        calls, budget = asyncio.run(client(target))
        stats = asyncio.run(_stats(service.url))
    finally:
        service.stop()
    measured: Ratios = ratios(calls, _limit(case, stats, n))
    return {**measured.as_dict(), "time_scale": scale, "budget": budget}


def _fmt(result: dict[str, Any]) -> str:
    return (
        f"{result['utilisation']:>6.3f} {result['throttled_share']:>7.1%} "
        f"{result['drain_ratio']:>6.2f} {result['useful_calls']:>5}"
    )


def table(results: dict[str, dict[str, Any]]) -> str:
    """Both clients side by side, with the targets."""
    head = f"{'util':>6} {'429s':>7} {'drain':>6} {'N':>5}"
    lines = [
        f"{'limit':<42} | {'ours':^27} | {'naive':^27} | ours meets targets",
        f"{'':<42} | {head} | {head} |",
    ]
    for key, entry in results.items():
        ours, naive = entry["ours"], entry["naive"]
        ok = (
            ours["utilisation"] >= TARGET_UTILISATION
            and ours["throttled_share"] <= TARGET_THROTTLED_SHARE
            and ours["drain_ratio"] <= TARGET_DRAIN_RATIO
        )
        title = f"({key}) {entry['title']}"
        lines.append(f"{title:<42} | {_fmt(ours)} | {_fmt(naive)} | {'yes' if ok else 'NO'}")
    lines.append(
        f"targets: utilisation >= {TARGET_UTILISATION}, 429s <= {TARGET_THROTTLED_SHARE:.0%} "
        f"of calls, drain <= {TARGET_DRAIN_RATIO}x the minimum (simulated time)"
    )
    return "\n".join(lines)


def _write(results: dict[str, dict[str, Any]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2, default=str))
    fields = ["case", "client", "utilisation", "throttled_share", "drain_ratio",
              "useful_calls", "calls", "throttled", "elapsed_sim_s", "minimum_sim_s",
              "time_scale"]  # fmt: skip
    with (out / "bench.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for key, entry in results.items():
            for client in ("ours", "naive"):
                writer.writerow({"case": key, "client": client, **entry[client]})


def cmd_bench(args: argparse.Namespace) -> int:
    """Run the benchmark; exit 0 whatever it measures (it reports, it does not judge)."""
    if args.time_compression:
        from scenarios import bench_timescale

        return bench_timescale.main(args)
    if args.reconcile:
        from scenarios import bench_reconcile

        bench_reconcile.main(["--quick"] if args.quick else [])
        return 0
    only = {k.strip() for k in args.only.split(",")} if args.only else None
    cases = [c for c in CASES if only is None or c.key in only]
    workdir = Path(tempfile.mkdtemp(prefix="rehearsal-bench-"))
    results: dict[str, dict[str, Any]] = {}
    try:
        for case in cases:
            n = case.n_quick if args.quick else case.n
            naive_n = max(1, round(n * case.naive_n_share))
            naive_scale = (case.naive_time_scale or case.time_scale) * args.scale
            print(f"bench ({case.key}) {case.title}: ours N={n}, naive N={naive_n} ...", flush=True)
            ours = run_one(case, case.ours, n=n, scale=case.time_scale * args.scale,
                           workdir=workdir)  # fmt: skip
            naive = run_one(case, case.naive, n=naive_n, scale=naive_scale, workdir=workdir)
            results[case.key] = {"title": case.title, "ours": ours, "naive": naive}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    # Named by when the run finished, read from the one clock like every other time here.
    finished = datetime.fromtimestamp(ScaledClock().origin_wall, UTC)
    out = args.results / "bench" / finished.strftime("%Y%m%d-%H%M%S")
    _write(results, out)
    print(table(results))
    print(f"  results: {out}/bench.json")
    return 0


def add_parser(sub: Any) -> None:
    """The ``bench`` subcommand (called from ``scenarios.cli``)."""
    bench = sub.add_parser("bench", help="budgets vs a naive client on each mock's rate limit")
    bench.add_argument("--quick", action="store_true", help="smaller N (about a third)")
    bench.add_argument("--only", default="", help="cases to run, e.g. a,c (default: a,b,c,d)")
    bench.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply every time_scale (check the ratios do not move)",
    )
    bench.add_argument("--results", type=Path, default=Path("results"),
                       help="folder for outputs (default: results/)")  # fmt: skip
    bench.add_argument(
        "--reconcile",
        action="store_true",
        help="instead: API calls to reconcile N orders with k planted drifts vs a full scan "
        "(N = 10k, 100k; k = 0, 10, 100; --quick: N = 10k)",
    )
    bench.add_argument(
        "--time-compression",
        action="store_true",
        help="instead: one scenario at several time_scales; backlog peak and drain seconds "
        "compared (agree within 10%%?); results/bench/time_compression.json",
    )
    bench.add_argument(
        "--scenario", default="", help="with --time-compression: default time-compression"
    )
    bench.add_argument(
        "--scales", default="", help="with --time-compression: e.g. 1,10 (--quick: 5,10)"
    )
    bench.set_defaults(func=cmd_bench)

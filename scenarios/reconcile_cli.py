"""``rehearsal reconcile``: run one reconciliation pass on a running engine and print its drift
report (cause, where, record, action). Exit 1 when drift is found, so a cron or CI job fails
on it; 2 when the engine cannot be reached or refuses."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("reconcile", help="reconcile channels, engine and back office now")
    p.add_argument(
        "--engine",
        default="http://127.0.0.1:8100",
        help="the engine's base URL (default: %(default)s)",
    )
    p.add_argument("--json", action="store_true", help="print the whole report as JSON")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for the pass")
    p.set_defaults(func=run)


def render(summary: dict[str, Any]) -> str:
    lines = [f"drift {summary['drift']}  (API calls spent: {summary['calls']})"]
    for cause, n in sorted(summary.get("by_cause", {}).items()):
        lines.append(f"  {cause:28} {n}")
    for report in summary.get("reports", []):
        for finding in report.get("findings", []):
            if finding.get("drift"):
                lines.append(
                    f"  - {finding['cause']:24} {finding.get('where', ''):12} "
                    f"{finding.get('record_key', '')}  → {finding.get('action', '')}"
                    f"{' ' + finding['code'] if finding.get('code') else ''}"
                )
    for what, why in summary.get("skipped", {}).items():
        lines.append(f"  not reconciled: {what}: {why}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    base = args.engine.rstrip("/")
    try:
        response = httpx.post(f"{base}/reconcile", timeout=args.timeout)
    except httpx.HTTPError as exc:
        print(f"rehearsal reconcile: cannot reach the engine at {base}: {exc}", file=sys.stderr)
        return 2
    if not response.is_success:
        print(f"rehearsal reconcile: engine answered {response.status_code}", file=sys.stderr)
        return 2
    summary = response.json()
    print(json.dumps(summary, indent=2) if args.json else render(summary))
    return 1 if summary["drift"] else 0

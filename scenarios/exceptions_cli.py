"""``rehearsal exceptions``: triage a running engine's exception queue from the command line."""

from __future__ import annotations

import argparse
import json
import sys

import httpx

ACTIONS = ("list", "replay", "resolve", "ignore")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("exceptions", help="list, replay, resolve or ignore held records")
    p.add_argument("action", nargs="?", default="list", choices=ACTIONS)
    p.add_argument("fingerprint", nargs="?", help="for replay / resolve / ignore")
    p.add_argument(
        "--engine",
        default="http://127.0.0.1:8100",
        help="the engine's base URL (default: %(default)s)",
    )
    p.add_argument("--state", choices=("new", "recurring", "resolved", "ignored"))
    p.add_argument("--flow")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Exit 0 on success, 1 if the engine refused or is unreachable, 2 on bad usage."""
    base = args.engine.rstrip("/")
    if args.action != "list" and not args.fingerprint:
        print(f"rehearsal exceptions {args.action}: a fingerprint is required", file=sys.stderr)
        return 2
    try:
        if args.action == "list":
            params = {k: v for k, v in (("state", args.state), ("flow", args.flow)) if v}
            response = httpx.get(f"{base}/exceptions", params=params, timeout=30)
        else:
            response = httpx.post(f"{base}/exceptions/{args.fingerprint}/{args.action}", timeout=30)
    except httpx.HTTPError as exc:
        print(f"rehearsal exceptions: cannot reach the engine at {base}: {exc}", file=sys.stderr)
        return 1
    body = response.json()
    if not response.is_success:
        print(f"rehearsal exceptions: {body.get('error', response.text)}", file=sys.stderr)
        return 1
    if args.json or args.action != "list":
        print(json.dumps(body, indent=2))
        return 0
    rows = body["exceptions"]
    if not rows:
        print("no exceptions")
        return 0
    print(f"{'fingerprint':16}  {'state':9}  {'count':>5}  {'flow':8}  reason")
    for row in rows:
        print(
            f"{row['fingerprint']:16}  {row['state']:9}  {row['count']:>5}  "
            f"{row['flow']:8}  {str(row['reason'])[:80]}"
        )
    return 0

"""Run one mock platform as a server: ``python -m mocks.serve --platform shopify --port 8001``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from mocks.common.faults import install_fault_plan
from simclock import Clock, ScaledClock, VirtualClock

PLATFORMS = ("shopify", "shopline", "shopware", "fulfil", "erp")


def build_app(platform: str, config: dict[str, Any]) -> FastAPI:
    """Build a platform's app from a process config (see docs/contracts.md), with the
    config's top-level ``faults`` (docs/faults.md) joined to its fault plan."""
    app, clock, seed = _platform_app(platform, config)
    install_fault_plan(app, clock=clock, seed=seed, rules=config.get("faults"))
    return app


def _platform_app(platform: str, config: dict[str, Any]) -> tuple[FastAPI, Clock, int]:
    clock_config = dict(config.get("clock", {}))
    clock: Clock
    if clock_config.pop("virtual", False):
        # Time moves only through POST /_mock/clock: contract tests run unchanged live.
        clock = VirtualClock(autojump=False, **clock_config)
    else:
        clock = ScaledClock(**clock_config)
    settings = config.get("settings", {})
    credentials = config.get("credentials", {})
    seed = int(config.get("seed", 0))
    if platform == "shopify":
        from mocks.shopify.api import create_app as create_shopify

        app = create_shopify(settings=settings, clock=clock, credentials=credentials, seed=seed)
        return app, clock, seed
    if platform == "shopline":
        from mocks.shopline.api import create_app as create_shopline

        app = create_shopline(settings=settings, clock=clock, credentials=credentials, seed=seed)
        return app, clock, seed
    if platform == "shopware":
        from mocks.shopware.api import create_app as create_shopware

        app = create_shopware(settings=settings, clock=clock, credentials=credentials, seed=seed)
        return app, clock, seed
    if platform == "fulfil":
        from mocks.fulfil.api import create_app as create_fulfil

        app = create_fulfil(settings=settings, clock=clock, credentials=credentials, seed=seed)
        return app, clock, seed
    if platform == "erp":
        from mocks.erp.api import create_app as create_erp

        app = create_erp(settings=settings, clock=clock, credentials=credentials, seed=seed)
        return app, clock, seed
    raise SystemExit(f"unknown platform {platform!r}; choose from {', '.join(PLATFORMS)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mocks.serve", description=__doc__)
    parser.add_argument("--platform", required=True, choices=PLATFORMS)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", type=Path, help="process config JSON (docs/contracts.md)")
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text()) if args.config else {}
    app = build_app(args.platform, config)
    # h11 keeps header names as the platform spells them (``X-Shopify-Shop-Api-Call-Limit``);
    # httptools lowercases them, and clients that match case-sensitively (Shopify's own Python
    # library) then miss them. About 25% slower per CEILINGS.md, far above what a run needs.
    uvicorn.run(
        app, host=args.host, port=args.port, http="h11", log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()

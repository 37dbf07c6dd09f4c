"""Run the engine: ``python -m sync_engine.serve --port 8100 --config engine.json``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import uvicorn

from simclock import ScaledClock
from sync_engine.app import create_app
from sync_engine.config import EngineConfig
from sync_engine.engine import Engine


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m sync_engine.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    config = EngineConfig.model_validate(json.loads(args.config.read_text()))
    engine = Engine(config, clock=ScaledClock(**config.clock))
    uvicorn.run(
        create_app(engine), host=args.host, port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()

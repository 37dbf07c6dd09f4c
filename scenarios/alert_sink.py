"""Receives the engine's alerts during a run and keeps them for the results.

``python -m scenarios.alert_sink --port P --out alerts.jsonl``: every POSTed JSON body is
appended as one line, so the harness can report which alerts fired, and when, from what the
alert endpoint really received rather than from the engine's own account.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


def create_app(out: Path) -> FastAPI:
    app = FastAPI(title="Rehearsal alert sink")

    @app.post("/alerts")
    async def receive(request: Request) -> JSONResponse:
        try:
            body: Any = json.loads(await request.body())
        except ValueError as exc:
            return JSONResponse({"error": f"alert body is not JSON: {exc}"}, status_code=400)
        with out.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps(body) + "\n")
        return JSONResponse({"status": "received"})

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def read(path: Path) -> list[dict[str, Any]]:
    """The alerts received, in arrival order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m scenarios.alert_sink", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(args.out), host=args.host, port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()

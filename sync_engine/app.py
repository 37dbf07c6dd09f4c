"""The engine's HTTP face: webhook ingress, health, status, metrics, exceptions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response

from sync_engine.engine import Engine
from sync_engine.exceptions import exceptions_router
from sync_engine.ingress import ingress_router


def create_app(engine: Engine, *, run_loops: bool = True) -> FastAPI:
    """The ASGI app for ``engine``. With ``run_loops`` the lifespan starts and stops it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        starter = asyncio.create_task(engine.start()) if run_loops else None
        yield
        if starter is not None and not starter.done():
            starter.cancel()
        await engine.stop()

    app = FastAPI(title="Rehearsal sync engine", lifespan=lifespan)
    app.state.engine = engine
    app.include_router(ingress_router(engine))
    app.include_router(exceptions_router(engine))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "ready": engine.ready}

    @app.get("/status")
    async def status() -> dict[str, Any]:
        return engine.status()

    @app.get("/reconcile")
    async def last_reconciliation() -> dict[str, Any]:
        """The last on-demand pass (scheduled passes act on their own findings)."""
        return engine.reconciliation_summary()

    @app.post("/reconcile")
    async def reconcile() -> dict[str, Any]:
        """Reconcile everything now: channels, engine and back office, at the flows' lowest
        priority; repairs what it can, the rest goes to the exception queue."""
        return await engine.reconcile_now()

    @app.get("/metrics")
    async def metrics() -> Response:
        engine.status()  # refresh the queue-depth gauges
        return Response(engine.metrics.render(), media_type="text/plain; version=0.0.4")

    return app

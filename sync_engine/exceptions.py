"""The exception queue's face: triage routes and alerts.

Records the engine cannot process are held in the store with a reason, a fingerprint, an owner
(the flow), a state (new / recurring / resolved / ignored) and counts. Here operators list them,
replay a fingerprint once its cause is fixed (say the SKU now exists in the ERP), resolve or
ignore it; and an alert is POSTed to a configured URL the first time a fingerprint appears and
again when it reaches a threshold, so a silent 80%-sync never runs for six weeks.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from sync_engine.engine import Engine

STATES = ("new", "recurring", "resolved", "ignored")


class AlertSettings(BaseModel):
    """Where and when to raise alerts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    """POST target; None disables alerts."""
    threshold: int = Field(10, ge=1)
    """A fingerprint alerts again when its count reaches this."""
    attempts: int = Field(3, ge=1)
    """Delivery attempts per alert; an alert sink that is down never blocks the sync."""


class AlertNotifier:
    """Sends alerts in the background; counts what was sent and what could not be."""

    def __init__(
        self,
        settings: AlertSettings,
        engine: Engine,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.transport = transport
        self.sent = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None

    def on_exception(self, fingerprint: str) -> None:
        """Called after a record was held under ``fingerprint``."""
        if not self.settings.url:
            return
        row = next(
            (e for e in self.engine.store.exceptions() if e["fingerprint"] == fingerprint), None
        )
        if row is None:
            return
        count = int(row["count"])
        if count == 1:
            kind = "new"
        elif count == self.settings.threshold:
            kind = "threshold"
        else:
            return
        task = asyncio.create_task(self._send({**row, "alert": kind}))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, payload: dict[str, Any]) -> None:
        url = self.settings.url
        if not url:
            return
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0, transport=self.transport)
        for attempt in range(self.settings.attempts):
            try:
                response = await self._client.post(url, json=payload)
                if response.is_success:
                    self.sent += 1
                    return
            except httpx.HTTPError:
                pass
            await self.engine.clock.sleep(2.0**attempt)
        self.failed += 1

    async def drain(self) -> None:
        """Wait for the alerts already raised to be delivered (or given up)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()


def exceptions_router(engine: Engine) -> APIRouter:
    """``GET /exceptions``, ``POST /exceptions/{fingerprint}/replay|resolve|ignore``."""
    router = APIRouter(prefix="/exceptions", tags=["exception queue"])

    @router.get("")
    async def list_exceptions(state: str | None = None, flow: str | None = None) -> JSONResponse:
        if state is not None and state not in STATES:
            return JSONResponse(
                {"error": f"state must be one of {', '.join(STATES)}, got {state!r}"}, 400
            )
        return JSONResponse({"exceptions": engine.store.exceptions(state=state, flow=flow)})

    @router.get("/records")
    async def held_records() -> JSONResponse:
        """Every record held now, one row each: what "surfaced" means to the checkers."""
        return JSONResponse(
            {"records": engine.store.held_records(), "jobs": engine.store.held_jobs()}
        )

    @router.post("/{fingerprint}/replay")
    async def replay(fingerprint: str) -> JSONResponse:
        # The usual fix is in the back office (the missing item now exists): read it first,
        # or the replayed orders would meet the stale catalogue again.
        await engine.refresh_catalogue()
        requeued = engine.store.replay_exceptions(fingerprint, engine.clock.now())
        if requeued == 0 and not _known(engine, fingerprint):
            return JSONResponse({"error": f"no exception with fingerprint {fingerprint}"}, 404)
        return JSONResponse({"fingerprint": fingerprint, "requeued": requeued})

    for action, state in (("resolve", "resolved"), ("ignore", "ignored")):

        def make(target: str) -> Any:
            async def change(fingerprint: str) -> JSONResponse:
                if not engine.store.set_exception_state(fingerprint, target, engine.clock.now()):
                    return JSONResponse(
                        {"error": f"no exception with fingerprint {fingerprint}"}, 404
                    )
                return JSONResponse({"fingerprint": fingerprint, "state": target})

            return change

        router.add_api_route(f"/{{fingerprint}}/{action}", make(state), methods=["POST"])

    return router


def _known(engine: Engine, fingerprint: str) -> bool:
    return any(e["fingerprint"] == fingerprint for e in engine.store.exceptions())

"""The ``/_mock/`` control routes every mock shares: reset, seed, state, stats.

Never authenticated and never throttled: checkers read ground truth here without spending the
budget the engine is being measured against.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.common.money import loads_exact
from simclock import VirtualClock


class Controllable(Protocol):
    """What a platform model offers the control routes."""

    def reset(self) -> None: ...

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]: ...

    def state(self) -> dict[str, Any]: ...

    def stats(self) -> dict[str, Any]: ...


class SeedError(ValueError):
    """A seed payload that cannot be applied; the message says which field and why."""


def admin_router(get_model: Any) -> APIRouter:
    """Build the control router; ``get_model(request)`` returns the app's model."""
    router = APIRouter(prefix="/_mock", include_in_schema=True, tags=["mock control"])

    @router.post("/reset")
    async def reset(request: Request) -> dict[str, str]:
        get_model(request).reset()
        # State an app keeps beside its model (e.g. a GraphQL cost bucket) resets with it.
        for extra in getattr(request.app.state, "resettables", ()):
            extra.reset()
        return {"status": "reset"}

    @router.post("/seed")
    async def seed(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            payload = loads_exact(raw or b"{}")
        except ValueError as exc:
            return JSONResponse({"error": f"seed body is not JSON: {exc}"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "seed body must be a JSON object"}, status_code=400)
        try:
            return JSONResponse(get_model(request).seed(payload))
        except (SeedError, KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": f"invalid seed: {exc}"}, status_code=422)

    @router.get("/state")
    async def state(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = get_model(request).state()
        return result

    @router.get("/clock")
    async def clock_now(request: Request) -> dict[str, Any]:
        clock = get_model(request).clock
        return {
            "now": clock.now(),
            "time_scale": clock.time_scale,
            "virtual": isinstance(clock, VirtualClock),
        }

    @router.post("/clock")
    async def clock_advance(request: Request) -> JSONResponse:
        """Move a virtual clock forward: time control in server mode, which moto lacks."""
        clock = get_model(request).clock
        if not isinstance(clock, VirtualClock):
            return JSONResponse(
                {
                    "error": "this mock runs on real time; start it with a virtual clock "
                    '(config "clock": {"virtual": true}) to control time'
                },
                status_code=409,
            )
        try:
            payload = loads_exact(await request.body() or b"{}")
            seconds = float(payload["advance"])
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse(
                {"error": f'body must be {{"advance": seconds}}: {exc}'}, status_code=400
            )
        if seconds < 0 or seconds != seconds:
            return JSONResponse({"error": "advance must be a number >= 0"}, status_code=400)
        clock.advance(seconds)
        return JSONResponse({"now": clock.now()})

    @router.get("/stats")
    async def stats(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = get_model(request).stats()
        return result

    return router

"""The ``/_mock/`` control routes every mock shares: reset, seed, state, stats.

Never authenticated and never throttled: checkers read ground truth here without spending the
budget the engine is being measured against.
"""

from __future__ import annotations

from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.common.money import loads_exact


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

    @router.get("/stats")
    async def stats(request: Request) -> dict[str, Any]:
        result: dict[str, Any] = get_model(request).stats()
        return result

    return router

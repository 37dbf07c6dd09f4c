"""The warehouse and the control panel: ``/_sim/`` and the ERP's own ``/_mock/`` routes.

Never authenticated, never governed, never counted as API calls:
- ``POST /_sim/stock-movement`` ``{sku, location_id, delta, reason}``: goods received or sold
  by another channel (never beyond available: 409).
- ``POST /_sim/ship`` ``{max_orders?, min_age_seconds?, location_id?, ship_status?}``: warehouse
  staff fulfil the oldest open orders with a seeded carrier and tracking number; answers
  ``{"fulfillments": [...]}`` as ``/_mock/state`` shows them.
- ``POST /_mock/token`` ``{"access_token"?}``: make a token valid (a new seeded one if none is
  given) after ``revoke_credentials``; answers ``{"access_token"}``.
- ``GET|POST /_mock/maintenance``: read the schedule, or set it (``{"windows": [[start, end],
  ...]}`` offsets from the mock's origin, replacing) or open a window now (``{"duration":
  seconds | null}``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.erp.access import AccessTokens
from mocks.erp.errors import InvalidMovement
from mocks.erp.fulfilment import fulfilment_state
from mocks.erp.schemas_sim import parse_maintenance, parse_ship_request
from mocks.erp.wire import json_body, model_of, optional_json_body


def build_control_router() -> APIRouter:
    """``/_sim/`` and the ERP-specific ``/_mock/`` routes."""
    router = APIRouter()

    @router.post("/_sim/stock-movement")
    async def stock_movement(request: Request) -> JSONResponse:
        """Stock received, or sold by another channel (never beyond available)."""
        body = await json_body(request, InvalidMovement)
        return JSONResponse(model_of(request).inventory.stock_movement(body))

    @router.post("/_sim/ship")
    async def ship(request: Request) -> JSONResponse:
        """The warehouse ships the oldest open orders."""
        raw = await request.body()
        body: Any = await json_body(request, InvalidMovement) if raw.strip() else {}
        made = model_of(request).fulfilments.ship_oldest(parse_ship_request(body))
        return JSONResponse({"fulfillments": [fulfilment_state(f) for f in made]})

    @router.post("/_mock/token")
    async def token(request: Request) -> JSONResponse:
        """Issue a bearer token (the given one, or a new seeded one)."""
        tokens: AccessTokens = request.app.state.tokens
        body = await optional_json_body(request)
        wanted = body.get("access_token") if isinstance(body, dict) else None
        if wanted is not None and (not isinstance(wanted, str) or not wanted.strip()):
            raise InvalidMovement(
                f"access_token must be a non-empty string, got {wanted!r}", field="access_token"
            )
        return JSONResponse({"access_token": tokens.issue(wanted)})

    @router.get("/_mock/maintenance")
    async def maintenance_state(request: Request) -> JSONResponse:
        """The maintenance schedule and whether a window is open now."""
        return JSONResponse(model_of(request).maintenance.state())

    @router.post("/_mock/maintenance")
    async def maintenance(request: Request) -> JSONResponse:
        """Replace the schedule, or open a window starting now."""
        schedule = model_of(request).maintenance
        body = await json_body(request, InvalidMovement)
        windows = parse_maintenance(body, now_offset=schedule.offset())
        if "windows" in body:
            schedule.replace(windows)
        else:
            schedule.add(windows)
        return JSONResponse(schedule.state())

    return router

"""HTTP face of the NetSuite-style ERP mock: thin FastAPI routes over :class:`ErpModel`.

Governance (bearer auth, the concurrency limit and the simulated latency) is one pure ASGI
middleware wrapped around every ``/services/rest/`` request, so it holds the limiter slot for
the whole request, latency included, and counts every response, rejected ones too. Errors
raised by the model are rendered to NetSuite's wire body by one exception handler.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mocks.common.admin import admin_router
from mocks.common.concurrency import ConcurrencyLimitExceeded
from mocks.common.money import loads_exact
from mocks.erp.constants import RECORD_PREFIX, REST_PREFIX, ErpSettings
from mocks.erp.errors import (
    ConcurrencyLimit,
    ErpError,
    InvalidContent,
    InvalidLogin,
    InvalidMovement,
    InvalidParameter,
)
from mocks.erp.models import ErpModel, RequestKind
from mocks.erp.schemas import parse_inventory_query
from simclock import Clock


def error_response(exc: ErpError) -> JSONResponse:
    """The one rendering of an :class:`ErpError` (NetSuite body, or ours on ``/_sim/``)."""
    return JSONResponse(exc.body(), status_code=exc.status)


class GovernanceMiddleware:
    """Auth, then a concurrency slot held through latency and handler, for /services/rest/."""

    def __init__(self, app: ASGIApp, *, model: ErpModel, clock: Clock, access_token: str) -> None:
        self.app = app
        self.model = model
        self.clock = clock
        self._expected = f"bearer {access_token}".encode()

    def _authorized(self, scope: Scope) -> bool:
        for name, value in scope["headers"]:
            if name == b"authorization":
                # The scheme is case-insensitive (RFC 9110); the token is compared in constant time.
                scheme, _, token = value.partition(b" ")
                return hmac.compare_digest(scheme.lower() + b" " + token.strip(), self._expected)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(REST_PREFIX):
            await self.app(scope, receive, send)
            return
        kind: RequestKind = "read" if scope["method"] in ("GET", "HEAD") else "write"
        statuses: list[int] = []
        latency: float | None = None

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(int(message["status"]))
            await send(message)

        try:
            # A refused login never takes a slot: it is turned away before governance.
            if not self._authorized(scope):
                await error_response(InvalidLogin())(scope, receive, recording_send)
                return
            try:
                async with self.model.limiter:
                    latency = self.model.draw_latency(kind)
                    await self.clock.sleep(latency)
                    await self.app(scope, receive, recording_send)
            except ConcurrencyLimitExceeded:
                # NetSuite rejects the request over the limit at once; it does not queue it.
                await error_response(ConcurrencyLimit())(scope, receive, recording_send)
        finally:
            self.model.record_call(statuses[0] if statuses else 500, kind, latency)


async def _json_body(request: Request, error: type[InvalidContent] | type[InvalidMovement]) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise error("Invalid content: the request body is empty; expected a JSON object.")
    try:
        return loads_exact(raw)
    except ValueError as exc:
        raise error(f"Invalid content: the request body is not valid JSON ({exc}).") from exc


def _page_links(request: Request, *, offset: int, limit: int, total: int) -> list[dict[str, str]]:
    def at(new_offset: int) -> str:
        return str(request.url.include_query_params(limit=limit, offset=new_offset))

    links = [{"rel": "self", "href": str(request.url)}]
    if offset + limit < total:
        links.append({"rel": "next", "href": at(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "href": at(max(0, offset - limit))})
    links.append({"rel": "first", "href": at(0)})
    if total:
        links.append({"rel": "last", "href": at(((total - 1) // limit) * limit)})
    return links


def create_app(
    *,
    settings: dict[str, Any] | None = None,
    clock: Clock,
    credentials: dict[str, Any],
    seed: int = 0,
) -> FastAPI:
    """Build the ERP mock; state is created here, not in a lifespan (ASGITransport runs none)."""
    erp_settings = ErpSettings.from_overrides(settings)
    access_token = credentials.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise ValueError("credentials.access_token is required for the ERP mock")
    model = ErpModel(settings=erp_settings, clock=clock, seed=seed)

    app = FastAPI(title="Rehearsal ERP mock (NetSuite-style)")
    app.state.model = model
    app.state.limiter = model.limiter
    app.state.settings = erp_settings
    app.state.clock = clock
    app.add_middleware(GovernanceMiddleware, model=model, clock=clock, access_token=access_token)

    async def handle_erp_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ErpError)
        return error_response(exc)

    app.add_exception_handler(ErpError, handle_erp_error)
    app.include_router(admin_router(lambda request: request.app.state.model))

    @app.put(f"{RECORD_PREFIX}/salesOrder/{{ref}}", status_code=204)
    async def upsert_sales_order(ref: str, request: Request) -> Response:
        """Idempotent upsert by external id; 204 with the record's Location."""
        if not ref.startswith("eid:"):
            raise InvalidParameter(
                "Upsert requires an external ID in the URL: salesOrder/eid:{externalId}."
            )
        body = await _json_body(request, InvalidContent)
        order, _created = model.upsert_sales_order(ref[4:], body)
        location = f"{str(request.base_url).rstrip('/')}{RECORD_PREFIX}/salesOrder/{order.id}"
        return Response(status_code=204, headers={"Location": location})

    @app.get(f"{RECORD_PREFIX}/salesOrder/{{ref}}")
    async def get_sales_order(ref: str, request: Request) -> JSONResponse:
        """A sales order by internal id or ``eid:{externalId}``."""
        order = model.get_sales_order(ref)
        record = {"links": [{"rel": "self", "href": str(request.url)}]}
        return JSONResponse({**record, **model.sales_order_record(order)})

    @app.get(f"{RECORD_PREFIX}/inventoryItem")
    async def list_inventory_items(request: Request) -> JSONResponse:
        """Inventory items, optionally changed since a time, oldest change first, paged."""
        params = request.query_params
        query = parse_inventory_query(
            params.get("q"), params.get("limit"), params.get("offset"), erp_settings
        )
        page = model.query_inventory(query)
        return JSONResponse(
            {
                "links": _page_links(
                    request, offset=page.offset, limit=page.limit, total=page.total
                ),
                "count": len(page.items),
                "hasMore": page.has_more,
                "offset": page.offset,
                "totalResults": page.total,
                "items": page.items,
            }
        )

    @app.post("/_sim/stock-movement")
    async def stock_movement(request: Request) -> JSONResponse:
        """Stock received, or sold by another channel (never beyond available)."""
        body = await _json_body(request, InvalidMovement)
        return JSONResponse(model.stock_movement(body))

    return app

"""FastAPI routes of the Shopify mock: read parameters, make one model call, serialise.

Auth, the leaky bucket and the version/limit headers live in :class:`~mocks.shopify.gate.AdminGate`;
errors raised anywhere become wire responses in the one handler below.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mocks.common.admin import admin_router
from mocks.common.webhooks import WebhookOutbox
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.errors import ShopifyMockError
from mocks.shopify.gate import AdminGate, requested_api_version
from mocks.shopify.models import ShopifyModel
from mocks.shopify.pagination import Page
from mocks.shopify.schemas import (
    INVENTORY_LEVEL_FILTERS,
    ORDER_FILTERS,
    ListRequest,
    parse_checkout,
    parse_inventory_change,
    parse_json_object,
    parse_list_request,
    parse_webhook_create,
)
from simclock import Clock

ADMIN_PATH = "/admin/api/{version}"


def _model(request: Request) -> ShopifyModel:
    model: ShopifyModel = request.app.state.model
    return model


def _list_request(request: Request, resource: str, filters: tuple[str, ...]) -> ListRequest:
    settings = _model(request).settings
    return parse_list_request(
        request.query_params,
        resource=resource,
        filter_names=filters,
        default_limit=settings.page_limit_default,
        max_limit=settings.page_limit_max,
    )


def _select_fields(items: list[dict[str, Any]], fields: str | None) -> list[dict[str, Any]]:
    """Shopify's ``fields=id,name``: keep only the named top-level keys."""
    if not fields:
        return items
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return [{k: v for k, v in item.items() if k in wanted} for item in items]


def _paged(request: Request, key: str, page: Page[dict[str, Any]], limit: int) -> JSONResponse:
    """The page body plus Shopify's ``Link`` header (absent when there is a single page)."""
    base = str(request.url.replace(query=""))
    links = []
    for cursor, rel in ((page.prev_cursor, "previous"), (page.next_cursor, "next")):
        if cursor is not None:
            query = urlencode({"page_info": cursor.encode(), "limit": limit})
            links.append(f'<{base}?{query}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links else None
    items = _select_fields(page.items, request.query_params.get("fields"))
    return JSONResponse({key: items}, headers=headers)


async def _body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body(), admin=True)


def build_admin_router() -> APIRouter:
    """Routes under ``/admin/api/{version}/`` (the version is handled by the gate)."""
    router = APIRouter(prefix=ADMIN_PATH)

    @router.get("/locations.json")
    async def locations(request: Request) -> dict[str, Any]:
        return {"locations": _model(request).list_locations()}

    @router.get("/products.json")
    async def products(request: Request) -> JSONResponse:
        req = _list_request(request, "products", ())
        return _paged(request, "products", _model(request).list_products(req), req.limit)

    @router.get("/inventory_levels.json")
    async def inventory_levels(request: Request) -> JSONResponse:
        req = _list_request(request, "inventory_levels", INVENTORY_LEVEL_FILTERS)
        page = _model(request).list_inventory_levels(req)
        return _paged(request, "inventory_levels", page, req.limit)

    @router.post("/inventory_levels/set.json")
    async def inventory_set(request: Request) -> dict[str, Any]:
        change = parse_inventory_change(await _body(request), value_field="available")
        return {"inventory_level": _model(request).set_inventory_level(change)}

    @router.post("/inventory_levels/adjust.json")
    async def inventory_adjust(request: Request) -> dict[str, Any]:
        change = parse_inventory_change(await _body(request), value_field="available_adjustment")
        return {"inventory_level": _model(request).adjust_inventory_level(change)}

    @router.get("/orders.json")
    async def orders(request: Request) -> JSONResponse:
        req = _list_request(request, "orders", ORDER_FILTERS)
        return _paged(request, "orders", _model(request).list_orders(req), req.limit)

    # Declared before orders/{order_id}.json, which would otherwise capture "count".
    @router.get("/orders/count.json")
    async def orders_count(request: Request) -> dict[str, int]:
        filters = {k: v for k, v in request.query_params.items() if k in ORDER_FILTERS}
        return {"count": _model(request).count_orders(filters)}

    @router.get("/orders/{order_id}.json")
    async def order(request: Request, order_id: str) -> JSONResponse:
        resource = _model(request).get_order(order_id)
        return JSONResponse(
            {"order": _select_fields([resource], request.query_params.get("fields"))[0]}
        )

    @router.post("/webhooks.json", status_code=201)
    async def webhook_create(request: Request) -> dict[str, Any]:
        body = parse_webhook_create(await _body(request))
        model = _model(request)
        version = model.settings.resolve_api_version(requested_api_version(request.url.path))
        return {"webhook": model.create_webhook(body, api_version=version)}

    @router.get("/webhooks.json")
    async def webhooks(request: Request) -> dict[str, Any]:
        return {"webhooks": _model(request).list_webhooks()}

    @router.delete("/webhooks/{webhook_id}.json")
    async def webhook_delete(request: Request, webhook_id: str) -> dict[str, Any]:
        _model(request).delete_webhook(webhook_id)
        return {}

    return router


def build_sim_router() -> APIRouter:
    """The storefront: no auth, no bucket."""
    router = APIRouter(prefix="/_sim")

    @router.post("/checkout", status_code=201)
    async def checkout(request: Request) -> dict[str, Any]:
        req = parse_checkout(parse_json_object(await request.body(), admin=False))
        return {"order": _model(request).checkout(req)}

    return router


async def _mock_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShopifyMockError)
    return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers or None)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes and wrong methods answer in Shopify's body shape, not FastAPI's.
    assert isinstance(exc, StarletteHTTPException)
    message = "Not Found" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse({"errors": message}, status_code=exc.status_code, headers=exc.headers)


def create_app(
    *,
    settings: Mapping[str, Any] | None = None,
    clock: Clock,
    credentials: Mapping[str, str] | None = None,
    seed: int = 0,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the Shopify mock. State is built here, eagerly; the lifespan only runs the outbox."""
    config = ShopifySettings.from_overrides(settings or {})
    outbox = WebhookOutbox(
        clock=clock,
        seed=seed,
        retry_schedule=config.webhook_retry_schedule,
        drop_rate=config.webhook_drop_rate,
        duplicate_rate=config.webhook_duplicate_rate,
        concurrency=config.webhook_concurrency,
        timeout_seconds=config.webhook_timeout_seconds,
        transport=webhook_transport,
        name="shopify:webhooks",
    )
    model = ShopifyModel(
        settings=config, clock=clock, credentials=credentials or {}, seed=seed, outbox=outbox
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = asyncio.create_task(outbox.run(), name="shopify-webhook-outbox")
        try:
            yield
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await outbox.aclose()

    app = FastAPI(title="Rehearsal Shopify mock", lifespan=lifespan)
    app.state.model = model
    app.state.outbox = outbox
    app.state.settings = config
    app.include_router(build_admin_router())
    app.include_router(build_sim_router())
    app.include_router(admin_router(_model))
    app.add_exception_handler(ShopifyMockError, _mock_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(AdminGate, model=model)
    return app

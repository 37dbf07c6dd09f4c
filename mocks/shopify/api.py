"""FastAPI routes of the Shopify mock: read parameters, make one model call, serialise.

Auth, the leaky bucket and the version/limit headers live in :class:`~mocks.shopify.gate.AdminGate`;
errors raised anywhere become wire responses in the one handler below. The shared fault plan
(``mocks/common/faults.py``, docs/faults.md) sits outside the gate on ``/admin/``; its injected
answers use Shopify's ``{"errors": "..."}`` body (PLATFORMS 1.1): 401 with the invalid-token
text, 423 locked, 429 with the throttle text and ``Retry-After`` (the setting), any other
status with the rule's detail or the reason phrase (*5xx bodies are our choice: Shopify's own
vary by edge).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mocks.common.admin import admin_router
from mocks.common.fault_rules import default_detail
from mocks.common.faults import install_fault_plan
from mocks.common.webhooks import WebhookOutbox, outbox_lifespan
from mocks.shopify.constants import (
    INVALID_TOKEN_MESSAGE,
    LOCKED_MESSAGE,
    THROTTLED_MESSAGE,
    ShopifySettings,
)
from mocks.shopify.errors import ShopifyMockError
from mocks.shopify.gate import AdminGate, requested_api_version
from mocks.shopify.graphql import graphql_router
from mocks.shopify.graphql.runtime import runtime_for
from mocks.shopify.graphql.settings import GraphQLSettings
from mocks.shopify.models import ShopifyModel
from mocks.shopify.pagination import Page
from mocks.shopify.rest import build_more_admin_routes, build_more_sim_routes
from mocks.shopify.routing import (
    ADMIN_PATH,
    _body,
    _list_request,
    _model,
    _paged,
    render_orders_response,
)
from mocks.shopify.schemas import (
    INVENTORY_LEVEL_FILTERS,
    ORDER_FILTERS,
    parse_checkout,
    parse_inventory_change,
    parse_json_object,
    parse_webhook_create,
)
from simclock import Clock


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
        page = _model(request).list_orders(req)
        shown, headers = render_orders_response(request, page.items)
        rendered = Page(items=shown, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)
        return _paged(request, "orders", rendered, req.limit, headers)

    # Declared before orders/{order_id}.json, which would otherwise capture "count".
    @router.get("/orders/count.json")
    async def orders_count(request: Request) -> dict[str, int]:
        filters = {k: v for k, v in request.query_params.items() if k in ORDER_FILTERS}
        return {"count": _model(request).count_orders(filters)}

    @router.get("/orders/{order_id}.json")
    async def order(request: Request, order_id: str) -> JSONResponse:
        resource = _model(request).get_order(order_id)
        shown, headers = render_orders_response(request, [resource])
        return JSONResponse({"order": shown[0]}, headers=headers)

    build_more_admin_routes(router)

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

    build_more_sim_routes(router)
    return router


async def _mock_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShopifyMockError)
    return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers or None)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes and wrong methods answer in Shopify's body shape, not FastAPI's.
    assert isinstance(exc, StarletteHTTPException)
    message = "Not Found" if exc.status_code == 404 else str(exc.detail)
    return JSONResponse({"errors": message}, status_code=exc.status_code, headers=exc.headers)


def fault_renderer(config: ShopifySettings) -> Callable[[int, str], Response]:
    """``render_fault`` for the fault plan: Shopify's body and headers for an injected status."""
    rate = int(config.leak_rate) if float(config.leak_rate).is_integer() else config.leak_rate
    canonical = {
        401: INVALID_TOKEN_MESSAGE,
        423: LOCKED_MESSAGE,
        429: THROTTLED_MESSAGE.format(rate=rate),
    }

    def render(status: int, detail: str) -> Response:
        message = canonical.get(status, detail) if detail == default_detail(status) else detail
        headers = {"Retry-After": f"{config.retry_after_seconds:.1f}"} if status == 429 else None
        return JSONResponse({"errors": message}, status_code=status, headers=headers)

    return render


def create_app(
    *,
    settings: Mapping[str, Any] | None = None,
    clock: Clock,
    credentials: Mapping[str, str] | None = None,
    seed: int = 0,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the Shopify mock. State is built here, eagerly; the lifespan only runs the outbox."""
    overrides = dict(settings or {})
    # GraphQL has its own budget and rules: scenarios set them under ``graphql``.
    graphql_config = GraphQLSettings.from_overrides(overrides.pop("graphql", None) or {})
    config = ShopifySettings.from_overrides(overrides)
    outbox = WebhookOutbox(
        clock=clock,
        seed=seed,
        retry_schedule=config.webhook_retry_schedule,
        drop_rate=config.webhook_drop_rate,
        duplicate_rate=config.webhook_duplicate_rate,
        delay_rate=config.webhook_delay_rate,
        delay_max_seconds=config.webhook_delay_max_seconds,
        reorder_rate=config.webhook_reorder_rate,
        reorder_max_seconds=config.webhook_reorder_max_seconds,
        concurrency=config.webhook_concurrency,
        timeout_seconds=config.webhook_timeout_seconds,
        transport=webhook_transport,
        name="shopify:webhooks",
    )
    model = ShopifyModel(
        settings=config, clock=clock, credentials=credentials or {}, seed=seed, outbox=outbox
    )

    app = FastAPI(
        title="Rehearsal Shopify mock", lifespan=outbox_lifespan(outbox, "shopify-webhook-outbox")
    )
    app.state.model = model
    app.state.outbox = outbox
    app.state.settings = config
    app.include_router(build_admin_router())
    app.include_router(build_sim_router())
    app.include_router(admin_router(_model))
    app.include_router(graphql_router(settings=graphql_config))
    app.state.resettables = [runtime_for(app.state, settings=graphql_config, clock=clock)]
    app.add_exception_handler(ShopifyMockError, _mock_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(AdminGate, model=model)
    app.state.render_fault = fault_renderer(config)
    install_fault_plan(app, clock=clock, seed=seed, api_prefixes=("/admin/",))
    return app

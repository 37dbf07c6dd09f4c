"""FastAPI routes of the SHOPLINE Open API mock: read parameters, make one model call, serialise.

Wire contract (PLATFORMS.md section 2; our modelling choices marked *):
- Base ``/admin/openapi/{vYYYYMMDD}/<endpoint>.json``; supported versions in the settings
  (default v20230901, v20240301, v20240901, v20250301); a well-formed unsupported version falls
  back to the newest supported one (PLATFORMS 2.3); a malformed one is a 404.
- *Version rename*: versions before ``updated_at_cutoff_version`` (default **v20240901**) spell
  every ``updated_at`` key of every resource ``update_at`` (PLATFORMS 2.5 documents the quirk
  for inventory levels without dating it); query filters keep ``updated_at_min/max``.
- ``Authorization: Bearer <token>``; tokens expire after ``token_ttl_seconds`` (10 h) on the
  injected clock; 401 ``{"errors": "..."}`` when missing, unknown or expired. ``POST
  /_mock/token`` rotates: a new token, the previous one valid ``token_grace_seconds`` (5 min).
- Every ``/admin/`` response has a ``traceId`` header (sent lower-case, as ASGI requires).
- Leaky bucket 40 at 4/s per app per store; 429 ``{"errors":"Too many request"}``.
  *Store lock*: ``lock_threshold`` 429s within ``lock_window_seconds`` -> 423 for
  ``lock_duration_seconds``.
- Faults: the shared fault plan (docs/faults.md) in front of the gate on ``/admin/``, read and
  changed at ``/_mock/faults`` (``PUT``/``POST {"rules": [...]}``, ``DELETE``). Injected answers
  are ``{"errors": ...}`` with a ``traceId``, SHOPLINE's wording for 401, 429 and
  402/423/433-436 (PLATFORMS 2.2). The setting ``faults`` (``[{"status", "rate", "route"}]``,
  402/423/433-436, ``route`` an fnmatch pattern after the version) installs ``error`` rules at
  start-up. ``revoke_token`` revokes every token; ``POST /_mock/token`` issues a working one.
- Pagination: ``limit`` default 50, 1..1000 (*above 1000 is a 400*), ``page_info`` cursor in a
  ``link`` header with full URLs, ``rel="previous"``/``rel="next"``; no header on a single page.
  *Lists are by id ascending* (SHOPLINE's first page is in ``since_id`` mode).
- Routes: ``locations.json``; ``products.json``; ``inventory_levels.json`` (optional
  ``inventory_item_ids``/``location_ids``); ``inventory_levels/set.json`` ``{inventory_item_id,
  location_id, available}``; ``inventory_levels/adjust.json`` ``{..., available_adjustment}``;
  ``orders.json`` and ``orders/count.json`` (status open|cancelled|hidden|any, default open;
  financial_status; fulfillment_status; order_source; since_id; created/updated_at_min/max);
  ``orders/{id}.json``; ``orders/{id}/fulfillments.json`` (GET the order's fulfilments, POST
  ``{"fulfillment": {"line_items"?, "tracking_number", "tracking_company", ...}}`` one; see
  ``fulfillments.py``); ``customers.json?email=|phone=`` and ``customers/{id}.json``;
  ``webhooks.json`` (POST ``{"webhook": {"topic", "address"}}`` -> 201, GET) and
  ``DELETE webhooks/{id}.json``. Ids are strings everywhere.
- ``POST /_sim/checkout`` ``{"lines": [{"sku"|"variant_id", "quantity"}], "email"?, "phone"?,
  "discount_code"?, "shipping"?, "location_id"?}`` -> 201 ``{"order"}``; 409 insufficient
  inventory (nothing decremented); 422 unknown sku/location/code. Creates or matches the
  customer by e-mail or phone and queues ``orders/create`` webhooks.
- *``POST /_sim/orders/{id}/cancel`` -> 200 ``{"order"}``: the merchant cancels an unshipped
  order (restocked; ``orders/cancelled`` + ``orders/update``); 404 unknown, 409 not cancellable.
- ``/_mock/`` reset, seed, state, stats (shared router), ``faults`` (shared) and ``token``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mocks.common.admin import admin_router
from mocks.common.faults import install_fault_plan
from mocks.common.webhooks import WebhookOutbox, outbox_lifespan
from mocks.shopify.pagination import Page
from mocks.shopline import constants as c
from mocks.shopline.constants import ShoplineSettings
from mocks.shopline.errors import InvalidRequest, ShoplineMockError
from mocks.shopline.fulfillments import cancel_order, create_fulfillment, list_fulfillments
from mocks.shopline.gate import OpenApiGate, fault_renderer
from mocks.shopline.models import ShoplineModel
from mocks.shopline.resources import versioned
from mocks.shopline.schemas import (
    CUSTOMER_FILTERS,
    INVENTORY_LEVEL_FILTERS,
    ORDER_FILTERS,
    ListRequest,
    parse_checkout,
    parse_fulfillment_create,
    parse_inventory_change,
    parse_json_object,
    parse_list_request,
    parse_webhook_create,
)
from simclock import Clock

ADMIN_PATH = "/admin/openapi/{version}"


def _model(request: Request) -> ShoplineModel:
    model: ShoplineModel = request.app.state.model
    return model


def _version(request: Request) -> str:
    return _model(request).settings.resolve_api_version(request.path_params["version"])


def _render(request: Request, body: dict[str, Any], **kwargs: Any) -> JSONResponse:
    """JSON in the spelling of the version that answers."""
    old = _model(request).settings.spells_update_at(_version(request))
    return JSONResponse(versioned(body, old_spelling=old), **kwargs)


def _list_request(request: Request, resource: str, filters: tuple[str, ...]) -> ListRequest:
    settings = _model(request).settings
    return parse_list_request(
        request.query_params,
        resource=resource,
        filter_names=filters,
        default_limit=settings.page_limit_default,
        max_limit=settings.page_limit_max,
    )


def _paged(request: Request, key: str, page: Page[dict[str, Any]], limit: int) -> JSONResponse:
    """The page body plus the ``link`` header (absent when there is a single page)."""
    base = str(request.url.replace(query=""))
    links = []
    for cursor, rel in ((page.prev_cursor, "previous"), (page.next_cursor, "next")):
        if cursor is not None:
            query = urlencode({"page_info": cursor.encode(), "limit": limit})
            links.append(f'<{base}?{query}>; rel="{rel}"')
    items = page.items
    if fields := request.query_params.get("fields"):
        wanted = {f.strip() for f in fields.split(",") if f.strip()}
        items = [{k: v for k, v in item.items() if k in wanted} for item in items]
    return _render(request, {key: items}, headers={"link": ", ".join(links)} if links else None)


async def _body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body(), admin=True)


def build_openapi_router() -> APIRouter:
    """Routes under ``/admin/openapi/{version}/`` (auth and budget are the gate's)."""
    router = APIRouter(prefix=ADMIN_PATH)

    @router.get("/locations.json")
    async def locations(request: Request) -> JSONResponse:
        return _render(request, {"locations": _model(request).list_locations()})

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
    async def inventory_set(request: Request) -> JSONResponse:
        change = parse_inventory_change(await _body(request), value_field="available")
        return _render(request, {"inventory_level": _model(request).set_inventory_level(change)})

    @router.post("/inventory_levels/adjust.json")
    async def inventory_adjust(request: Request) -> JSONResponse:
        change = parse_inventory_change(await _body(request), value_field="available_adjustment")
        level = _model(request).adjust_inventory_level(change)
        return _render(request, {"inventory_level": level})

    @router.get("/orders.json")
    async def orders(request: Request) -> JSONResponse:
        req = _list_request(request, "orders", ORDER_FILTERS)
        return _paged(request, "orders", _model(request).list_orders(req), req.limit)

    # Declared before orders/{order_id}.json, which would otherwise capture "count".
    @router.get("/orders/count.json")
    async def orders_count(request: Request) -> JSONResponse:
        filters = {k: v for k, v in request.query_params.items() if k in ORDER_FILTERS}
        return _render(request, {"count": _model(request).count_orders(filters)})

    @router.get("/orders/{order_id}.json")
    async def order(request: Request, order_id: str) -> JSONResponse:
        return _render(request, {"order": _model(request).get_order(order_id)})

    @router.get("/orders/{order_id}/fulfillments.json")
    async def fulfillments(request: Request, order_id: str) -> JSONResponse:
        return _render(request, {"fulfillments": list_fulfillments(_model(request), order_id)})

    @router.post("/orders/{order_id}/fulfillments.json")
    async def fulfillment_create(request: Request, order_id: str) -> JSONResponse:
        req = parse_fulfillment_create(await _body(request), max_tracking=c.MAX_TRACKING_INFOS)
        created = create_fulfillment(_model(request), order_id, req)
        return _render(request, {"fulfillment": created})

    @router.get("/customers.json")
    async def customers(request: Request) -> JSONResponse:
        req = _list_request(request, "customers", CUSTOMER_FILTERS)
        return _paged(request, "customers", _model(request).customers.list(req), req.limit)

    @router.get("/customers/{customer_id}.json")
    async def customer(request: Request, customer_id: str) -> JSONResponse:
        return _render(request, {"customer": _model(request).customers.get(customer_id)})

    @router.post("/webhooks.json")
    async def webhook_create(request: Request) -> JSONResponse:
        body = parse_webhook_create(await _body(request))
        sub = _model(request).create_webhook(body, api_version=_version(request))
        return _render(request, {"webhook": sub}, status_code=201)

    @router.get("/webhooks.json")
    async def webhooks(request: Request) -> JSONResponse:
        return _render(request, {"webhooks": _model(request).list_webhooks()})

    @router.delete("/webhooks/{webhook_id}.json")
    async def webhook_delete(request: Request, webhook_id: str) -> JSONResponse:
        _model(request).delete_webhook(webhook_id)
        return _render(request, {})

    return router


def build_sim_router() -> APIRouter:
    """The storefront: no auth, no bucket."""
    router = APIRouter(prefix="/_sim")

    @router.post("/checkout", status_code=201)
    async def checkout(request: Request) -> dict[str, Any]:
        req = parse_checkout(parse_json_object(await request.body(), admin=False))
        return {"order": _model(request).checkout(req)}

    @router.post("/orders/{order_id}/cancel")
    async def cancel(request: Request, order_id: str) -> dict[str, Any]:
        return {"order": cancel_order(_model(request), order_id)}

    return router


def build_control_router() -> APIRouter:
    """SHOPLINE-only ``/_mock/`` routes: token rotation."""
    router = APIRouter(prefix="/_mock", tags=["mock control"])

    @router.get("/token")
    async def token(request: Request) -> dict[str, Any]:
        tokens = _model(request).tokens
        return tokens.describe(tokens.current)

    @router.post("/token")
    async def rotate_token(request: Request) -> dict[str, Any]:
        """Refresh: ``{"access_token"?: str}``; the previous token lives on for the grace."""
        payload = parse_json_object(await request.body() or b"{}", admin=False)
        value = payload.get("access_token")
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidRequest("access_token must be a non-empty string")
        tokens = _model(request).tokens
        new, previous = tokens.rotate(value)
        return {**tokens.describe(new), "previous": tokens.describe(previous)}

    return router


async def _mock_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShoplineMockError)
    return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers or None)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes and wrong methods answer in SHOPLINE's body shape, not FastAPI's.
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
    """Build the SHOPLINE mock. State is built here, eagerly; the lifespan only runs the outbox."""
    config = ShoplineSettings.from_overrides(settings or {})
    outbox = WebhookOutbox(
        clock=clock,
        seed=seed,
        retry_schedule=config.webhook_retry_schedule,
        drop_rate=config.webhook_drop_rate,
        duplicate_rate=config.webhook_duplicate_rate,
        concurrency=config.webhook_concurrency,
        timeout_seconds=config.webhook_timeout_seconds,
        transport=webhook_transport,
        name="shopline:webhooks",
    )
    model = ShoplineModel(
        settings=config, clock=clock, credentials=credentials or {}, seed=seed, outbox=outbox
    )

    app = FastAPI(
        title="Rehearsal SHOPLINE mock", lifespan=outbox_lifespan(outbox, "shopline-webhook-outbox")
    )
    app.state.model = model
    app.state.outbox = outbox
    app.state.settings = config
    app.include_router(build_openapi_router())
    app.include_router(build_sim_router())
    app.include_router(admin_router(_model))
    app.include_router(build_control_router())
    app.add_exception_handler(ShoplineMockError, _mock_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(OpenApiGate, model=model, seed=seed)
    app.state.render_fault = fault_renderer(seed)
    app.state.revoke_credentials = model.tokens.revoke_all
    # Outermost, so a faulted call needs no token and spends no budget.
    rules = [rule.as_plan_rule() for rule in config.faults]
    install_fault_plan(app, clock=clock, seed=seed, rules=rules, api_prefixes=("/admin/",))
    return app

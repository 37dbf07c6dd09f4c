"""FastAPI app of the Shopware 6 mock: wiring, error rendering, storefront and control routes.

Wire contract (PLATFORMS.md section 3; our modelling choices marked *):
- ``POST /api/oauth/token`` (form or JSON): ``grant_type=client_credentials``, ``client_id``,
  ``client_secret`` -> ``{"token_type": "Bearer", "expires_in": 600, "access_token"}``; no
  refresh token. Tokens expire after ``token_ttl_seconds`` on the injected clock. The route is
  limited per client IP (``oauth_rate_limit`` 10 per ``oauth_rate_window_seconds`` 60, the SaaS
  figure): 429 ``FRAMEWORK__RATE_LIMIT_EXCEEDED`` with ``meta.parameters.seconds`` and
  ``Retry-After``. Every other ``/api/`` route needs the bearer token (401 League code ``"9"``
  otherwise); Admin CRUD is not limited unless ``admin_rate_limit`` > 0*.
- Errors: ``{"errors": [{"code", "status": "<string>", "title", "detail", "source"?: {"pointer"},
  "meta": {"parameters"}}]}`` (see ``errors.py``); malformed JSON is 400 code ``"0"``.
- Entities: ``product``, ``customer``, ``order`` (read, create*, patch, delete), and read-only
  ``order-line-item``, ``order-delivery``, ``order-transaction``, ``tax``, ``currency``,
  ``promotion``. ``GET /api/{entity}`` (``page``, ``limit``, ``sort``, ``filter[field]``,
  ``total-count-mode``), ``GET /api/{entity}/{id}``, ``POST /api/search/{entity}`` (criteria:
  ``criteria.py``) -> ``{"total", "data", "aggregations"}``; ``POST``/``PATCH`` answer 204 with
  ``Location`` (200 ``{"data"}`` with ``?_response=detail``), ``DELETE`` 204. Shopware's default
  JSON:API format is not modelled*: answers are always ``application/json`` shapes.
- ``POST /api/_action/sync``: see ``sync.py`` (payload limit*, simulated cost*, atomicity).
- Orders: ``POST /api/_action/order/{id}/state/{process|complete|cancel|reopen}``,
  ``POST /api/_action/order/{id}/recalculate``, versions ``POST /api/_action/version/order/{id}``
  -> ``{"versionId"}``, ``sw-version-id`` on reads and PATCH, ``POST
  /api/_action/version/merge/order/{versionId}``, ``POST /api/_action/version/{versionId}/order/
  {id}`` (drop a draft); see ``orders.py``.
- Deliveries (writable despite the list above): ``PATCH /api/order-delivery/{id}``
  (``trackingCodes``; 204 like every write) and
  ``POST /api/_action/order_delivery/{id}/state/{ship|ship_partially|retour|retour_partially|
  cancel|reopen}`` -> ``{"data": stateMachineState}``; see ``deliveries.py``.
- ``POST /_sim/checkout`` ``{"lines": [{"productNumber", "quantity", "options"?}], "email"?,
  "guest"? (default true), "promotion_code"?, "custom_lines"?: [{"type": custom|credit|container,
  "label", "quantity"?, "unitPrice"?, "taxRate"?, "children"?}], "shipping"?, "paid"?}`` -> 201
  ``{"order"}``; 409 ``CHECKOUT__PRODUCT_STOCK_REACHED`` (closeout, nothing decremented); 422
  unknown productNumber, promotion code or shipping method.
- ``/_mock/`` reset, seed, state, stats, clock (shared router) plus ``webhooks`` (POST
  ``{"event", "url", "name"?, "onlyLiveVersion"?}`` -> 201, GET, DELETE ``/{id}``),
  ``webhooks/deliveries`` (GET), ``webhooks/deliver`` (POST: attempt every due delivery now) and
  ``revoke`` (POST: invalidate every token) and ``settings`` (POST: switch the runtime
  quirks ``closeout_stock_write``, ``enable_stock_management``, ``sync_*``; reset restores).
- Fault hooks: ``app.state.render_fault(status, detail)`` answers Shopware's body for an
  injected 401/429/500/503 (an nginx HTML page for 502/504, as the proxy in front answers);
  ``app.state.revoke_credentials()``; ``app.state.outbox``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mocks.common.admin import admin_router
from mocks.common.faults import install_fault_plan
from mocks.common.webhooks import WebhookOutbox, outbox_lifespan
from mocks.shopware.constants import ShopwareSettings
from mocks.shopware.errors import (
    InvalidRequest,
    MethodNotAllowed,
    RouteNotFound,
    ShopwareError,
    error_response,
    fault_error,
    nginx_page,
)
from mocks.shopware.gate import AdminGate
from mocks.shopware.models import ShopwareModel
from mocks.shopware.routes import build_admin_router, model_of
from mocks.shopware.schemas import parse_checkout, parse_object
from simclock import Clock


def build_sim_router() -> APIRouter:
    """The storefront: no auth, no limit."""
    router = APIRouter(prefix="/_sim")

    @router.post("/checkout", status_code=201)
    async def checkout(request: Request) -> dict[str, Any]:
        model = model_of(request)
        req = parse_checkout(parse_object(await request.body(), status=422))
        order = model.checkout(req)
        return {"order": model.order_doc(order, None)}

    return router


def build_control_router() -> APIRouter:
    """Shopware-only ``/_mock/`` routes: webhook subscriptions and delivery, token revocation."""
    router = APIRouter(prefix="/_mock", tags=["mock control"])

    @router.post("/webhooks", status_code=201)
    async def subscribe(request: Request) -> dict[str, Any]:
        body = parse_object(await request.body(), status=422)
        event, url = body.get("event"), body.get("url")
        if not isinstance(event, str) or not isinstance(url, str):
            raise InvalidRequest("event and url must be strings", pointer="/event", status=422)
        try:
            sub = model_of(request).notifier.subscribe(
                event=event,
                url=url,
                name=body.get("name") if isinstance(body.get("name"), str) else None,
                only_live_version=body.get("onlyLiveVersion") is True,
            )
        except ShopwareError as exc:
            raise exc.with_status(422) from None
        return {"id": sub.id, "name": sub.name, "event": sub.event, "url": sub.url}

    @router.get("/webhooks")
    async def subscriptions(request: Request) -> dict[str, Any]:
        subs = model_of(request).notifier.subscriptions.values()
        return {
            "webhooks": [{"id": s.id, "name": s.name, "event": s.event, "url": s.url} for s in subs]
        }

    @router.get("/webhooks/deliveries")
    async def deliveries(request: Request) -> dict[str, Any]:
        outbox: WebhookOutbox = model_of(request).outbox
        return {
            "deliveries": [
                {
                    "eventId": d.delivery_id,
                    "event": d.topic,
                    "url": d.address,
                    "status": d.status.value,
                    "attempts": d.attempts,
                    "statuses": d.statuses,
                    "next_attempt_at": d.next_attempt_at,
                }
                for d in outbox.deliveries.values()
            ]
        }

    @router.post("/webhooks/deliver")
    async def deliver(request: Request) -> dict[str, int]:
        """Attempt every delivery due now (in-process tests have no outbox worker)."""
        return {"attempted": await model_of(request).outbox.deliver_due()}

    @router.delete("/webhooks/{sub_id}", status_code=204)
    async def unsubscribe(request: Request, sub_id: str) -> Response:
        if not model_of(request).notifier.unsubscribe(sub_id):
            raise ShopwareError(f'Webhook "{sub_id}" not found.', status=404)
        return Response(status_code=204)

    @router.post("/settings")
    async def change_settings(request: Request) -> dict[str, Any]:
        """Switch runtime quirks: ``{"closeout_stock_write": "reject", ...}``."""
        body = parse_object(await request.body(), status=422)
        try:
            return model_of(request).change_settings(body)
        except ValueError as exc:
            raise InvalidRequest(str(exc), pointer="/", status=422) from None

    @router.post("/revoke")
    async def revoke(request: Request) -> dict[str, int]:
        model = model_of(request)
        model.revoke_credentials()
        return {"revocations": model.revocations}

    return router


async def _shopware_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ShopwareError)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown routes and wrong methods answer in Shopware's body shape, not FastAPI's.
    assert isinstance(exc, StarletteHTTPException)
    path = str(request.url)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "GET")
        return error_response(MethodNotAllowed(request.method, path, allowed))
    if exc.status_code == 404:
        return error_response(RouteNotFound(request.method, path))
    return error_response(ShopwareError(str(exc.detail), status=exc.status_code))


def render_fault(status: int, detail: str) -> Response:
    """What Shopware (or the nginx in front of it, for 502/504) answers with ``status``."""
    if status in (502, 504):
        return Response(nginx_page(status), status_code=status, media_type="text/html")
    return error_response(fault_error(status, detail))


def create_app(
    *,
    settings: Mapping[str, Any] | None = None,
    clock: Clock,
    credentials: Mapping[str, str] | None = None,
    seed: int = 0,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the Shopware 6 mock. State is built here, eagerly; the lifespan runs the outbox."""
    config = ShopwareSettings.from_overrides(settings or {})
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
        name="shopware:webhooks",
    )
    model = ShopwareModel(
        settings=config, clock=clock, credentials=credentials or {}, seed=seed, outbox=outbox
    )
    app = FastAPI(
        title="Rehearsal Shopware 6 mock",
        lifespan=outbox_lifespan(outbox, "shopware-webhook-outbox"),
    )
    app.state.model = model
    app.state.outbox = outbox
    app.state.settings = config
    app.state.render_fault = render_fault
    app.state.revoke_credentials = model.revoke_credentials
    app.include_router(build_admin_router())
    app.include_router(build_sim_router())
    app.include_router(admin_router(model_of))
    app.include_router(build_control_router())
    app.add_exception_handler(ShopwareError, _shopware_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_middleware(AdminGate, model=model)
    # Last, so it is outermost: injected faults come before the token gate.
    install_fault_plan(app, clock=clock, seed=seed, api_prefixes=("/api/",))
    return app

"""FastAPI routes of the Fulfil (fulfil.io, Tryton-based ERP) mock: parse, one model call, encode.

Wire contract (PLATFORMS.md section 4; our modelling choices marked *):
- Base ``/api/v2``. Auth: ``X-API-KEY: <key>`` (header name in any case) or
  ``Authorization: Bearer <key>``; otherwise 401 ``{"type": "AuthenticationError", "message",
  "code": 401}``. ``requests_per_minute`` (default 1000*) per key over a sliding 60 s window*;
  over it: 429 ``{"type": "RateLimitError", "message", "code": 429}`` + ``Retry-After``.
- ``GET /api/v2/model/{model}`` (find): ``filter`` = JSON domain (see ``domain.py``),
  ``page`` (from 1), ``per_page`` (default 10, at most ``per_page_max`` 500*), ``field``
  repeated or ``fields`` (comma-separated or a JSON list; default every field*), ``order``
  (``[["field", "ASC"|"DESC"]]``; default id ascending*), ``context`` (JSON; ``locations``
  restricts product quantities to those warehouses). Returns a JSON list of records.
- ``GET /api/v2/model/{model}/{id}``: one record, every field; 404 when absent.
- RPC: ``PUT`` (or ``POST``*) ``/api/v2/model/{model}/{method}`` with a JSON array of
  positional arguments: ``search(domain, offset, limit, order)``, ``read(ids, fields)``,
  ``search_read(domain, offset, limit, order, fields)``, ``search_count(domain)``,
  ``create([values...])`` -> ids, ``write(ids, values, ...)``, ``delete(ids)``; ``sale.sale``
  buttons ``quote``, ``confirm``, ``process``, ``cancel``, ``draft`` (``[ids]``);
  ``product.product`` ``get_product_inventory(ids, warehouse_ids)``. ``PUT
  /api/v2/model/{model}/{id}/{method}`` calls ``method([id], *args)``.
- Values use Tryton's JSON encoding both ways (``wire.py``): money is
  ``{"__class__": "Decimal", "decimal": "19.99"}`` in responses and accepted as that, as a
  decimal string or as an integer; a JSON number with a fraction is refused.
- Errors: 400 ``{"type": "UserError", "message", "code": 400, "description"}`` for business
  rules and bad values (unknown product code, wrong-state button, malformed domain...);
  404 ``{"type": "NotFound", ...}``; 5xx (injected faults only) carry ``X-Sentry-ID``.
- Models: ``product.product`` (``code`` = SKU; ``quantity_on_hand``, ``quantity_available``
  = on hand - reserved by confirmed/processing sales), ``stock.location`` (warehouses),
  ``party.party`` (+ ``contact_mechanisms``, ``email``, ``phone``), ``party.contact_mechanism``,
  ``party.address``, ``sale.channel``, ``sale.sale``, ``sale.line``, ``stock.shipment.out``
  (waiting -> assigned -> packed -> done on the clock, ``carrier`` + ``tracking_number``*),
  ``stock.move``.
- Webhooks (``notify.py``): ``X-Fulfil-Hmac-SHA256`` = base64(HMAC-SHA256(base64-decoded
  secret, raw body)); subscriptions from the ``webhooks`` setting or ``/_mock/webhooks``.
- ``POST /_sim/stock-movement`` ``{"sku", "location_id", "delta", "reason":
  "receipt"|"other_channel"}`` (the ERP mock's shape); 409 beyond available, 422 unknown.
- ``/_mock/``: reset, seed, state, stats, clock (shared router); ``webhooks`` (GET, POST
  ``{"event", "url"}``, ``DELETE /_mock/webhooks/{id}``, ``POST /_mock/webhooks/deliver`` runs
  due deliveries now); ``POST /_mock/api-keys`` issues a new key (``{"api_key"?}``), as a user
  generating a personal access token after a revocation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mocks.common.admin import admin_router
from mocks.common.faults import install_fault_plan
from mocks.common.rng import derive
from mocks.common.webhooks import WebhookOutbox, outbox_lifespan
from mocks.fulfil import constants as c
from mocks.fulfil.constants import FulfilSettings, WebhookSubscriptionConfig
from mocks.fulfil.errors import (
    ApiError,
    AuthenticationError,
    FulfilError,
    InvalidControl,
    NotFound,
    RateLimitError,
    ServerError,
    UserError,
    render,
)
from mocks.fulfil.gate import ApiGate
from mocks.fulfil.models import FulfilModel
from mocks.fulfil.notify import decode_secret
from mocks.fulfil.schemas import parse_context, parse_find, rpc_args
from mocks.fulfil.wire import parse_json, to_wire
from simclock import Clock


def _model(request: Request) -> FulfilModel:
    model: FulfilModel = request.app.state.model
    return model


def _json(value: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(to_wire(value), status_code=status_code)


def build_api_router() -> APIRouter:
    """``/api/v2/model/...`` (auth and rate limit are the gate's)."""
    router = APIRouter(prefix=c.MODEL_PREFIX)

    @router.get("/{model}")
    async def find(request: Request, model: str) -> JSONResponse:
        m = _model(request)
        query = parse_find(
            request.query_params,
            per_page_default=m.settings.per_page_default,
            per_page_max=m.settings.per_page_max,
        )
        return _json(m.find(model, query))

    @router.get("/{model}/{record_id}")
    async def get(request: Request, model: str, record_id: str) -> JSONResponse:
        ctx = parse_context(request.query_params.get("context"))
        return _json(_model(request).get(model, record_id, ctx))

    async def rpc(request: Request, model: str, method: str) -> JSONResponse:
        if method.isdecimal():
            raise NotFound(f"No method given: use /model/{model}/{{id}}/{{method}} or GET.")
        args = rpc_args(await request.body())
        ctx = parse_context(request.query_params.get("context"))
        return _json(_model(request).call(model, method, args, ctx))

    async def record_rpc(request: Request, model: str, record_id: str, method: str) -> JSONResponse:
        if not record_id.isdecimal():
            raise NotFound(f'Record id "{record_id}" is not an integer.')
        args = rpc_args(await request.body())
        ctx = parse_context(request.query_params.get("context"))
        return _json(_model(request).call(model, method, [[int(record_id)], *args], ctx))

    router.add_api_route("/{model}/{method}", rpc, methods=["PUT", "POST"])
    router.add_api_route("/{model}/{record_id}/{method}", record_rpc, methods=["PUT", "POST"])
    return router


def build_control_router() -> APIRouter:
    """``/_sim/`` and the Fulfil-only ``/_mock/`` routes (no auth, no rate limit)."""
    router = APIRouter()

    @router.post("/_sim/stock-movement")
    async def stock_movement(request: Request) -> JSONResponse:
        body = parse_json(await request.body())
        return JSONResponse(_model(request).stock_movement(body))

    @router.get("/_mock/webhooks")
    async def webhooks(request: Request) -> dict[str, Any]:
        return {"webhooks": [s.as_dict() for s in _model(request).subscriptions.values()]}

    @router.post("/_mock/webhooks", status_code=201)
    async def subscribe(request: Request) -> dict[str, Any]:
        body = parse_json(await request.body())
        if not isinstance(body, dict) or set(body) != {"event", "url"}:
            raise InvalidControl('body must be {"event": "<event or *>", "url": "http(s)://..."}')
        try:
            config = WebhookSubscriptionConfig(event=str(body["event"]), url=str(body["url"]))
        except ValueError as exc:
            raise InvalidControl(str(exc)) from None
        sub = _model(request).add_subscription(config.event, config.url, source="api")
        return {"webhook": sub.as_dict()}

    @router.delete("/_mock/webhooks/{sub_id}")
    async def unsubscribe(request: Request, sub_id: str) -> dict[str, Any]:
        subs = _model(request).subscriptions
        if not sub_id.isdecimal() or subs.pop(int(sub_id), None) is None:
            raise InvalidControl(f"no webhook subscription {sub_id!r}")
        return {"deleted": int(sub_id)}

    @router.post("/_mock/webhooks/deliver")
    async def deliver(request: Request) -> dict[str, Any]:
        """Run the warehouse up to now, then every delivery due now (in-process tests)."""
        m = _model(request)
        m.tick()
        attempted = await m.outbox.deliver_due()
        return {"attempted": attempted, **m.outbox.counters().as_dict()}

    @router.post("/_mock/api-keys", status_code=201)
    async def issue_key(request: Request) -> dict[str, Any]:
        raw = await request.body()
        body = parse_json(raw) if raw.strip() else {}
        value = body.get("api_key") if isinstance(body, dict) else None
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise InvalidControl("api_key must be a non-empty string")
        return {"api_key": _model(request).keys.issue(value)}

    return router


def _fault_renderer(model: FulfilModel, seed: int) -> Callable[[int, str], Response]:
    sentry = derive(seed, "fulfil:sentry-ids")

    def render_fault(status: int, detail: str) -> Response:
        """Fulfil's own answer for an injected status (the shared fault middleware calls it)."""
        model.call_stats.record(status)
        error: ApiError
        if status == 401:
            error = AuthenticationError(detail or "Invalid or missing API key.")
        elif status == 429:
            error = RateLimitError(limit=model.settings.requests_per_minute, retry_after=1.0)
        elif status >= 500:
            error = ServerError(
                detail or "Internal Server Error",
                status=status,
                sentry_id=f"{sentry.getrandbits(128):032x}",
            )
        elif status == 400:
            error = UserError(detail or "Bad request.")
        else:
            error = ApiError(detail or "Request refused.", status=status)
        return render(error)

    return render_fault


def _lifespan(
    model: FulfilModel, outbox: WebhookOutbox
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """Run the outbox worker and the clock-driven warehouse worker while the server is up."""

    async def warehouse_worker() -> None:
        wakeup = asyncio.Event()
        model.wake = wakeup.set
        while True:
            wakeup.clear()
            model.tick()
            due = model.warehouse.next_due()
            waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(wakeup.wait())}
            if due is not None:
                waiters.add(asyncio.ensure_future(model.clock.sleep(due - model.clock.now())))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        async with outbox_lifespan(outbox, "fulfil-webhook-outbox")(app):
            worker = asyncio.create_task(warehouse_worker(), name="fulfil-warehouse")
            try:
                yield
            finally:
                worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker
                model.wake = lambda: None

    return lifespan


def create_app(
    *,
    settings: Mapping[str, Any] | None = None,
    clock: Clock,
    credentials: Mapping[str, Any] | None = None,
    seed: int = 0,
    webhook_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the Fulfil mock. State is built here, eagerly; the lifespan only runs workers."""
    config = FulfilSettings.from_overrides(settings or {})
    creds = dict(credentials or {})
    unknown = set(creds) - c.CREDENTIAL_KEYS
    if unknown:
        raise ValueError(f"unknown Fulfil credential(s): {', '.join(sorted(unknown))}")
    api_key = creds.get("api_key", c.DEFAULT_API_KEY)
    if not isinstance(api_key, str) or not api_key:
        raise ValueError("credentials.api_key must be a non-empty string")
    webhook_key = decode_secret(str(creds.get("webhook_secret", c.DEFAULT_WEBHOOK_SECRET)))
    outbox = WebhookOutbox(
        clock=clock,
        seed=seed,
        retry_schedule=config.webhook_retry_schedule,
        drop_rate=config.webhook_drop_rate,
        duplicate_rate=config.webhook_duplicate_rate,
        concurrency=config.webhook_concurrency,
        timeout_seconds=config.webhook_timeout_seconds,
        transport=webhook_transport,
        name="fulfil:webhooks",
    )
    model = FulfilModel(
        settings=config,
        clock=clock,
        seed=seed,
        outbox=outbox,
        api_key=api_key,
        webhook_key=webhook_key,
    )

    app = FastAPI(title="Rehearsal Fulfil mock", lifespan=_lifespan(model, outbox))
    app.state.model = model
    app.state.outbox = outbox
    app.state.settings = config
    app.state.render_fault = _fault_renderer(model, seed)
    app.state.revoke_credentials = model.keys.revoke_all
    app.include_router(build_api_router())
    app.include_router(build_control_router())
    app.include_router(admin_router(_model))

    async def fulfil_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FulfilError)
        if isinstance(exc, UserError):
            model.call_stats.user_errors += 1
        return render(exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        # Unknown routes and wrong methods answer in Fulfil's body shape, not FastAPI's.
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return render(NotFound("Not Found"))
        return render(ApiError(str(exc.detail), status=exc.status_code))

    sentry = derive(seed, "fulfil:crash-ids")

    async def crash(request: Request, exc: Exception) -> Response:
        # A bug in the mock still answers the way Fulfil's 500s do (Starlette re-raises it).
        sentry_id = f"{sentry.getrandbits(128):032x}"
        return render(ServerError("Internal Server Error", status=500, sentry_id=sentry_id))

    app.add_exception_handler(FulfilError, fulfil_error)
    app.add_exception_handler(Exception, crash)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_middleware(ApiGate, keys=model.keys, stats=model.call_stats)
    # Last, so it is outermost: injected faults come before the key gate and rate window.
    install_fault_plan(app, clock=clock, seed=seed, api_prefixes=("/api/",))
    return app

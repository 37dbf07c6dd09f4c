"""HTTP face of the NetSuite-style ERP mock: ``create_app`` wires model, governance and routes.

Wire contract (PLATFORMS.md section 5; our modelling choices marked *):
- ``Authorization: Bearer <token>`` on everything under ``/services/rest/``; a missing,
  wrong or revoked token is 401 ``INVALID_LOGIN``. ``POST /_mock/token`` issues a new one.
- Governance (``governance.py``): maintenance windows answer 503 + ``Retry-After``*; the
  account's concurrency limit (15) refuses request N+1 at once with 429; lognormal latency
  holds the slot, longer under load*.
- Records under ``/services/rest/record/v1`` (``routes_records.py``,
  ``routes_transactions.py``): ``salesOrder`` (PUT eid: upsert, GET, PATCH edit/cancel/close,
  ``!transform/itemFulfillment``, ``!transform/creditMemo``), ``customer`` (PUT eid:, POST,
  GET, ``?q=email IS "..."``), ``inventoryItem`` (collection polled by lastModifiedDate, GET
  one), ``itemFulfillment`` (GET, PATCH ship status), ``creditMemo`` (POST, PUT eid:, GET),
  ``journalEntry`` (POST, PUT eid:, GET). Writes answer 204 + ``Location``.
- SuiteQL: ``POST /services/rest/query/v1/suiteql`` with ``Prefer: transient``
  (``routes_query.py``, ``suiteql.py``).
- Errors: ``{"type", "title", "status", "o:errorDetails": [{"detail", "o:errorCode", ...}]}``
  rendered once (``wire.error_response``); unknown URLs under /services/rest/ too*.
- ``/_mock/`` reset, seed (locations, items, accounts, customers), state, stats, clock, token,
  maintenance; ``/_sim/`` stock-movement and ship (``routes_control.py``).
- Fault-plan hooks on ``app.state``: ``render_fault(status, detail)`` and
  ``revoke_credentials()``.
"""

from __future__ import annotations

import contextlib
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from mocks.common.admin import admin_router
from mocks.common.faults import install_fault_plan
from mocks.common.rng import derive
from mocks.erp.access import AccessTokens
from mocks.erp.constants import REST_PREFIX, ErpSettings
from mocks.erp.errors import (
    BadGateway,
    ConcurrencyLimit,
    ErpError,
    GatewayTimeout,
    InvalidLogin,
    MethodNotAllowed,
    NetSuiteError,
    RouteNotFound,
    ServiceUnavailable,
    UnexpectedError,
    UserError,
)
from mocks.erp.governance import GovernanceMiddleware
from mocks.erp.models import ErpModel
from mocks.erp.routes_control import build_control_router
from mocks.erp.routes_query import build_query_router
from mocks.erp.routes_records import build_records_router
from mocks.erp.routes_transactions import build_transactions_router
from mocks.erp.wire import error_response
from simclock import Clock

__all__ = ["create_app", "error_response", "render_fault"]


def render_fault(status: int, detail: str, *, retry_after: float = 5.0) -> Response:
    """NetSuite's answer for an injected fault: its real body (and ``Retry-After`` on 503).

    401 and 429 keep NetSuite's own detail text (clients match on it, PLATFORMS.md 5.2);
    other statuses carry ``detail`` (or a generic text when it is empty). A status without a
    class of its own (say 418) gets ``USER_ERROR`` (4xx) or ``UNEXPECTED_ERROR`` (5xx) with
    that status and its standard title.
    """
    error: NetSuiteError
    if status == 401:
        error = InvalidLogin()
    elif status == 429:
        error = ConcurrencyLimit()
    elif status == 503:
        error = ServiceUnavailable(detail or None, retry_after=retry_after)
    elif status == 502:
        error = BadGateway(detail or "Bad gateway.")
    elif status == 504:
        error = GatewayTimeout(detail or "The request timed out.")
    elif 400 <= status < 500:
        error = UserError(detail or "The request was refused.")
    else:
        error = UnexpectedError(detail or "An unexpected error occurred.")
    if error.status == status:
        return error_response(error)
    body = {**error.body(), "status": status}
    with contextlib.suppress(ValueError):  # a status http.HTTPStatus does not know keeps its title
        body["title"] = HTTPStatus(status).phrase
    return JSONResponse(body, status_code=status)


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
    tokens = AccessTokens(initial=access_token, rng=derive(seed, "erp.tokens"))

    app = FastAPI(title="Rehearsal ERP mock (NetSuite-style)")
    app.state.model = model
    app.state.limiter = model.limiter
    app.state.settings = erp_settings
    app.state.clock = clock
    app.state.tokens = tokens
    app.state.resettables = [tokens]
    app.state.render_fault = render_fault
    app.state.revoke_credentials = tokens.revoke_all
    app.add_middleware(GovernanceMiddleware, model=model, clock=clock, tokens=tokens)

    async def handle_erp_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ErpError)
        return error_response(exc)

    async def handle_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not request.url.path.startswith(REST_PREFIX):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
        if exc.status_code == 405:
            return error_response(
                MethodNotAllowed(f"The method {request.method} is not supported on this URL.")
            )
        return error_response(
            RouteNotFound(f"The URL {request.url.path} names no record type or service.")
        )

    app.add_exception_handler(ErpError, handle_erp_error)
    app.add_exception_handler(StarletteHTTPException, handle_http_error)
    app.include_router(admin_router(lambda request: request.app.state.model))
    app.include_router(build_records_router())
    app.include_router(build_transactions_router())
    app.include_router(build_query_router())
    app.include_router(build_control_router())
    # Last, so it is outermost: injected faults come before auth and governance.
    install_fault_plan(app, clock=clock, seed=seed, api_prefixes=(REST_PREFIX,))
    return app

"""REST routes beyond the contract's first set, plus the ``/_sim/`` routes of the quirks.

Admin API (under ``/admin/api/{version}/``, behind the gate): fulfillment orders, fulfillments
and tracking, refunds (and ``refunds/calculate.json``), order cancel, transactions, Shopify
Payments balance, balance transactions and payouts, product creation (daily variant quota).
Storefront/simulation (no auth, no bucket): ``/_sim/payout``, ``/_sim/start-picking``,
``/_sim/edit-order``, ``/_sim/staff`` (store staff in the admin UI: ``staff.py``). Each route
reads parameters, makes one model call and serialises.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.shopify.edits import VariantLimitReached, create_product, edit_order
from mocks.shopify.errors import DailyVariantLimit, InvalidCheckout
from mocks.shopify.fulfillments import public
from mocks.shopify.payouts import BALANCE_FILTERS, PAYOUT_FILTERS
from mocks.shopify.routing import _body, _list_request, _model, _paged, render_orders_response
from mocks.shopify.schemas import parse_json_object


def build_more_admin_routes(router: APIRouter) -> None:
    """Add the order-lifecycle, payments and product-creation routes to the admin router."""

    @router.get("/orders/{order_id}/fulfillment_orders.json")
    async def fulfillment_orders(request: Request, order_id: str) -> dict[str, Any]:
        model = _model(request)
        order = model.order_changes.order(order_id)
        return {"fulfillment_orders": model.fulfillment_book.list_fulfillment_orders(order)}

    @router.get("/orders/{order_id}/fulfillments.json")
    async def fulfillments(request: Request, order_id: str) -> dict[str, Any]:
        model = _model(request)
        order = model.order_changes.order(order_id)
        return {
            "fulfillments": [public(f) for f in model.fulfillment_book.list_fulfillments(order)]
        }

    @router.post("/fulfillments.json", status_code=201)
    async def fulfillment_create(request: Request) -> dict[str, Any]:
        body = await _body(request)
        return {"fulfillment": _model(request).fulfillment_book.create_fulfillment(body)}

    @router.post("/fulfillments/{fulfillment_id}/update_tracking.json")
    async def update_tracking(request: Request, fulfillment_id: str) -> dict[str, Any]:
        body = await _body(request)
        book = _model(request).fulfillment_book
        return {"fulfillment": book.update_tracking(fulfillment_id, body)}

    @router.get("/orders/{order_id}/refunds.json")
    async def refunds(request: Request, order_id: str) -> dict[str, Any]:
        return {"refunds": _model(request).refund_desk.list_refunds(order_id)}

    @router.post("/orders/{order_id}/refunds.json", status_code=201)
    async def refund_create(request: Request, order_id: str) -> dict[str, Any]:
        body = await _body(request)
        return {"refund": _model(request).refund_desk.create(order_id, body)}

    @router.post("/orders/{order_id}/refunds/calculate.json")
    async def refund_calculate(request: Request, order_id: str) -> dict[str, Any]:
        body = await _body(request)
        return {"refund": _model(request).refund_desk.calculate(order_id, body)}

    @router.post("/orders/{order_id}/cancel.json")
    async def cancel(request: Request, order_id: str) -> JSONResponse:
        raw = await request.body()
        body = parse_json_object(raw, admin=True) if raw.strip() else {}
        resource = _model(request).order_changes.cancel_order(order_id, body)
        shown, headers = render_orders_response(request, [resource])
        return JSONResponse({"order": shown[0]}, headers=headers)

    @router.get("/orders/{order_id}/transactions.json")
    async def transactions(request: Request, order_id: str) -> dict[str, Any]:
        model = _model(request)
        order = model.order_changes.order(order_id)
        return {"transactions": [t.resource() for t in model.ledger.for_order(order.id)]}

    @router.get("/shopify_payments/balance.json")
    async def balance(request: Request) -> dict[str, Any]:
        return {"balance": _model(request).ledger.balance_resource()}

    @router.get("/shopify_payments/payouts.json")
    async def payouts(request: Request) -> JSONResponse:
        req = _list_request(request, "payouts", PAYOUT_FILTERS)
        return _paged(request, "payouts", _model(request).ledger.list_payouts(req), req.limit)

    @router.get("/shopify_payments/balance/transactions.json")
    async def balance_transactions(request: Request) -> JSONResponse:
        req = _list_request(request, "balance_transactions", BALANCE_FILTERS)
        page = _model(request).ledger.list_balance_transactions(req)
        return _paged(request, "transactions", page, req.limit)

    @router.post("/products.json", status_code=201)
    async def product_create(request: Request) -> dict[str, Any]:
        body = await _body(request)
        try:
            return {"product": create_product(_model(request), body)}
        except VariantLimitReached:
            raise DailyVariantLimit() from None


def build_more_sim_routes(router: APIRouter) -> None:
    """Add the quirk and payments simulation routes to the ``/_sim`` router."""

    @router.post("/payout")
    async def payout(request: Request) -> dict[str, Any]:
        return {"payout": _model(request).ledger.run_payout()}

    @router.post("/start-picking")
    async def start_picking(request: Request) -> dict[str, Any]:
        body = parse_json_object(await request.body(), admin=False)
        fo_id = body.get("fulfillment_order_id")
        if not isinstance(fo_id, int) or isinstance(fo_id, bool):
            raise InvalidCheckout("fulfillment_order_id must be an integer")
        return {"fulfillment_order": _model(request).fulfillment_book.start_picking(fo_id)}

    @router.post("/edit-order")
    async def edit(request: Request) -> dict[str, Any]:
        body = parse_json_object(await request.body(), admin=False)
        return {"order": edit_order(_model(request), body)}

    @router.post("/staff")
    async def staff(request: Request) -> dict[str, Any]:
        body = parse_json_object(await request.body(), admin=False)
        return _model(request).staff_desk.act(body)

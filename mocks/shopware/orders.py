"""Order life after placement: state transitions, versions (drafts), edits and recalculation.

- State machine (PLATFORMS 3.6): ``process`` open -> in_progress, ``complete`` in_progress ->
  completed, ``cancel`` open|in_progress -> cancelled, ``reopen`` completed|cancelled -> open;
  anything else is 400 ``SYSTEM__ILLEGAL_STATE_TRANSITION``. Cancelling restores the stock of
  every product line; reopening a cancelled order takes it again (6.6 stock handling).
- Versions: ``create_version`` copies the live order into a draft with a new version id; reads
  and edits that send ``sw-version-id`` see the draft; ``merge`` writes the draft back into the
  live version (same order id, live version id) and drops it; ``delete_version`` drops it.
- Edits (``PATCH /api/order/{id}``): ``customerComment``, ``affiliateCode``, ``campaignCode``,
  ``customFields`` and ``lineItems: [{"id", "quantity"}]``. As in Shopware, a quantity change
  does **not** recalculate prices: ``totalPrice`` and the order's amounts stay stale until
  ``POST /api/_action/order/{id}/recalculate``. A quantity change on the live version moves
  stock at once; on a draft only when it is merged (by the difference from live). Cancelled
  orders hold no stock, so their edits move none (*). Other fields are ignored (*).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from mocks.shopware.catalog import WriteResult
from mocks.shopware.constants import LIVE_VERSION_ID, ORDER_TRANSITIONS
from mocks.shopware.errors import (
    EntityNotFound,
    IllegalTransition,
    ResourceNotFound,
    Violation,
    WriteViolations,
)
from mocks.shopware.fields import FieldProblem, integer, json_object, optional_string
from mocks.shopware.pricing import order_totals, reprice
from mocks.shopware.records import Order, OrderData

if TYPE_CHECKING:
    from mocks.shopware.models import ShopwareModel

EDITABLE = {
    "customerComment": ("customer_comment", optional_string),
    "affiliateCode": ("affiliate_code", optional_string),
    "campaignCode": ("campaign_code", optional_string),
    "customFields": ("custom_fields", json_object),
}


def product_quantities(data: OrderData) -> dict[str, int]:
    """Units per product id over every product line (container children included)."""
    totals: dict[str, int] = {}
    for line in data.line_items:
        if line.type == "product" and line.product_id is not None:
            totals[line.product_id] = totals.get(line.product_id, 0) + line.quantity
    return totals


def move_stock(model: ShopwareModel, quantities: dict[str, int], sign: int) -> None:
    """Add ``sign * quantity`` to each product's stock (products deleted since are skipped)."""
    if not model.settings.enable_stock_management:
        return
    for pid, qty in quantities.items():
        product = model.catalog.products.get(pid)
        if product is not None:
            product.stock += sign * qty
            product.sales -= sign * qty


def transition(model: ShopwareModel, order_id: str, name: str) -> OrderData:
    """Apply a state transition to the live order."""
    order = model.orders.get(order_id)
    if order is None:
        raise EntityNotFound("order", order_id)
    data = order.live
    allowed = ORDER_TRANSITIONS[data.state]
    if name not in allowed:
        raise IllegalTransition(name, data.state, sorted(allowed))
    target = allowed[name]
    if target == "cancelled":
        move_stock(model, product_quantities(data), +1)
    elif data.state == "cancelled":
        move_stock(model, product_quantities(data), -1)
    data.state = target
    model.touch(order, data)
    result = WriteResult(
        entity="order", id=order.id, operation="update", fields=("stateId", "updatedAt")
    )
    model.notifier.written([result], now=model.clock.now())
    return data


def find_version(model: ShopwareModel, version_id: str) -> Order:
    """The order holding draft ``version_id``."""
    for order in model.orders.values():
        if version_id in order.drafts:
            return order
    raise EntityNotFound("version", version_id)


def create_version(model: ShopwareModel, order_id: str) -> str:
    """A new draft of the live order; returns its version id."""
    order = model.orders.get(order_id)
    if order is None:
        raise EntityNotFound("order", order_id)
    version_id = model.ids.new()
    draft = copy.deepcopy(order.live)
    draft.version_id = version_id
    order.drafts[version_id] = draft
    return version_id


def merge(model: ShopwareModel, version_id: str) -> Order:
    """Write draft ``version_id`` into the live version and drop the draft."""
    order = find_version(model, version_id)
    draft, live = order.drafts.pop(version_id), order.live
    if live.state != "cancelled":
        before, after = product_quantities(live), product_quantities(draft)
        delta = {p: after.get(p, 0) - before.get(p, 0) for p in set(before) | set(after)}
        move_stock(model, {p: d for p, d in delta.items() if d}, -1)
    draft.version_id = LIVE_VERSION_ID
    draft.state = live.state  # transitions act on live; a draft never carries them back
    draft.delivery.state = live.delivery.state
    order.live = draft
    model.touch(order, draft)
    live_ids = {li.id for li in live.line_items}
    results = [
        WriteResult(
            entity="order", id=order.id, operation="update", fields=("versionId", "updatedAt")
        )
    ]
    results += [
        WriteResult(
            entity="order_line_item",
            id=li.id,
            operation="update" if li.id in live_ids else "insert",
            fields=("quantity", "price", "updatedAt"),
        )
        for li in draft.line_items
    ]
    model.notifier.written(results, now=model.clock.now())
    return order


def delete_version(model: ShopwareModel, version_id: str) -> None:
    """Drop a draft without merging it."""
    order = find_version(model, version_id)
    del order.drafts[version_id]
    model.touch(order, order.live)


def _line_edits(data: OrderData, raw: Any, problems: list[Violation]) -> dict[str, int]:
    if not isinstance(raw, list):
        problems.append(
            Violation(pointer="/lineItems", detail="This value should be of type array.")
        )
        return {}
    by_id = {li.id: li for li in data.line_items}
    edits: dict[str, int] = {}
    for i, item in enumerate(raw):
        pointer = f"/lineItems/{i}"
        line = by_id.get(str(item.get("id", "")).lower()) if isinstance(item, dict) else None
        if line is None:
            problems.append(
                Violation(pointer=f"{pointer}/id", detail="The line item does not exist.")
            )
            continue
        if "quantity" not in item:
            continue
        try:
            quantity = integer(item["quantity"])
        except FieldProblem as exc:
            problems.append(Violation(pointer=f"{pointer}/quantity", detail=exc.detail))
            continue
        if quantity < 1 or line.type not in ("product", "custom"):
            problems.append(
                Violation(
                    pointer=f"{pointer}/quantity",
                    detail="Only product and custom lines take a quantity >= 1.",
                )
            )
            continue
        edits[line.id] = quantity
    return edits


def patch_order(
    model: ShopwareModel, order_id: str, payload: Any, version_id: str | None
) -> OrderData:
    """``PATCH /api/order/{id}`` in the live version or the draft ``version_id``."""
    order = model.orders.get(order_id)
    if order is None or (
        version_id and version_id != LIVE_VERSION_ID and version_id not in order.drafts
    ):
        raise ResourceNotFound("order", order_id)
    if not isinstance(payload, dict):
        raise WriteViolations([Violation(pointer="/", detail="Expected data to be array.")])
    data = order.version(version_id)
    problems: list[Violation] = []
    values: dict[str, Any] = {}
    for name, (_, parser) in EDITABLE.items():
        if name in payload:
            try:
                values[name] = parser(payload[name])
            except FieldProblem as exc:
                problems.append(Violation(pointer=f"/{name}", detail=exc.detail))
    edits = _line_edits(data, payload["lineItems"], problems) if "lineItems" in payload else {}
    if problems:
        raise WriteViolations(problems)
    for name, value in values.items():
        setattr(data, EDITABLE[name][0], value)
    now = model.clock.now()
    by_id = {li.id: li for li in data.line_items}
    live = data.version_id == LIVE_VERSION_ID and data.state != "cancelled"
    for line_id, quantity in edits.items():
        line = by_id[line_id]
        if live and line.type == "product" and line.product_id is not None:
            move_stock(model, {line.product_id: quantity - line.quantity}, -1)
        line.quantity = quantity
        line.updated_ts = now
    model.touch(order, data)
    results = [
        WriteResult(entity="order", id=order.id, operation="update", fields=(*values, "updatedAt"))
    ]
    results += [
        WriteResult(entity="order_line_item", id=lid, operation="update", fields=("quantity",))
        for lid in edits
    ]
    model.notifier.written(results, now=now, version_id=data.version_id)
    return data


def recalculate(model: ShopwareModel, order_id: str, version_id: str | None) -> OrderData:
    """Reprice every line and the order's amounts (shipping and the transaction unchanged*)."""
    order = model.orders.get(order_id)
    if order is None:
        raise EntityNotFound("order", order_id)
    data = order.version(version_id)
    rate = model.settings.tax_rate
    reprice(data.line_items, fallback_rate=rate)
    totals = order_totals(data.line_items, data.shipping_total, fallback_rate=rate)
    data.position_price = totals.position_price
    data.amount_total = totals.amount_total
    data.amount_net = totals.amount_net
    data.taxes = totals.taxes
    data.delivery.taxes = totals.shipping_taxes
    model.touch(order, data)
    result = WriteResult(
        entity="order",
        id=order.id,
        operation="update",
        fields=("price", "amountTotal", "updatedAt"),
    )
    model.notifier.written([result], now=model.clock.now(), version_id=data.version_id)
    return data

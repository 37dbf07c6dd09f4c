"""Order deliveries after placement: tracking codes and the delivery state machine.

- ``PATCH /api/order-delivery/{id}`` writes ``trackingCodes`` (a list of strings; ``null``
  clears it) in the live version or the draft named by ``sw-version-id``; other fields are
  ignored (*). Shopware keeps the list as sent: a code sent twice is stored twice.
- ``POST /api/_action/order_delivery/{id}/state/{transition}`` moves the live delivery through
  Shopware's ``order_delivery.state`` machine (``DELIVERY_TRANSITIONS``): ``ship``,
  ``ship_partially``, ``retour``, ``retour_partially``, ``cancel``, ``reopen``; anything else is
  400 ``SYSTEM__ILLEGAL_STATE_TRANSITION`` naming the possible ones. No stock moves: Shopware
  6.6 moves stock on the order's state, not the delivery's.

Both send ``order_delivery.written`` (ids only) and leave the order's own ``updatedAt`` alone,
as Shopware's DAL writes only the delivery row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mocks.shopware.catalog import WriteResult
from mocks.shopware.constants import DELIVERY_STATES, DELIVERY_TRANSITIONS, stable_id
from mocks.shopware.errors import (
    EntityNotFound,
    IllegalTransition,
    ResourceNotFound,
    Violation,
    WriteViolations,
)
from mocks.shopware.records import Order, OrderData

if TYPE_CHECKING:
    from mocks.shopware.models import ShopwareModel

ENTITY = "order_delivery"


def delivery_state_resource(technical_name: str) -> dict[str, Any]:
    """The delivery's ``stateMachineState`` (ids match ``delivery_resource``'s ``stateId``)."""
    return {
        "id": stable_id(f"state:delivery:{technical_name}"),
        "technicalName": technical_name,
        "name": DELIVERY_STATES.get(technical_name, technical_name),
    }


def _owner(model: ShopwareModel, delivery_id: str) -> Order | None:
    """The order whose delivery has this id (a draft copies its live delivery's id)."""
    return next((o for o in model.orders.values() if o.live.delivery.id == delivery_id), None)


def _tracking_codes(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WriteViolations(
            [Violation(pointer="/trackingCodes", detail="This value should be of type array.")]
        )
    problems = [
        Violation(pointer=f"/trackingCodes/{i}", detail="This value should be of type string.")
        for i, code in enumerate(raw)
        if not isinstance(code, str)
    ]
    if problems:
        raise WriteViolations(problems)
    return list(raw)


def patch_delivery(
    model: ShopwareModel, delivery_id: str, payload: Any, version_id: str | None
) -> OrderData:
    """``PATCH /api/order-delivery/{id}`` (``trackingCodes``) in live or a draft version."""
    order = _owner(model, delivery_id)
    if order is None or (version_id and version_id not in order.drafts):
        raise ResourceNotFound(ENTITY, delivery_id)
    if not isinstance(payload, dict):
        raise WriteViolations([Violation(pointer="/", detail="Expected data to be array.")])
    data = order.version(version_id)
    fields: tuple[str, ...] = ()
    if "trackingCodes" in payload:
        data.delivery.tracking_codes = _tracking_codes(payload["trackingCodes"])
        fields = ("trackingCodes",)
    model.forget_documents(order)
    result = WriteResult(entity=ENTITY, id=delivery_id, operation="update", fields=fields)
    model.notifier.written([result], now=model.clock.now(), version_id=data.version_id)
    return data


def transition(model: ShopwareModel, delivery_id: str, name: str) -> str:
    """Apply a state transition to the live delivery; returns its new technical name."""
    order = _owner(model, delivery_id)
    if order is None:
        raise EntityNotFound(ENTITY, delivery_id)
    delivery = order.live.delivery
    allowed = DELIVERY_TRANSITIONS[delivery.state]
    if name not in allowed:
        raise IllegalTransition(name, delivery.state, sorted(allowed))
    delivery.state = allowed[name]
    model.forget_documents(order)
    result = WriteResult(entity=ENTITY, id=delivery_id, operation="update", fields=("stateId",))
    model.notifier.written([result], now=model.clock.now())
    return delivery.state

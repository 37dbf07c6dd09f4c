"""Errors of the SHOPLINE mock, one small class per wire answer.

Raised in the model, the gate or the request parsers and turned into the response by the one
exception handler in ``api.py``. Open API errors use SHOPLINE's documented body, a single
string: ``{"errors": "The product does not exist."}``. The ``/_sim/`` storefront routes are
ours and answer ``{"error": code, ...}`` like the Shopify mock's.
"""

from __future__ import annotations

from typing import Any

from mocks.shopline import constants as c


class ShoplineMockError(Exception):
    """Base: an HTTP status, a JSON body and optional headers."""

    status_code: int = 400

    def __init__(self, body: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body))
        self.body = body
        self.headers: dict[str, str] = headers or {}


class OpenApiError(ShoplineMockError):
    """An Open API answer ``{"errors": message}`` with any status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__({"errors": message})
        if status is not None:
            self.status_code = status
        self.message = message


class Unauthorized(OpenApiError):
    """401: missing, unknown or expired bearer token."""

    status_code = 401


class Throttled(OpenApiError):
    """429: the leaky bucket is full (SHOPLINE's text, typo included; no Retry-After)."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__(c.THROTTLED_MESSAGE)


class StoreLocked(OpenApiError):
    """423: sustained abuse locked the store."""

    status_code = 423

    def __init__(self) -> None:
        super().__init__(c.STORE_LOCKED_MESSAGE)


class BadRequest(OpenApiError):
    """400: a parameter or body SHOPLINE cannot read; the message names it."""

    status_code = 400


class NotFound(OpenApiError):
    """404: ``{"errors": "The order does not exist."}`` and similar."""

    status_code = 404

    def __init__(self, what: str = "resource") -> None:
        super().__init__(f"The {what} does not exist." if what != "resource" else "Not Found")


class Unprocessable(OpenApiError):
    """422: understood but refused (unknown location, taken webhook address, ...)."""

    status_code = 422


# -- /_sim/ storefront and /_mock/ control (our wire shape) ------------------------------------


class SimError(ShoplineMockError):
    """Base of storefront errors: ``{"error": code, ...details}``."""

    def __init__(self, error: str, **details: Any) -> None:
        super().__init__({"error": error, **details})
        self.error = error


class MalformedBody(SimError):
    """400: the body is not JSON or not an object."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__("malformed_json", detail=detail)


class InvalidRequest(SimError):
    """422: a checkout or control body of the wrong shape; ``detail`` says where."""

    status_code = 422

    def __init__(self, detail: str) -> None:
        super().__init__("invalid_request", detail=detail)


class UnknownSku(SimError):
    """422: a basket line names a SKU (or variant) the shop does not sell."""

    status_code = 422

    def __init__(self, sku: str) -> None:
        super().__init__("unknown_sku", sku=sku)


class UnknownLocation(SimError):
    """422: the checkout names a location that does not exist."""

    status_code = 422

    def __init__(self, location_id: str) -> None:
        super().__init__("unknown_location", location_id=location_id)


class UnknownDiscountCode(SimError):
    """422: the discount code is not configured."""

    status_code = 422

    def __init__(self, code: str) -> None:
        super().__init__("invalid_discount_code", code=code)


class UnknownShipping(SimError):
    """422: the shipping method is not configured."""

    status_code = 422

    def __init__(self, shipping: str) -> None:
        super().__init__("invalid_shipping", shipping=shipping)


class InsufficientInventory(SimError):
    """409: the location cannot cover a line; nothing was decremented."""

    status_code = 409

    def __init__(self, *, sku: str, requested: int, available: int) -> None:
        super().__init__(
            "insufficient_inventory", sku=sku, requested=requested, available=available
        )


class UnknownOrder(SimError):
    """404: a storefront action names an order the shop does not have."""

    status_code = 404

    def __init__(self, order_id: str) -> None:
        super().__init__("order_not_found", order_id=order_id)


class OrderNotCancellable(SimError):
    """409: the order is already cancelled or has units shipped; nothing changed."""

    status_code = 409

    def __init__(self, order_id: str, reason: str) -> None:
        super().__init__("order_not_cancellable", order_id=order_id, reason=reason)

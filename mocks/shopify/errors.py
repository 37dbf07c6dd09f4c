"""Errors of the Shopify mock, one small class per wire answer.

Raised in the model (or the request parsers) and turned into the exact response by the one
exception handler in ``api.py``. Admin API errors use Shopify's ``{"errors": ...}`` body; the
``/_sim/`` storefront routes are ours and answer ``{"error": code, ...}``.
"""

from __future__ import annotations

from typing import Any

from mocks.shopify.constants import (
    INVALID_TOKEN_MESSAGE,
    LOCKED_MESSAGE,
    THROTTLED_MESSAGE,
    TOO_MANY_REQUESTS_422_MESSAGE,
    VARIANT_LIMIT_MESSAGE,
)


class ShopifyMockError(Exception):
    """Base: an HTTP status, a JSON body and optional headers."""

    status_code: int = 400

    def __init__(self, body: Any, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body))
        self.body = body
        self.headers: dict[str, str] = headers or {}


# -- Admin API (Shopify's wire shape) -------------------------------------------------------


class InvalidAccessToken(ShopifyMockError):
    """401: missing or wrong ``X-Shopify-Access-Token``."""

    status_code = 401

    def __init__(self) -> None:
        super().__init__({"errors": INVALID_TOKEN_MESSAGE})


class Throttled(ShopifyMockError):
    """429: the leaky bucket is full."""

    status_code = 429

    def __init__(self, *, leak_rate: float, retry_after: float) -> None:
        rate = int(leak_rate) if float(leak_rate).is_integer() else leak_rate
        super().__init__(
            {"errors": THROTTLED_MESSAGE.format(rate=rate)},
            headers={"Retry-After": f"{float(retry_after):.1f}"},
        )


class NotFound(ShopifyMockError):
    """404 with Shopify's body."""

    status_code = 404

    def __init__(self) -> None:
        super().__init__({"errors": "Not Found"})


class BadRequest(ShopifyMockError):
    """400 naming the offending parameter: ``{"errors": {param: [message]}}``."""

    status_code = 400

    def __init__(self, param: str, message: str) -> None:
        super().__init__({"errors": {param: [message]}})
        self.param = param


class MissingParameter(BadRequest):
    """400 the way Shopify reports a missing/ill-typed required parameter."""

    def __init__(self, param: str, detail: str) -> None:
        super().__init__(param, f"Required parameter missing or invalid: {detail}")


class Unprocessable(ShopifyMockError):
    """422: understood but refused, e.g. an unknown location or a taken webhook address."""

    status_code = 422

    def __init__(self, errors: dict[str, list[str]] | list[str]) -> None:
        super().__init__({"errors": errors})


# -- /_sim/ storefront (our wire shape, docs/contracts.md) ----------------------------------


class SimError(ShopifyMockError):
    """Base of storefront errors: ``{"error": code, ...details}``."""

    def __init__(self, error: str, **details: Any) -> None:
        super().__init__({"error": error, **details})
        self.error = error


class MalformedBody(SimError):
    """400: the body is not JSON or not an object."""

    status_code = 400

    def __init__(self, detail: str) -> None:
        super().__init__("malformed_json", detail=detail)


class InvalidCheckout(SimError):
    """422: a checkout body of the wrong shape; ``detail`` says which field and why."""

    status_code = 422

    def __init__(self, detail: str) -> None:
        super().__init__("invalid_request", detail=detail)


class UnknownSku(SimError):
    """422: a basket line names a SKU the shop does not sell."""

    status_code = 422

    def __init__(self, sku: str) -> None:
        super().__init__("unknown_sku", sku=sku)


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
    """409: the primary location cannot cover a line; nothing was decremented."""

    status_code = 409

    def __init__(self, *, sku: str, requested: int, available: int) -> None:
        super().__init__(
            "insufficient_inventory", sku=sku, requested=requested, available=available
        )


# -- quirks (quirks.py) -----------------------------------------------------------------------


class ShopLocked(ShopifyMockError):
    """423: the shop is locked after sustained abuse (quirk ``lock_after_429s``)."""

    status_code = 423

    def __init__(self) -> None:
        super().__init__({"errors": LOCKED_MESSAGE})


class TooManyRequests422(ShopifyMockError):
    """422 "Too many requests" instead of a 429 (quirk ``too_many_requests_422_rate``)."""

    status_code = 422

    def __init__(self) -> None:
        super().__init__({"errors": TOO_MANY_REQUESTS_422_MESSAGE})


class DailyVariantLimit(ShopifyMockError):
    """429 with the daily variant-creation body: no ``Retry-After``, the bucket is not full."""

    status_code = 429

    def __init__(self) -> None:
        super().__init__({"errors": {"product": [VARIANT_LIMIT_MESSAGE]}})

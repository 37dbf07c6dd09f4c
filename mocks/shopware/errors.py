"""Errors of the Shopware 6 mock, one small class per wire answer, rendered in one place.

Every error answers Shopware's body (PLATFORMS 3.4)::

    {"errors": [{"code": "...", "status": "400", "title": "Bad Request", "detail": "...",
                 "source": {"pointer": "/0/name"}, "meta": {"parameters": {...}}}]}

``status`` is a **string**; ``source`` appears only when a field is to blame. Write violations
carry several errors in one body. OAuth failures use the League OAuth2 server's numeric codes as
strings (``"9"`` access denied, ``"4"`` invalid client, ``"2"`` unsupported grant, ``"3"`` invalid
request); Symfony HTTP errors (malformed JSON, unknown route) use ``"0"``. Codes marked * are
ours where Shopware's own is not documented. The ``/_sim/`` storefront and ``/_mock/`` control
routes answer in the same shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse

WRITE_CONSTRAINT = "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "unknown status"


@dataclass(frozen=True, kw_only=True)
class Violation:
    """One failed field of a write: where (JSON pointer), what, and Shopware's code."""

    pointer: str
    detail: str
    code: str = WRITE_CONSTRAINT
    parameters: dict[str, Any] = field(default_factory=dict)

    def error(self) -> dict[str, Any]:
        """The wire error object (always a 400)."""
        return {
            "code": self.code,
            "status": "400",
            "title": "Bad Request",
            "detail": self.detail,
            "source": {"pointer": self.pointer},
            "meta": {"parameters": dict(self.parameters)},
        }

    def under(self, prefix: str) -> Violation:
        """The same violation with ``prefix`` put before its pointer (sync operation keys)."""
        return Violation(
            pointer=f"{prefix}{self.pointer}",
            detail=self.detail,
            code=self.code,
            parameters=self.parameters,
        )


class ShopwareError(Exception):
    """Base: an HTTP status, Shopware's error code, a detail and optional pointer and headers."""

    status: int = 400
    code: str = "0"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str | None = None,
        pointer: str | None = None,
        parameters: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.detail = detail
        self.pointer = pointer
        self.parameters: dict[str, Any] = parameters or {}
        self.headers: dict[str, str] = headers or {}

    def errors(self) -> list[dict[str, Any]]:
        """The error objects of the body."""
        error: dict[str, Any] = {
            "code": self.code,
            "status": str(self.status),
            "title": _title(self.status),
            "detail": self.detail,
        }
        if self.pointer is not None:
            error["source"] = {"pointer": self.pointer}
        error["meta"] = {"parameters": dict(self.parameters)}
        return [error]

    def body(self) -> dict[str, Any]:
        """``{"errors": [...]}``."""
        return {"errors": self.errors()}

    def with_status(self, status: int) -> ShopwareError:
        """The same error answered with another status (storefront 409/422 -> Admin 400)."""
        return ShopwareError(
            self.detail,
            status=status,
            code=self.code,
            pointer=self.pointer,
            parameters=self.parameters,
            headers=self.headers,
        )


def error_response(exc: ShopwareError) -> JSONResponse:
    """The one rendering of every error."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers or None)


class WriteViolations(ShopwareError):
    """400: one or more fields of a write were refused; nothing was written."""

    code = WRITE_CONSTRAINT

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__(violations[0].detail if violations else "Invalid write")
        self.violations = violations

    def errors(self) -> list[dict[str, Any]]:
        return [v.error() for v in self.violations]


# -- OAuth (League OAuth2 server codes) -------------------------------------------------------


class AccessDenied(ShopwareError):
    """401: missing, unknown, expired or revoked bearer token. The same text for every cause,
    as Shopware answers (clients cannot tell expired from revoked)."""

    status = 401
    code = "9"

    def __init__(self) -> None:
        super().__init__("The resource owner or authorization server denied the request.")


class InvalidClient(ShopwareError):
    """401: unknown ``client_id`` or wrong ``client_secret``."""

    status = 401
    code = "4"

    def __init__(self) -> None:
        super().__init__("Client authentication failed")


class UnsupportedGrantType(ShopwareError):
    """400: a ``grant_type`` other than ``client_credentials``."""

    status = 400
    code = "2"

    def __init__(self) -> None:
        super().__init__(
            "The authorization grant type is not supported by the authorization server."
        )


class InvalidOAuthRequest(ShopwareError):
    """400: a token request without a required parameter."""

    status = 400
    code = "3"

    def __init__(self, parameter: str) -> None:
        super().__init__(
            "The request is missing a required parameter, includes an invalid parameter value, "
            f"includes a parameter more than once, or is otherwise malformed. Check the "
            f"`{parameter}` parameter",
            parameters={"parameter": parameter},
        )


class RateLimitExceeded(ShopwareError):
    """429 with ``meta.parameters.seconds`` and ``Retry-After`` (PLATFORMS 3.3)."""

    status = 429
    code = "FRAMEWORK__RATE_LIMIT_EXCEEDED"

    def __init__(self, seconds: int) -> None:
        super().__init__(
            f"Too many requests, try again in {seconds} seconds.",
            parameters={"seconds": seconds},
            headers={"Retry-After": str(seconds)},
        )
        self.seconds = seconds


# -- request and routing -----------------------------------------------------------------------


class MalformedJson(ShopwareError):
    """400: Symfony's ``BadRequestHttpException`` from Shopware's JSON request listener."""

    def __init__(self, detail: str = "The JSON payload is malformed.") -> None:
        super().__init__(detail)


class InvalidRequest(ShopwareError):
    """400 (or 422 on ``/_sim/``): a body of the wrong shape; ``pointer`` says where."""

    code = "FRAMEWORK__INVALID_REQUEST_PARAMETER"

    def __init__(self, detail: str, *, pointer: str | None = None, status: int = 400) -> None:
        super().__init__(detail, pointer=pointer, status=status)


class RouteNotFound(ShopwareError):
    """404 for a path no route serves (Symfony's wording)."""

    status = 404

    def __init__(self, method: str, path: str) -> None:
        super().__init__(f'No route found for "{method} {path}"')


class MethodNotAllowed(ShopwareError):
    """405: the route exists, the method does not (read-only entities)."""

    status = 405

    def __init__(self, method: str, path: str, allowed: str) -> None:
        super().__init__(
            f'No route found for "{method} {path}": Method Not Allowed (Allow: {allowed})',
            headers={"Allow": allowed},
        )


class DefinitionNotFound(ShopwareError):
    """An entity name Shopware does not know (404 on a route, 400 inside a sync body)."""

    code = "FRAMEWORK__DEFINITION_NOT_FOUND"

    def __init__(self, entity: str, *, status: int = 404, pointer: str | None = None) -> None:
        super().__init__(
            f'Definition for entity "{entity}" does not exist.',
            status=status,
            pointer=pointer,
            parameters={"entityName": entity},
        )


class ResourceNotFound(ShopwareError):
    """404 from the entity routes (``GET/PATCH/DELETE /api/{entity}/{id}``)."""

    status = 404
    code = "FRAMEWORK__RESOURCE_NOT_FOUND"

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(
            f"The {entity} resource with the following primary key was not found: id({entity_id})",
            parameters={"type": entity, "primaryKey": {"id": entity_id}},
        )


class EntityNotFound(ShopwareError):
    """404 from the action routes (state transitions, versions)."""

    status = 404
    code = "FRAMEWORK__ENTITY_NOT_FOUND"

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(
            f"{entity} for id {entity_id} not found.",
            parameters={"entity": entity, "field": "id", "value": entity_id},
        )


class CriteriaError(ShopwareError):
    """400: a search criteria part Shopware cannot read (filter, sort, limit, page, ...)."""

    def __init__(self, code: str, detail: str, pointer: str) -> None:
        super().__init__(detail, code=code, pointer=pointer)


class IllegalTransition(ShopwareError):
    """400: the order's state machine has no such transition from its current state."""

    code = "SYSTEM__ILLEGAL_STATE_TRANSITION"

    def __init__(self, transition: str, current: str, possible: list[str]) -> None:
        super().__init__(
            f'Illegal transition "{transition}" from state "{current}". '
            f"Possible transitions are: {', '.join(possible)}",
            parameters={
                "transition": transition,
                "currentState": current,
                "possibleTransitions": possible,
            },
        )


class SyncPayloadTooLarge(ShopwareError):
    """* 400: a sync request carries more records than ``sync_max_payload_records``."""

    code = "FRAMEWORK__SYNC_PAYLOAD_TOO_LARGE"

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(
            f"The sync payload contains {count} records; at most {limit} are allowed per "
            "request. Split it into several requests.",
            parameters={"count": count, "limit": limit},
        )


class InvalidSyncOperation(ShopwareError):
    """400: a sync operation without entity/action/payload, or with an unknown action."""

    code = "FRAMEWORK__INVALID_SYNC_OPERATION"

    def __init__(self, detail: str, pointer: str) -> None:
        super().__init__(detail, pointer=pointer)


class VersionError(ShopwareError):
    """400: a version operation that cannot be done (e.g. merging the live version)."""

    code = "FRAMEWORK__VERSION_MERGE_ERROR"


# -- storefront (/_sim/checkout) -----------------------------------------------------------------


class ProductNotFound(ShopwareError):
    """* 422: a basket line names a productNumber the shop does not sell."""

    status = 422
    code = "CHECKOUT__PRODUCT_NOT_FOUND"

    def __init__(self, product_number: str, pointer: str) -> None:
        super().__init__(
            f'Product with number "{product_number}" not found.',
            pointer=pointer,
            parameters={"productNumber": product_number},
        )


class ProductStockReached(ShopwareError):
    """* 409: a closeout product cannot cover the basket; nothing was decremented."""

    status = 409
    code = "CHECKOUT__PRODUCT_STOCK_REACHED"

    def __init__(self, product_number: str, requested: int, available: int) -> None:
        super().__init__(
            f'The product "{product_number}" is only available {available} times '
            f"({requested} requested).",
            parameters={
                "productNumber": product_number,
                "requested": requested,
                "available": available,
            },
        )


class PromotionCodeNotFound(ShopwareError):
    """* 422: the promotion code is not configured."""

    status = 422
    code = "CHECKOUT__PROMOTION_CODE_NOT_FOUND"

    def __init__(self, code: str) -> None:
        super().__init__(f'Promotion with code "{code}" not found.', parameters={"code": code})


class ShippingMethodNotFound(ShopwareError):
    """* 422: the shipping method is not configured."""

    status = 422
    code = "CHECKOUT__SHIPPING_METHOD_NOT_FOUND"

    def __init__(self, name: str) -> None:
        super().__init__(f'Shipping method "{name}" not found.', parameters={"name": name})


# -- injected faults (the shared fault middleware asks for these) -------------------------------

_NGINX_PAGE = (
    "<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def fault_error(status: int, detail: str) -> ShopwareError:
    """The error Shopware itself would answer with ``status`` (401, 429, 500, 503, ...)."""
    if status == 401:
        return AccessDenied()
    if status == 429:
        return RateLimitExceeded(60)
    message = detail or _title(status)
    if status == 503:
        return ShopwareError(message, status=503, headers={"Retry-After": "60"})
    return ShopwareError(message, status=status)


def nginx_page(status: int) -> str:
    """The HTML page the reverse proxy in front of Shopware answers 502/504 with."""
    return _NGINX_PAGE.format(status=status, phrase=_title(status))

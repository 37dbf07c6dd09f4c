"""Errors of the ERP mock, one small class per NetSuite ``o:errorCode``.

Raised in the model (or the governance middleware) and rendered in one place in ``api.py``::

    ErpError                      status + body()
    ├── NetSuiteError             {"type", "title", "status", "o:errorDetails": [...]}
    │   ├── InvalidLogin          401 INVALID_LOGIN
    │   ├── UserError             400 USER_ERROR          (e.g. unknown item, business rule)
    │   ├── DuplicateRecord       400 DUP_RCRD *          (externalId already used on create)
    │   ├── InvalidContent        400 INVALID_CONTENT     (malformed body)
    │   ├── InvalidParameter      400 INVALID_PARAMETER   (bad query parameter / URL / SuiteQL)
    │   ├── InvalidHeader         400 INVALID_HEADER *    (e.g. SuiteQL without Prefer: transient)
    │   ├── NonexistentId         404 NONEXISTENT_ID
    │   ├── RouteNotFound         404 INVALID_URL *       (no such record type or service)
    │   ├── MethodNotAllowed      405 INVALID_URL *
    │   ├── ConcurrencyLimit      429 CONCURRENCY_LIMIT_EXCEEDED
    │   ├── UnexpectedError       500 UNEXPECTED_ERROR    (injected faults; 502, 504 below)
    │   │   ├── BadGateway        502
    │   │   └── GatewayTimeout    504
    │   └── ServiceUnavailable    503 SERVICE_UNAVAILABLE * (maintenance windows)
    └── SimulationError           {"error": code, ...}    (our /_sim/ routes, not NetSuite's)
        ├── InvalidMovement       400 (also any malformed /_sim/ or /_mock/ body)
        ├── InsufficientStock     409
        ├── UnknownSku            422
        └── UnknownLocation       422

Codes marked * are our choice: PLATFORMS.md 5.2 gives the body shape, not these strings.

    InvalidSeed (a ValueError)    /_mock/seed body refused; the shared admin router answers 422
"""

from __future__ import annotations

from typing import Any, ClassVar

RFC9110 = "https://www.rfc-editor.org/rfc/rfc9110.html"


class InvalidSeed(ValueError):
    """A ``/_mock/seed`` body that cannot be applied (the admin router answers 422)."""


class ErpError(Exception):
    """Base of every error the ERP mock answers with; carries the HTTP status and body."""

    status: ClassVar[int] = 500

    def body(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        raise NotImplementedError


class NetSuiteError(ErpError):
    """An error in NetSuite's REST wire shape."""

    error_code: ClassVar[str] = "UNEXPECTED_ERROR"
    title: ClassVar[str] = "Internal Server Error"
    type_url: ClassVar[str] = f"{RFC9110}#section-15.6.1"

    def __init__(self, detail: str, **where: str) -> None:
        super().__init__(detail)
        self.detail = detail
        """Human-readable message, exactly as sent in ``o:errorDetails[0].detail``."""
        self.where = where
        """Extra ``o:`` keys of the detail, e.g. ``{"o:errorHeader": "Prefer"}`` (5.2)."""

    def body(self) -> dict[str, Any]:
        return {
            "type": self.type_url,
            "title": self.title,
            "status": self.status,
            "o:errorDetails": [
                {"detail": self.detail, "o:errorCode": self.error_code, **self.where}
            ],
        }


class InvalidLogin(NetSuiteError):
    """Missing or wrong bearer token."""

    status = 401
    error_code = "INVALID_LOGIN"
    title = "Unauthorized"
    type_url = f"{RFC9110}#section-15.5.2"
    DETAIL: ClassVar[str] = (
        "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI "
        "at Setup > Users/Roles > User Management > View Login Audit Trail."
    )

    def __init__(self) -> None:
        super().__init__(self.DETAIL)


class UserError(NetSuiteError):
    """A field value NetSuite refuses, such as an item that does not exist."""

    status = 400
    error_code = "USER_ERROR"
    title = "Bad Request"
    type_url = f"{RFC9110}#section-15.5.1"


class DuplicateRecord(NetSuiteError):
    """* A create whose externalId another record of the type already has (use PUT eid: to
    upsert instead)."""

    status = 400
    error_code = "DUP_RCRD"
    title = "Bad Request"
    type_url = f"{RFC9110}#section-15.5.1"


class InvalidContent(NetSuiteError):
    """A request body that is not valid JSON or lacks/mistypes a field."""

    status = 400
    error_code = "INVALID_CONTENT"
    title = "Bad Request"
    type_url = f"{RFC9110}#section-15.5.1"


class InvalidParameter(NetSuiteError):
    """A query parameter or URL part that NetSuite cannot use."""

    status = 400
    error_code = "INVALID_PARAMETER"
    title = "Bad Request"
    type_url = f"{RFC9110}#section-15.5.1"


class InvalidHeader(NetSuiteError):
    """* A required request header is missing or has a value NetSuite does not accept."""

    status = 400
    error_code = "INVALID_HEADER"
    title = "Bad Request"
    type_url = f"{RFC9110}#section-15.5.1"


class NonexistentId(NetSuiteError):
    """No record with that internal or external id."""

    status = 404
    error_code = "NONEXISTENT_ID"
    title = "Not Found"
    type_url = f"{RFC9110}#section-15.5.5"


class RouteNotFound(NetSuiteError):
    """* A URL under /services/rest/ that names no record type or service."""

    status = 404
    error_code = "INVALID_URL"
    title = "Not Found"
    type_url = f"{RFC9110}#section-15.5.5"


class MethodNotAllowed(NetSuiteError):
    """* A method the record or service does not support."""

    status = 405
    error_code = "INVALID_URL"
    title = "Method Not Allowed"
    type_url = f"{RFC9110}#section-15.5.6"


class ConcurrencyLimit(NetSuiteError):
    """The account's concurrent request limit is reached; the request is refused at once."""

    status = 429
    error_code = "CONCURRENCY_LIMIT_EXCEEDED"
    title = "Too Many Requests"
    # 429 is defined by RFC 6585, not RFC 9110.
    type_url = "https://www.rfc-editor.org/rfc/rfc6585.html#section-4"
    DETAIL: ClassVar[str] = "Concurrent request limit exceeded. Request blocked."

    def __init__(self) -> None:
        super().__init__(self.DETAIL)


class UnexpectedError(NetSuiteError):
    """A server-side failure (only ever injected by the fault plan)."""

    status = 500
    error_code = "UNEXPECTED_ERROR"
    title = "Internal Server Error"
    type_url = f"{RFC9110}#section-15.6.1"


class BadGateway(UnexpectedError):
    """* 502 from NetSuite's edge (injected)."""

    status = 502
    title = "Bad Gateway"
    type_url = f"{RFC9110}#section-15.6.3"


class GatewayTimeout(UnexpectedError):
    """* 504 from NetSuite's edge (injected)."""

    status = 504
    title = "Gateway Timeout"
    type_url = f"{RFC9110}#section-15.6.5"


class ServiceUnavailable(NetSuiteError):
    """* The account is in a maintenance window (or a fault is injected): 503 + Retry-After."""

    status = 503
    error_code = "SERVICE_UNAVAILABLE"
    title = "Service Unavailable"
    type_url = f"{RFC9110}#section-15.6.4"
    DETAIL: ClassVar[str] = (
        "NetSuite is undergoing scheduled maintenance and is temporarily unavailable. "
        "Please try again later."
    )

    def __init__(self, detail: str | None = None, *, retry_after: float) -> None:
        super().__init__(detail or self.DETAIL)
        self.retry_after = retry_after
        """Seconds the client should wait, sent as a whole-second ``Retry-After``."""


class SimulationError(ErpError):
    """An error of the ``/_sim/`` routes: ``{"error": code, "detail": ..., **extra}``."""

    code: ClassVar[str] = "invalid"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}


class InvalidMovement(SimulationError):
    """A stock-movement body with a missing or mistyped field."""

    status = 400
    code = "invalid_body"


class InsufficientStock(SimulationError):
    """A negative movement larger than what is available (other channels cannot oversell)."""

    status = 409
    code = "insufficient_available"


class UnknownSku(SimulationError):
    """A stock movement for a SKU the ERP does not have."""

    status = 422
    code = "unknown_sku"


class UnknownLocation(SimulationError):
    """A stock movement for a location the ERP does not have."""

    status = 422
    code = "unknown_location"

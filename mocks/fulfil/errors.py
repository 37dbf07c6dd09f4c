"""Errors of the Fulfil mock, one small class per wire answer (PLATFORMS.md 4.2).

Raised in the model, the gate or the parsers and rendered in one place (:func:`render`)::

    FulfilError                  status, body(), headers()
    ├── ApiError                 {"type", "message", "code"} (+ "description" for UserError)
    │   ├── UserError            400 business rule or validation (never retried by clients)
    │   ├── AuthenticationError  401 missing / unknown / revoked API key
    │   ├── NotFound             404 unknown model, record or method
    │   ├── RateLimitError       429 + Retry-After
    │   └── ServerError          5xx + X-Sentry-ID (only injected faults produce these)
    └── SimulationError          {"error": code, "detail", ...} (our /_sim/ and /_mock/ routes)
        ├── InvalidMovement      400
        ├── InvalidControl       422
        ├── InsufficientStock    409
        ├── UnknownSku           422
        └── UnknownLocation      422

Body keys follow the official client (``fulfil_client``): ``type`` picks the exception class,
``message`` is user-facing, ``code`` the status*. Wording of our messages is ours*.
"""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

from starlette.responses import Response


class FulfilError(Exception):
    """Base of every error the mock answers with."""

    status: int = 400

    def body(self) -> dict[str, Any]:
        """The JSON body."""
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """Extra response headers."""
        return {}


class ApiError(FulfilError):
    """An ``/api/v2`` error: ``{"type", "message", "code"}``."""

    type_name: ClassVar[str] = "ClientError"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def body(self) -> dict[str, Any]:
        return {"type": self.type_name, "message": self.message, "code": self.status}


class UserError(ApiError):
    """400: a business rule refused the call, or a value has the wrong type."""

    type_name = "UserError"

    def __init__(self, message: str, description: str = "") -> None:
        super().__init__(message)
        self.description = description

    def body(self) -> dict[str, Any]:
        return {**super().body(), "description": self.description}


class AuthenticationError(ApiError):
    """401: no key, an unknown key or a revoked one."""

    type_name = "AuthenticationError"
    status = 401

    def __init__(self, message: str = "Invalid or missing API key.") -> None:
        super().__init__(message)


class NotFound(ApiError):
    """404: unknown model, record or method."""

    type_name = "NotFound"
    status = 404


class RateLimitError(ApiError):
    """429: the key's requests-per-minute budget is spent; ``Retry-After`` in whole seconds."""

    type_name = "RateLimitError"
    status = 429

    def __init__(self, *, limit: int, retry_after: float) -> None:
        super().__init__(
            f"Rate limit exceeded: {limit} requests per minute per API key. "
            f"Retry after {math.ceil(retry_after)} seconds."
        )
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.retry_after)))}


class ServerError(ApiError):
    """5xx: carries the ``X-Sentry-ID`` an operator would quote to Fulfil support."""

    type_name = "ServerError"

    def __init__(self, message: str, *, status: int, sentry_id: str) -> None:
        super().__init__(message, status=status)
        self.sentry_id = sentry_id

    def headers(self) -> dict[str, str]:
        return {"X-Sentry-ID": self.sentry_id}


class SimulationError(FulfilError):
    """An error of our ``/_sim/`` and ``/_mock/`` routes: ``{"error", "detail", **extra}``."""

    code: ClassVar[str] = "invalid"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}


class InvalidMovement(SimulationError):
    """400: a control body with a missing or mistyped field."""

    status = 400
    code = "invalid_body"


class InvalidControl(SimulationError):
    """422: a ``/_mock/`` control body we cannot apply."""

    status = 422
    code = "invalid_request"


class InsufficientStock(SimulationError):
    """409: another channel cannot take more than is available to sell."""

    status = 409
    code = "insufficient_available"


class UnknownSku(SimulationError):
    """422: no product has that code."""

    status = 422
    code = "unknown_sku"


class UnknownLocation(SimulationError):
    """422: no warehouse has that id."""

    status = 422
    code = "unknown_location"


def render(exc: FulfilError) -> Response:
    """The one rendering of a :class:`FulfilError`."""
    body = json.dumps(exc.body(), separators=(",", ":")).encode()
    return Response(
        body, status_code=exc.status, headers=exc.headers(), media_type="application/json"
    )

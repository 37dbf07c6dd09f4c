"""HTTP helpers shared by the ERP route modules: error rendering, bodies, links, Location.

Every :class:`ErpError` is rendered here and nowhere else (NetSuite's body on platform routes,
ours on ``/_sim/``); a 503 carries ``Retry-After`` in whole seconds.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from mocks.common.money import loads_exact
from mocks.erp.constants import RECORD_PREFIX
from mocks.erp.errors import (
    ErpError,
    InvalidContent,
    InvalidMovement,
    InvalidParameter,
    ServiceUnavailable,
)
from mocks.erp.models import ErpModel


def error_response(exc: ErpError) -> JSONResponse:
    """The one rendering of an :class:`ErpError` (NetSuite body, or ours on ``/_sim/``)."""
    headers = None
    if isinstance(exc, ServiceUnavailable):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
    return JSONResponse(exc.body(), status_code=exc.status, headers=headers)


def model_of(request: Request) -> ErpModel:
    """The app's model."""
    model: ErpModel = request.app.state.model
    return model


async def json_body(
    request: Request, error: type[InvalidContent] | type[InvalidMovement] = InvalidContent
) -> Any:
    """The body parsed with exact decimals; empty or malformed is ``error``."""
    raw = await request.body()
    if not raw.strip():
        raise error("Invalid content: the request body is empty; expected a JSON object.")
    try:
        return loads_exact(raw)
    except ValueError as exc:
        raise error(f"Invalid content: the request body is not valid JSON ({exc}).") from exc


async def optional_json_body(request: Request) -> Any:
    """Like :func:`json_body`, but an empty body is ``{}`` (a transform with no changes)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    return await json_body(request)


def external_id_of(ref: str, record: str) -> str:
    """The externalId of an upsert URL ``{record}/eid:{externalId}``; an internal id is a 400."""
    if not ref.startswith("eid:"):
        raise InvalidParameter(
            f"Upsert requires an external ID in the URL: {record}/eid:{{externalId}}."
        )
    return ref[4:]


def page_links(request: Request, *, offset: int, limit: int, total: int) -> list[dict[str, str]]:
    """NetSuite's collection links: self, next, prev, first, last."""

    def at(new_offset: int) -> str:
        return str(request.url.include_query_params(limit=limit, offset=new_offset))

    links = [{"rel": "self", "href": str(request.url)}]
    if offset + limit < total:
        links.append({"rel": "next", "href": at(offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "href": at(max(0, offset - limit))})
    links.append({"rel": "first", "href": at(0)})
    if total:
        links.append({"rel": "last", "href": at(((total - 1) // limit) * limit)})
    return links


def record_url(request: Request, record_type: str, record_id: int) -> str:
    """Absolute URL of a record, as in ``Location`` and ``links``."""
    return f"{str(request.base_url).rstrip('/')}{RECORD_PREFIX}/{record_type}/{record_id}"


def created(request: Request, record_type: str, record_id: int) -> Response:
    """NetSuite's answer to a create, upsert, transform or edit: 204 with the Location."""
    return Response(
        status_code=204, headers={"Location": record_url(request, record_type, record_id)}
    )


def with_self_link(request: Request, record: dict[str, Any]) -> JSONResponse:
    """A single record with its ``links``."""
    return JSONResponse({"links": [{"rel": "self", "href": str(request.url)}], **record})

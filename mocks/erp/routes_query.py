"""SuiteQL route (PLATFORMS.md 5.3): ``POST /services/rest/query/v1/suiteql?limit=&offset=``.

Clients must send ``Prefer: transient`` (virtually all do; without it this mock answers a 400
naming the header*). ``limit`` is 1..1000 (default 1000), ``offset`` >= 0. The answer is
``{links, count, hasMore, offset, totalResults, items}``; the query itself runs in
``suiteql.py``.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.erp.errors import InvalidHeader, NetSuiteError
from mocks.erp.fields import int_param
from mocks.erp.suiteql import run_suiteql
from mocks.erp.wire import json_body, model_of, page_links


def _prefers_transient(request: Request) -> bool:
    values = request.headers.getlist("prefer")
    tokens = {part.strip().lower() for value in values for part in value.split(",")}
    return "transient" in tokens


def build_query_router() -> APIRouter:
    """``/services/rest/query/v1/suiteql``."""
    router = APIRouter(prefix="/services/rest/query/v1")

    @router.post("/suiteql")
    async def suiteql(request: Request) -> JSONResponse:
        """Run one SELECT and answer one page of its rows."""
        model, params = model_of(request), request.query_params
        settings = model.settings
        try:
            if not _prefers_transient(request):
                raise InvalidHeader(
                    "Invalid header Prefer: SuiteQL queries must be sent with the header "
                    "'Prefer: transient'.",
                    **{"o:errorHeader": "Prefer"},
                )
            limit = int_param(
                "limit",
                params.get("limit"),
                settings.suiteql_page_limit_max,
                1,
                settings.suiteql_page_limit_max,
            )
            offset = int_param("offset", params.get("offset"), 0, 0, None)
            page = run_suiteql(
                model, await json_body(request), limit=limit, offset=offset, settings=settings
            )
        except NetSuiteError:
            model.record_suiteql(ok=False)
            raise
        model.record_suiteql(ok=True)
        return JSONResponse(
            {
                "links": page_links(request, offset=offset, limit=limit, total=page.total),
                "count": len(page.items),
                "hasMore": page.has_more,
                "offset": offset,
                "totalResults": page.total,
                "items": page.items,
            }
        )

    return router

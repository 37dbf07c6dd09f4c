"""Helpers shared by the Shopify mock's route modules: model access, lists, versioned orders."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse

from mocks.shopify.gate import requested_api_version
from mocks.shopify.models import ShopifyModel
from mocks.shopify.pagination import Page
from mocks.shopify.schemas import ListRequest, parse_json_object, parse_list_request
from mocks.shopify.versions import DEPRECATED_HEADER, order_deprecations, render_orders

ADMIN_PATH = "/admin/api/{version}"


def _model(request: Request) -> ShopifyModel:
    model: ShopifyModel = request.app.state.model
    return model


def _list_request(request: Request, resource: str, filters: tuple[str, ...]) -> ListRequest:
    settings = _model(request).settings
    return parse_list_request(
        request.query_params,
        resource=resource,
        filter_names=filters,
        default_limit=settings.page_limit_default,
        max_limit=settings.page_limit_max,
    )


def _select_fields(items: list[dict[str, Any]], fields: str | None) -> list[dict[str, Any]]:
    """Shopify's ``fields=id,name``: keep only the named top-level keys."""
    if not fields:
        return items
    wanted = {f.strip() for f in fields.split(",") if f.strip()}
    return [{k: v for k, v in item.items() if k in wanted} for item in items]


def _paged(
    request: Request,
    key: str,
    page: Page[dict[str, Any]],
    limit: int,
    extra_headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The page body plus Shopify's ``Link`` header (absent when there is a single page)."""
    base = str(request.url.replace(query=""))
    links = []
    for cursor, rel in ((page.prev_cursor, "previous"), (page.next_cursor, "next")):
        if cursor is not None:
            query = urlencode({"page_info": cursor.encode(), "limit": limit})
            links.append(f'<{base}?{query}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links else {}
    items = _select_fields(page.items, request.query_params.get("fields"))
    return JSONResponse({key: items}, headers={**headers, **(extra_headers or {})})


async def _body(request: Request) -> dict[str, Any]:
    return parse_json_object(await request.body(), admin=True)


def api_version(request: Request) -> str:
    """The version answering this request (after fall-forward)."""
    return _model(request).settings.resolve_api_version(requested_api_version(request.url.path))


def render_orders_response(
    request: Request, orders: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Orders as the answering version shows them (``fields`` applied) and the deprecation
    header naming any deprecated field they still carry."""
    version = api_version(request)
    shown = _select_fields(render_orders(orders, version), request.query_params.get("fields"))
    reasons = order_deprecations(version, shown)
    return shown, ({DEPRECATED_HEADER: ", ".join(reasons)} if reasons else {})

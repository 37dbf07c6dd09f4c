"""``POST /admin/api/{version}/graphql.json``: the one route of the GraphQL Admin API mock.

Mount it in ``create_app`` with one line (after ``build_admin_router()``)::

    app.include_router(graphql_router(settings=overrides.get("graphql")))

Auth repeats the REST rule (``X-Shopify-Access-Token``, 401 with Shopify's body) through the
model's own ``authenticate``, so the route is safe with or without ``AdminGate`` in front; the
gate still adds ``X-Shopify-API-Version``. The cost bucket is per access token and lives on
``app.state.shopify_graphql`` (see :mod:`mocks.shopify.graphql.runtime`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks.shopify.constants import INVALID_TOKEN_MESSAGE
from mocks.shopify.graphql.executor import BAD_BODY, BadGraphQLBody, handle, read_request
from mocks.shopify.graphql.runtime import runtime_for
from mocks.shopify.graphql.settings import GraphQLSettings
from mocks.shopify.models import ShopifyModel

GRAPHQL_PATH = "/admin/api/{version}/graphql.json"
UNVERSIONED_PATH = "/admin/api/graphql.json"
TOKEN_HEADER = "X-Shopify-Access-Token"


def graphql_router(*, settings: GraphQLSettings | Mapping[str, Any] | None = None) -> APIRouter:
    """The GraphQL Admin API route; ``settings`` overrides :class:`GraphQLSettings` defaults.

    The app it is mounted on must carry the Shopify model at ``app.state.model`` (as
    ``mocks.shopify.api.create_app`` builds it).
    """
    config = (
        settings
        if isinstance(settings, GraphQLSettings)
        else GraphQLSettings.from_overrides(settings)
    )
    router = APIRouter()

    async def answer(request: Request, version: str | None) -> JSONResponse:
        model: ShopifyModel = request.app.state.model
        token = request.headers.get(TOKEN_HEADER)
        if token is None or not model.authenticate(token):
            return JSONResponse({"errors": INVALID_TOKEN_MESSAGE}, status_code=401)
        try:
            req = read_request(await request.body(), request.headers.get("content-type", ""))
        except BadGraphQLBody:
            return JSONResponse(BAD_BODY, status_code=400)
        runtime = runtime_for(request.app.state, settings=config, clock=model.clock)
        body = handle(
            req,
            token=token,
            model=model,
            runtime=runtime,
            api_version=model.settings.resolve_api_version(version),
        )
        return JSONResponse(body)

    @router.post(UNVERSIONED_PATH)
    async def graphql_unversioned(request: Request) -> JSONResponse:
        # No version in the URL answers as the oldest supported version (PLATFORMS.md 1.11).
        return await answer(request, None)

    @router.post(GRAPHQL_PATH)
    async def graphql(request: Request, version: str) -> JSONResponse:
        return await answer(request, version)

    return router

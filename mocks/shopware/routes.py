"""Admin API routes of the Shopware 6 mock: read parameters, make one model call, serialise.

Auth and the token-route limit are the gate's (``gate.py``). Entity names in URLs are
kebab-case (``/api/order-line-item``) or snake_case, as Shopware accepts both.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mocks.shopware import deliveries as delivery_ops
from mocks.shopware import orders as order_ops
from mocks.shopware import sync as sync_ops
from mocks.shopware.auth import check_client, parse_token_request
from mocks.shopware.constants import LIVE_VERSION_ID
from mocks.shopware.criteria import Criteria, CriteriaParser
from mocks.shopware.errors import (
    DefinitionNotFound,
    MethodNotAllowed,
    SyncPayloadTooLarge,
    VersionError,
)
from mocks.shopware.models import READABLE_ENTITIES, ShopwareModel
from mocks.shopware.resources import state_resource
from mocks.shopware.schemas import header_flag, parse_admin_order, parse_json, parse_sync

WRITABLE = ("product", "customer", "order")


def model_of(request: Request) -> ShopwareModel:
    """The app's model."""
    model: ShopwareModel = request.app.state.model
    return model


def _entity(request: Request, raw: str, *, write: bool = False) -> str:
    entity = raw.replace("-", "_")
    if entity not in READABLE_ENTITIES:
        raise DefinitionNotFound(raw)
    if write and entity not in WRITABLE:
        raise MethodNotAllowed(request.method, str(request.url.path), "GET")
    return entity


def _version(request: Request) -> str | None:
    value = request.headers.get("sw-version-id")
    if not value or value.lower() == LIVE_VERSION_ID:
        return None
    return value.lower()


def _parser(model: ShopwareModel, entity: str) -> CriteriaParser:
    return CriteriaParser(
        entity=entity,
        fields=model.field_names(entity),
        default_limit=model.settings.page_limit_default,
        max_limit=model.settings.page_limit_max,
    )


def _listing(model: ShopwareModel, entity: str, criteria: Criteria, version: str | None) -> Any:
    result = model.search(entity, criteria, version)
    return {"total": result.total, "data": result.data, "aggregations": result.aggregations}


def _written(request: Request, entity: str, record_id: str, status: int = 204) -> Response:
    """204 with ``Location`` (Shopware's default), or 200 with the record for ``_response``."""
    model = model_of(request)
    wanted = request.query_params.get("_response")
    if wanted and wanted.lower() != "false":
        return JSONResponse({"data": model.detail(entity, record_id, _version(request))})
    location = f"{str(request.base_url).rstrip('/')}/api/{entity.replace('_', '-')}/{record_id}"
    return Response(status_code=status, headers={"Location": location})


def build_admin_router() -> APIRouter:
    """Every ``/api/`` route."""
    router = APIRouter(prefix="/api")

    @router.post("/oauth/token")
    async def token(request: Request) -> JSONResponse:
        model = model_of(request)
        req = parse_token_request(request.headers.get("content-type", ""), await request.body())
        check_client(req, client_id=model.client_id, client_secret=model.client_secret)
        issued = model.tokens.issue(req.client_id)
        model.stats_.tokens_issued += 1
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": int(model.settings.token_ttl_seconds),
                "access_token": issued.value,
            }
        )

    @router.get("/_info/version")
    async def version(request: Request) -> dict[str, str]:
        return {"version": model_of(request).settings.shopware_version}

    @router.post("/_action/sync")
    async def sync(request: Request) -> JSONResponse:
        model = model_of(request)
        operations = parse_sync(parse_json(await request.body()))
        sync_ops.check_entities(operations)
        count = sync_ops.record_count(operations)
        model.stats_.sync_requests += 1
        if count > model.settings.sync_max_payload_records:
            model.stats_.sync_rejected += 1
            raise SyncPayloadTooLarge(count, model.settings.sync_max_payload_records)
        model.stats_.sync_records += count
        settings = model.settings
        await model.clock.sleep(
            settings.sync_base_seconds + settings.sync_seconds_per_record * count
        )
        status, body = sync_ops.execute(
            model,
            operations,
            fail_on_error=header_flag(request.headers.get("fail-on-error"), default=True),
            single_operation=header_flag(request.headers.get("single-operation"), default=True),
        )
        return JSONResponse(body, status_code=status)

    @router.post("/_action/order/{order_id}/state/{transition}")
    async def order_state(request: Request, order_id: str, transition: str) -> JSONResponse:
        data = order_ops.transition(model_of(request), order_id.lower(), transition)
        return JSONResponse({"data": state_resource(data.state)})

    @router.post("/_action/order_delivery/{delivery_id}/state/{transition}")
    async def delivery_state(request: Request, delivery_id: str, transition: str) -> JSONResponse:
        state = delivery_ops.transition(model_of(request), delivery_id.lower(), transition)
        return JSONResponse({"data": delivery_ops.delivery_state_resource(state)})

    @router.post("/_action/order/{order_id}/recalculate")
    async def recalculate(request: Request, order_id: str) -> Response:
        order_ops.recalculate(model_of(request), order_id.lower(), _version(request))
        return Response(status_code=204)

    @router.post("/_action/version/merge/{entity}/{version_id}")
    async def merge(request: Request, entity: str, version_id: str) -> Response:
        if entity.replace("-", "_") != "order":
            raise VersionError(f'Versions of "{entity}" are not supported here; use order.')
        if version_id.lower() == LIVE_VERSION_ID:
            raise VersionError("The live version cannot be merged.")
        order_ops.merge(model_of(request), version_id.lower())
        return Response(status_code=204)

    @router.post("/_action/version/{entity}/{entity_id}")
    async def create_version(request: Request, entity: str, entity_id: str) -> JSONResponse:
        if entity.replace("-", "_") != "order":
            raise VersionError(f'Versions of "{entity}" are not supported here; use order.')
        version_id = order_ops.create_version(model_of(request), entity_id.lower())
        return JSONResponse(
            {"versionId": version_id, "versionName": None, "id": entity_id, "entity": "order"}
        )

    @router.post("/_action/version/{version_id}/{entity}/{entity_id}")
    async def delete_version(
        request: Request, version_id: str, entity: str, entity_id: str
    ) -> Response:
        order_ops.delete_version(model_of(request), version_id.lower())
        return Response(status_code=204)

    @router.post("/search/{entity}")
    async def search(request: Request, entity: str) -> JSONResponse:
        model = model_of(request)
        name = _entity(request, entity)
        body = parse_json(await request.body())
        if not isinstance(body, dict):
            body = {}
        criteria = _parser(model, name).parse_body(body)
        return JSONResponse(_listing(model, name, criteria, _version(request)))

    @router.get("/{entity}")
    async def listing(request: Request, entity: str) -> JSONResponse:
        model = model_of(request)
        name = _entity(request, entity)
        criteria = _parser(model, name).parse_query(request.query_params)
        return JSONResponse(_listing(model, name, criteria, _version(request)))

    @router.get("/{entity}/{record_id}")
    async def detail(request: Request, entity: str, record_id: str) -> JSONResponse:
        model = model_of(request)
        name = _entity(request, entity)
        criteria = _parser(model, name).parse_query(request.query_params)
        doc = model.detail(name, record_id, _version(request))
        return JSONResponse({"data": model.project(name, doc, criteria)})

    @router.post("/{entity}")
    async def create(request: Request, entity: str) -> Response:
        model = model_of(request)
        name = _entity(request, entity, write=True)
        payload = parse_json(await request.body())
        if name == "order":
            if not isinstance(payload, dict):
                payload = {}
            order = model.checkout(parse_admin_order(payload), admin=True)
            return _written(request, name, order.id)
        result = model.write(name, payload, mode="create")
        return _written(request, name, result.id)

    # Declared before the generic PATCH, which refuses order_delivery (read-only there).
    @router.patch("/order-delivery/{delivery_id}")
    @router.patch("/order_delivery/{delivery_id}")
    async def delivery_update(request: Request, delivery_id: str) -> Response:
        payload = parse_json(await request.body())
        rid = delivery_id.lower()
        delivery_ops.patch_delivery(model_of(request), rid, payload, _version(request))
        return _written(request, delivery_ops.ENTITY, rid)

    @router.patch("/{entity}/{record_id}")
    async def update(request: Request, entity: str, record_id: str) -> Response:
        model = model_of(request)
        name = _entity(request, entity, write=True)
        payload = parse_json(await request.body())
        if name == "order":
            order_ops.patch_order(model, record_id.lower(), payload, _version(request))
            return _written(request, name, record_id.lower())
        if isinstance(payload, dict):
            payload = {**payload, "id": record_id}
        model.require(name, record_id)
        result = model.write(name, payload, mode="update")
        return _written(request, name, result.id)

    @router.delete("/{entity}/{record_id}")
    async def delete(request: Request, entity: str, record_id: str) -> Response:
        name = _entity(request, entity, write=True)
        model_of(request).delete(name, record_id)
        return Response(status_code=204)

    return router

"""Routes of the master and order records: ``salesOrder``, ``customer``, ``inventoryItem``.

Thin: read the request, make one model call, answer in NetSuite's shape (204 + ``Location``
for writes, the record with ``links`` for reads, ``links``/``count``/``hasMore``/``offset``/
``totalResults``/``items`` for collections).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mocks.erp.constants import RECORD_PREFIX
from mocks.erp.customers import customer_record
from mocks.erp.fields import int_param
from mocks.erp.schemas import parse_inventory_query
from mocks.erp.wire import (
    created,
    external_id_of,
    json_body,
    model_of,
    page_links,
    record_url,
    with_self_link,
)


def build_records_router() -> APIRouter:
    """``/services/rest/record/v1/{salesOrder|customer|inventoryItem}``."""
    router = APIRouter(prefix=RECORD_PREFIX)

    # ------------------------------------------------------------------ salesOrder
    @router.put("/salesOrder/{ref}", status_code=204)
    async def upsert_sales_order(ref: str, request: Request) -> Response:
        """Idempotent upsert by external id; 204 with the record's Location."""
        external_id = external_id_of(ref, "salesOrder")
        body = await json_body(request)
        order, _created = model_of(request).orders.upsert(external_id, body)
        return created(request, "salesOrder", order.id)

    @router.patch("/salesOrder/{ref}", status_code=204)
    async def edit_sales_order(ref: str, request: Request) -> Response:
        """Edit, approve, cancel or close; refused once fulfilment has started."""
        replace = {
            part.strip()
            for part in request.query_params.get("replace", "").split(",")
            if part.strip()
        }
        body = await json_body(request)
        order = model_of(request).orders.edit(ref, body, replace=replace)
        return created(request, "salesOrder", order.id)

    @router.get("/salesOrder/{ref}")
    async def get_sales_order(ref: str, request: Request) -> JSONResponse:
        """A sales order by internal id or ``eid:{externalId}``."""
        model = model_of(request)
        return with_self_link(request, model.sales_order_record(model.orders.get(ref)))

    # ------------------------------------------------------------------ customer
    @router.put("/customer/{ref}", status_code=204)
    async def upsert_customer(ref: str, request: Request) -> Response:
        """Create or update by external id."""
        external_id = external_id_of(ref, "customer")
        body = await json_body(request)
        customer, _created = model_of(request).customers.upsert(external_id, body)
        return created(request, "customer", customer.id)

    @router.post("/customer", status_code=204)
    async def create_customer(request: Request) -> Response:
        """Always a new customer (duplicates by e-mail or phone are allowed)."""
        customer = model_of(request).customers.create(await json_body(request))
        return created(request, "customer", customer.id)

    @router.get("/customer")
    async def query_customers(request: Request) -> JSONResponse:
        """Ids and links of customers matching ``q`` (e.g. ``email IS "a@b.c"``)."""
        model, params = model_of(request), request.query_params
        settings = model.settings
        limit = int_param(
            "limit",
            params.get("limit"),
            settings.query_page_limit_default,
            1,
            settings.query_page_limit_max,
        )
        offset = int_param("offset", params.get("offset"), 0, 0, None)
        page = model.customers.query(params.get("q"), limit=limit, offset=offset)
        return JSONResponse(
            {
                "links": page_links(request, offset=offset, limit=limit, total=page.total),
                "count": len(page.ids),
                "hasMore": page.has_more,
                "offset": offset,
                "totalResults": page.total,
                "items": [
                    {
                        "links": [{"rel": "self", "href": record_url(request, "customer", cid)}],
                        "id": str(cid),
                    }
                    for cid in page.ids
                ],
            }
        )

    @router.get("/customer/{ref}")
    async def get_customer(ref: str, request: Request) -> JSONResponse:
        """A customer by internal id or ``eid:{externalId}``."""
        return with_self_link(request, customer_record(model_of(request).customers.get(ref)))

    # ------------------------------------------------------------------ inventoryItem
    @router.get("/inventoryItem")
    async def list_inventory_items(request: Request) -> JSONResponse:
        """Inventory items, optionally changed since a time, oldest change first, paged."""
        model, params = model_of(request), request.query_params
        query = parse_inventory_query(
            params.get("q"), params.get("limit"), params.get("offset"), model.settings
        )
        page = model.inventory.query(query)
        return JSONResponse(
            {
                "links": page_links(
                    request, offset=page.offset, limit=page.limit, total=page.total
                ),
                "count": len(page.items),
                "hasMore": page.has_more,
                "offset": page.offset,
                "totalResults": page.total,
                "items": page.items,
            }
        )

    @router.get("/inventoryItem/{ref}")
    async def get_inventory_item(ref: str, request: Request) -> JSONResponse:
        """One item with its per-location quantities, by internal id or ``eid:{sku}``."""
        inventory = model_of(request).inventory
        return with_self_link(request, inventory.record(inventory.get(ref)))

    return router

"""Routes of the transactions made from or beside sales orders: transforms, item fulfilments,
credit memos and journal entries (PLATFORMS.md 5.3). Thin: one model call per route.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from mocks.erp.constants import RECORD_PREFIX
from mocks.erp.credit_memos import credit_memo_record
from mocks.erp.errors import InvalidParameter
from mocks.erp.fulfilment import fulfilment_record
from mocks.erp.wire import (
    created,
    external_id_of,
    json_body,
    model_of,
    optional_json_body,
    with_self_link,
)

TRANSFORMS = ("itemFulfillment", "creditMemo")


def build_transactions_router() -> APIRouter:
    """``!transform``, ``itemFulfillment``, ``creditMemo`` and ``journalEntry`` routes."""
    router = APIRouter(prefix=RECORD_PREFIX)

    @router.post("/salesOrder/{ref}/!transform/{target}", status_code=204)
    async def transform(ref: str, target: str, request: Request) -> Response:
        """Fulfil or credit a sales order; 204 with the new record's Location."""
        model = model_of(request)
        if target == "itemFulfillment":
            fulfilment = model.fulfilments.transform(ref, await optional_json_body(request))
            return created(request, "itemFulfillment", fulfilment.id)
        if target == "creditMemo":
            memo = model.credit_memos.transform(ref, await json_body(request))
            return created(request, "creditMemo", memo.id)
        raise InvalidParameter(
            f"Invalid transformation: a salesOrder cannot be transformed into {target!r}; "
            f"supported: {', '.join(TRANSFORMS)}."
        )

    # ------------------------------------------------------------------ itemFulfillment
    @router.get("/itemFulfillment/{ref}")
    async def get_fulfilment(ref: str, request: Request) -> JSONResponse:
        """An item fulfilment by internal id or ``eid:``."""
        model = model_of(request)
        record = fulfilment_record(model.fulfilments.get(ref), model.locations)
        return with_self_link(request, record)

    @router.patch("/itemFulfillment/{ref}", status_code=204)
    async def update_fulfilment(ref: str, request: Request) -> Response:
        """Move the ship status forward (stock leaves at C); carrier, tracking, memo."""
        fulfilment = model_of(request).fulfilments.update(ref, await json_body(request))
        return created(request, "itemFulfillment", fulfilment.id)

    # ------------------------------------------------------------------ creditMemo
    @router.post("/creditMemo", status_code=204)
    async def create_credit_memo(request: Request) -> Response:
        """A credit memo from the sales order in ``createdFrom``."""
        memo = model_of(request).credit_memos.create(await json_body(request))
        return created(request, "creditMemo", memo.id)

    @router.put("/creditMemo/{ref}", status_code=204)
    async def upsert_credit_memo(ref: str, request: Request) -> Response:
        """Idempotent by external id: a repeat never credits twice."""
        external_id = external_id_of(ref, "creditMemo")
        body = await json_body(request)
        memo, _created = model_of(request).credit_memos.upsert(external_id, body)
        return created(request, "creditMemo", memo.id)

    @router.get("/creditMemo/{ref}")
    async def get_credit_memo(ref: str, request: Request) -> JSONResponse:
        """A credit memo by internal id or ``eid:``."""
        return with_self_link(request, credit_memo_record(model_of(request).credit_memos.get(ref)))

    # ------------------------------------------------------------------ journalEntry
    @router.post("/journalEntry", status_code=204)
    async def create_journal(request: Request) -> Response:
        """A balanced journal entry."""
        entry = model_of(request).journal.create(await json_body(request))
        return created(request, "journalEntry", entry.id)

    @router.put("/journalEntry/{ref}", status_code=204)
    async def upsert_journal(ref: str, request: Request) -> Response:
        """Create or replace by external id."""
        external_id = external_id_of(ref, "journalEntry")
        body = await json_body(request)
        entry, _created = model_of(request).journal.upsert(external_id, body)
        return created(request, "journalEntry", entry.id)

    @router.get("/journalEntry/{ref}")
    async def get_journal(ref: str, request: Request) -> JSONResponse:
        """A journal entry by internal id or ``eid:``."""
        journal = model_of(request).journal
        return with_self_link(request, journal.record(journal.get(ref)))

    return router

"""``POST /api/_action/sync`` (PLATFORMS 3.2): named upsert/delete operations in transactions.

- Body: ``{"<key>": {"entity", "action": "upsert"|"delete", "payload": [...]}}`` or the 6.5+
  list form; entities ``product`` and ``customer`` (* others answer 400). Upsert inserts a
  record whose ``id`` is absent or unknown and updates it otherwise; delete takes ``[{"id"}]``
  and skips ids that do not exist.
- ``sync_max_payload_records``* bounds the records of one request (400
  ``FRAMEWORK__SYNC_PAYLOAD_TOO_LARGE``, nothing written); the route holds
  ``sync_base_seconds + sync_seconds_per_record * n`` simulated seconds before committing.
- ``single-operation`` (default 1*, the only behaviour of 6.5+): every operation in one
  transaction; ``0``: each operation its own transaction.
- ``fail-on-error`` (default true): one invalid record rolls its whole transaction back and the
  answer is 400 with every violation, each with a pointer ``/<key>/<index>/<field>``; ``false``:
  valid records are written, invalid ones skipped, and the answer is 200 with
  ``"success": false`` and the errors beside each record's result.
- ``indexing-behavior`` is accepted and counted (indexing is not modelled).
Success: ``{"success": true, "data": {"<key>": {"result": [{"entities": {"product": [id]},
"errors": []}, ...]}}}``, one result per record. Webhooks go out for committed writes only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mocks.shopware.catalog import UnitOfWork, WriteResult
from mocks.shopware.errors import (
    DefinitionNotFound,
    InvalidSyncOperation,
    Violation,
    WriteViolations,
)
from mocks.shopware.schemas import SyncOperation
from mocks.shopware.writes import WRITABLE_ENTITIES, delete_record, write_record

if TYPE_CHECKING:
    from mocks.shopware.models import ShopwareModel

KNOWN_READ_ONLY = ("order", "order_line_item", "order_delivery", "order_transaction", "tax")


@dataclass(kw_only=True)
class RecordOutcome:
    """What happened to one record of one operation."""

    result: WriteResult | None = None
    errors: list[Violation] | None = None


def check_entities(operations: list[SyncOperation]) -> None:
    """Every operation names an entity the sync API writes here."""
    for op in operations:
        entity = op.entity.replace("-", "_")
        if entity in WRITABLE_ENTITIES:
            continue
        if entity in KNOWN_READ_ONLY:
            raise InvalidSyncOperation(
                f"The sync API of this mock writes {', '.join(WRITABLE_ENTITIES)}; "
                f'"{op.entity}" is read-only here.',
                f"/{op.key}/entity",
            )
        raise DefinitionNotFound(op.entity, status=400, pointer=f"/{op.key}/entity")


def _run_operation(model: ShopwareModel, op: SyncOperation, uow: UnitOfWork) -> list[RecordOutcome]:
    entity = op.entity.replace("-", "_")
    outcomes = []
    ctx = model.write_context()
    for i, record in enumerate(op.payload):
        pointer = f"/{op.key}/{i}"
        try:
            if op.action == "delete":
                result = delete_record(model.catalog, entity, record, pointer=pointer, uow=uow)
            else:
                result = write_record(
                    model.catalog, entity, record, pointer=pointer, mode="upsert", uow=uow, ctx=ctx
                )
            outcomes.append(RecordOutcome(result=result))
        except WriteViolations as exc:
            outcomes.append(RecordOutcome(errors=exc.violations))
    return outcomes


def execute(
    model: ShopwareModel,
    operations: list[SyncOperation],
    *,
    fail_on_error: bool,
    single_operation: bool,
) -> tuple[int, dict[str, Any]]:
    """Run the operations; returns ``(status, body)``. Webhooks for committed writes only."""
    groups = [operations] if single_operation else [[op] for op in operations]
    outcomes: dict[str, list[RecordOutcome]] = {}
    committed: list[WriteResult] = []
    failures: list[Violation] = []
    for group in groups:
        uow = UnitOfWork(model.catalog)
        group_outcomes = {op.key: _run_operation(model, op, uow) for op in group}
        errors = [e for outs in group_outcomes.values() for o in outs for e in o.errors or []]
        if errors and fail_on_error:
            uow.rollback()
            failures.extend(errors)
            continue
        outcomes.update(group_outcomes)
        committed.extend(
            o.result for outs in group_outcomes.values() for o in outs if o.result is not None
        )
    if committed:
        model.notifier.written(committed, now=model.clock.now())
    if failures:
        model.stats_.sync_rejected += 1
        return 400, WriteViolations(failures).body()
    data: dict[str, Any] = {}
    for op in operations:
        results = []
        for outcome in outcomes.get(op.key, []):
            entities: dict[str, list[str]] = {}
            if outcome.result is not None:
                entities = {outcome.result.entity: [outcome.result.id]}
            results.append(
                {"entities": entities, "errors": [e.error() for e in outcome.errors or []]}
            )
        data[op.key] = {"result": results, "extensions": []}
    success = all(not o.errors for outs in outcomes.values() for o in outs)
    return 200, {"success": success, "data": data}


def record_count(operations: list[SyncOperation]) -> int:
    """Records carried by a sync request (what the payload limit and the cost count)."""
    return sum(len(op.payload) for op in operations)

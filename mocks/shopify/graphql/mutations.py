"""``inventorySetQuantities`` and ``inventoryAdjustQuantities`` (PLATFORMS.md 1.6).

Both are all-or-nothing: every quantity is validated (ids, stocking, names, reasons, the
compare-and-swap value) before any is applied, and one userError leaves the stock untouched.
The mock is single-threaded and nothing here awaits, so validate-then-apply is atomic.

Version rules (``GraphQLSettings.change_from_quantity_version``, 2026-04):
- before: ``inventorySetQuantities`` checks ``compareQuantity`` unless
  ``ignoreCompareQuantity: true`` (``COMPARE_QUANTITY_REQUIRED`` / ``COMPARE_QUANTITY_STALE``);
  a quantity that carries ``changeFromQuantity`` (available since 2026-01) uses that instead.
  ``@idempotent`` is optional on ``inventoryAdjustQuantities``.
- from: every quantity must carry the ``changeFromQuantity`` key (explicit null skips the
  check; a missing key is a userError), mismatch is ``CHANGE_FROM_QUANTITY_STALE``;
  ``compareQuantity``/``ignoreCompareQuantity`` are ignored; ``inventoryAdjustQuantities``
  without ``@idempotent(key:)`` is a top-level error and nothing is applied.
A repeated idempotency key with the same input returns the stored payload without applying
anything; with a different input it is ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError
from graphql.execution.values import get_directive_values

from mocks.shopify.graphql import quantities as q
from mocks.shopify.graphql.connections import gid, parse_gid
from mocks.shopify.graphql.runtime import Info, RequestContext, StoredResult
from mocks.shopify.records import Location, Variant
from simclock import iso_utc

REASONS = frozenset(
    {
        "correction", "cycle_count_available", "damaged", "movement_canceled",
        "movement_created", "movement_received", "movement_updated", "other", "promotion",
        "quality_control", "received", "reservation_created", "reservation_deleted",
        "reservation_updated", "restock", "safety_stock", "shrinkage",
    }
)  # fmt: skip
IDEMPOTENCY_REQUIRED_MESSAGE = (
    "The @idempotent directive with a key is required for this mutation from API version {v}."
)

Errors = list[dict[str, Any]]
Resolved = tuple[Variant, Location]


def _error(field: list[str], message: str, code: str | None) -> dict[str, Any]:
    return {"field": field, "message": message, "code": code}


def idempotency_key(info: Info) -> str | None:
    """The ``@idempotent(key:)`` on this mutation field, if any."""
    directive = info.schema.get_directive("idempotent")
    if directive is None:  # pragma: no cover - declared in the SDL
        return None
    values = get_directive_values(directive, info.field_nodes[0], info.variable_values)
    return None if values is None else str(values["key"])


def run_idempotent(
    info: Info,
    payload_input: dict[str, Any],
    *,
    required: bool,
    run: Callable[[], dict[str, Any]],
    result_field: str = "inventoryAdjustmentGroup",
) -> dict[str, Any]:
    """Run ``run`` once per ``@idempotent(key:)``; a replay returns the stored payload.

    ``required``: a missing key is a top-level error (nothing runs). The same key with other
    arguments answers ``IDEMPOTENCY_KEY_PARAMETER_MISMATCH`` with ``result_field`` null.
    """
    ctx: RequestContext = info.context
    key = idempotency_key(info)
    if key is None:
        if required:
            raise GraphQLError(
                IDEMPOTENCY_REQUIRED_MESSAGE.format(v=ctx.settings.change_from_quantity_version),
                info.field_nodes[0],
                extensions={"code": "BAD_REQUEST"},
            )
        return run()
    fingerprint = json.dumps([info.field_name, payload_input], sort_keys=True, default=str)
    stored = ctx.runtime.idempotency.get(key)
    if stored is not None:
        if stored.fingerprint != fingerprint:
            message = "The same idempotency key cannot be used with different operation parameters."
            return {
                result_field: None,
                "userErrors": [_error([], message, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")],
            }
        return stored.payload
    payload = run()
    ctx.runtime.idempotency[key] = StoredResult(fingerprint=fingerprint, payload=payload)
    return payload


def _resolve_level(
    ctx: RequestContext,
    raw: dict[str, Any],
    path: list[str],
    codes: tuple[str, str],
    errors: Errors,
) -> Resolved | None:
    model = ctx.model
    item_id = parse_gid(raw.get("inventoryItemId"), "InventoryItem")
    variant = model.variants_by_item.get(item_id) if item_id is not None else None
    if variant is None:
        errors.append(
            _error(
                [*path, "inventoryItemId"],
                "The specified inventory item could not be found.",
                codes[0],
            )
        )
    location_id = parse_gid(raw.get("locationId"), "Location")
    location = model.locations.get(location_id) if location_id is not None else None
    if location is None:
        errors.append(
            _error([*path, "locationId"], "The specified location could not be found.", codes[1])
        )
    if variant is None or location is None:
        return None
    if (variant.inventory_item_id, location.id) not in model.levels:
        errors.append(
            _error(
                [*path, "locationId"],
                "The specified inventory item is not stocked at the location.",
                "ITEM_NOT_STOCKED_AT_LOCATION",
            )
        )
        return None
    return variant, location


def _check_header(inp: dict[str, Any], name_code: str, errors: Errors) -> None:
    if inp["name"] not in q.SETTABLE_NAMES:
        message = "The quantity name must be either 'available' or 'on_hand'."
        errors.append(_error(["input", "name"], message, name_code))
    if inp["reason"] not in REASONS:
        errors.append(
            _error(["input", "reason"], "The specified reason is invalid.", "INVALID_REASON")
        )
    uri = inp.get("referenceDocumentUri")
    if uri is not None and ":" not in str(uri):
        errors.append(
            _error(
                ["input", "referenceDocumentUri"],
                "The specified reference document is invalid.",
                "INVALID_REFERENCE_DOCUMENT",
            )
        )


def _stale(
    ctx: RequestContext,
    raw: dict[str, Any],
    current: int,
    path: list[str],
    errors: Errors,
    *,
    ignore_compare: bool,
) -> None:
    """The compare-and-swap check of one ``inventorySetQuantities`` quantity."""
    if ctx.change_from_rules or "changeFromQuantity" in raw:
        if "changeFromQuantity" not in raw:
            message = (
                "changeFromQuantity is required from API version "
                f"{ctx.settings.change_from_quantity_version}; pass null to skip the check."
            )
            errors.append(_error([*path, "changeFromQuantity"], message, None))
        elif raw["changeFromQuantity"] is not None and raw["changeFromQuantity"] != current:
            message = "The changeFromQuantity value does not match persisted value."
            errors.append(
                _error([*path, "changeFromQuantity"], message, "CHANGE_FROM_QUANTITY_STALE")
            )
        return
    if ignore_compare:
        return
    if raw.get("compareQuantity") is None:
        message = (
            "The compareQuantity argument must be given to each quantity or ignored using "
            "ignoreCompareQuantity."
        )
        errors.append(_error([*path, "compareQuantity"], message, "COMPARE_QUANTITY_REQUIRED"))
    elif raw["compareQuantity"] != current:
        message = "The compareQuantity value does not match persisted value."
        errors.append(_error([*path, "compareQuantity"], message, "COMPARE_QUANTITY_STALE"))


def _group(
    ctx: RequestContext, inp: dict[str, Any], changes: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": gid("InventoryAdjustmentGroup", ctx.runtime.next_group_id()),
        "createdAt": iso_utc(ctx.model.clock.now(), millis=False),
        "reason": inp["reason"],
        "referenceDocumentUri": inp.get("referenceDocumentUri"),
        "changes": changes,
    }


def _change_entries(
    ctx: RequestContext, name: str, resolved: Resolved, delta: int, ledger: str | None
) -> list[dict[str, Any]]:
    """The named change and its mirror (available <-> on_hand move together), as Shopify lists."""
    variant, location = resolved
    entries = []
    for n in (name, "on_hand" if name == "available" else "available"):
        entries.append(
            {
                "name": n,
                "delta": delta,
                "quantityAfterChange": q.quantity(
                    ctx.model, variant.inventory_item_id, location.id, n
                ),
                "ledgerDocumentUri": ledger if n == name else None,
                "item": variant,
                "location": location,
            }
        )
    return entries


def resolve_set_quantities(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """``inventorySetQuantities(input:)``."""
    ctx: RequestContext = info.context

    def run() -> dict[str, Any]:
        errors: Errors = []
        _check_header(input, "INVALID_NAME", errors)
        seen: set[tuple[int, int]] = set()
        plan: list[tuple[Resolved, int]] = []
        for i, raw in enumerate(input["quantities"]):
            path = ["input", "quantities", str(i)]
            resolved = _resolve_level(
                ctx, raw, path, ("INVALID_INVENTORY_ITEM", "INVALID_LOCATION"), errors
            )
            if raw["quantity"] < 0:
                errors.append(
                    _error(
                        [*path, "quantity"],
                        "The quantity can't be negative.",
                        "INVALID_QUANTITY_NEGATIVE",
                    )
                )
            elif raw["quantity"] > q.MAX_QUANTITY:
                message = "The total quantity can't be higher than 1,000,000,000."
                errors.append(_error([*path, "quantity"], message, "INVALID_QUANTITY_TOO_HIGH"))
            if resolved is None:
                continue
            pair = (resolved[0].inventory_item_id, resolved[1].id)
            if pair in seen:
                message = "The combination of inventoryItemId and locationId must be unique."
                errors.append(_error(path, message, "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"))
            seen.add(pair)
            if input["name"] in q.SETTABLE_NAMES:
                current = q.quantity(ctx.model, *pair, input["name"])
                ignore = input.get("ignoreCompareQuantity") is True
                _stale(ctx, raw, current, path, errors, ignore_compare=ignore)
            plan.append((resolved, raw["quantity"]))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes: list[dict[str, Any]] = []
        for resolved, value in plan:
            item_id, location_id = resolved[0].inventory_item_id, resolved[1].id
            delta = q.set_quantity(ctx.model, item_id, location_id, input["name"], value)
            changes += _change_entries(ctx, input["name"], resolved, delta, None)
        return {"inventoryAdjustmentGroup": _group(ctx, input, changes), "userErrors": []}

    return run_idempotent(info, input, required=False, run=run)


def resolve_adjust_quantities(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """``inventoryAdjustQuantities(input:) @idempotent(key:)``."""
    ctx: RequestContext = info.context

    def run() -> dict[str, Any]:
        errors: Errors = []
        name = input["name"]
        _check_header(input, "INVALID_QUANTITY_NAME", errors)
        plan: list[tuple[Resolved, int, str | None]] = []
        pending: dict[tuple[int, int], int] = {}
        for i, raw in enumerate(input["changes"]):
            path = ["input", "changes", str(i)]
            resolved = _resolve_level(
                ctx, raw, path, ("INVALID_INVENTORY_ITEM", "INVALID_LOCATION"), errors
            )
            ledger = raw.get("ledgerDocumentUri")
            if name != "available" and ledger is None:
                message = (
                    "A ledger document URI is required for quantity names other than available."
                )
                errors.append(
                    _error([*path, "ledgerDocumentUri"], message, "INVALID_QUANTITY_DOCUMENT")
                )
            elif ledger is not None and str(ledger).startswith("gid://shopify/"):
                message = "The ledger document URI can't reference a Shopify resource."
                errors.append(
                    _error([*path, "ledgerDocumentUri"], message, "INTERNAL_LEDGER_DOCUMENT")
                )
            if resolved is None or name not in q.SETTABLE_NAMES:
                continue
            pair = (resolved[0].inventory_item_id, resolved[1].id)
            current = q.quantity(ctx.model, *pair, name)
            expected = raw.get("changeFromQuantity")
            if expected is not None and expected != current:
                message = "The changeFromQuantity value does not match persisted value."
                errors.append(
                    _error([*path, "changeFromQuantity"], message, "CHANGE_FROM_QUANTITY_STALE")
                )
            after = pending.get(pair, current) + raw["delta"]
            pending[pair] = after
            if not -q.MAX_QUANTITY <= after <= q.MAX_QUANTITY:
                code = "INVALID_QUANTITY_TOO_HIGH" if after > 0 else "INVALID_QUANTITY_TOO_LOW"
                errors.append(
                    _error([*path, "delta"], "The resulting quantity is out of range.", code)
                )
            plan.append((resolved, raw["delta"], ledger))
        if errors:
            return {"inventoryAdjustmentGroup": None, "userErrors": errors}
        changes: list[dict[str, Any]] = []
        for resolved, delta, ledger in plan:
            q.apply_delta(ctx.model, resolved[0].inventory_item_id, resolved[1].id, delta)
            changes += _change_entries(ctx, name, resolved, delta, ledger)
        return {"inventoryAdjustmentGroup": _group(ctx, input, changes), "userErrors": []}

    return run_idempotent(info, input, required=ctx.change_from_rules, run=run)


def resolve_group_changes(
    group: dict[str, Any],
    _info: Info,
    inventoryItemIds: list[str] | None = None,
    locationIds: list[str] | None = None,
    quantityNames: list[str] | None = None,
) -> list[dict[str, Any]]:
    """``InventoryAdjustmentGroup.changes`` with its three optional filters."""
    out = []
    for change in group["changes"]:
        if (
            inventoryItemIds is not None
            and gid("InventoryItem", change["item"].inventory_item_id) not in inventoryItemIds
        ):
            continue
        if locationIds is not None and gid("Location", change["location"].id) not in locationIds:
            continue
        if quantityNames is not None and change["name"] not in quantityNames:
            continue
        out.append(change)
    return out

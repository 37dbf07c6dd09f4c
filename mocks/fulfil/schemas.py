"""Parsing of Fulfil request parts into typed values: field values, RPC arguments, queries.

Pure Python (no FastAPI), called by the model so the same checks hold in-process and over
HTTP. Every refusal is a :class:`UserError` naming the field or argument, the way Tryton
answers a bad type: 400, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from mocks.fulfil.errors import InvalidMovement, UserError
from mocks.fulfil.wire import money, parse_json


class Values:
    """A create/write dict for one model; reading a key marks it used, leftovers are refused."""

    def __init__(self, raw: Any, model: str) -> None:
        if not isinstance(raw, Mapping):
            raise UserError(
                f'Values for "{model}" must be an object of field -> value, got {raw!r}.'
            )
        self.raw = dict(raw)
        self.model = model
        self._used: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def _take(self, key: str) -> Any:
        self._used.add(key)
        return self.raw.get(key)

    def finish(self) -> None:
        """Refuse keys nobody read: unknown or read-only fields."""
        extra = sorted(set(self.raw) - self._used)
        if extra:
            raise UserError(
                f'Field(s) {", ".join(repr(e) for e in extra)} of model "{self.model}" do not '
                "exist or cannot be written."
            )

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self._take(key)
        if value is None or value is False:  # Tryton clients send False for "empty"
            if required:
                raise UserError(f'The field "{key}" on "{self.model}" is required.')
            return None
        if not isinstance(value, str):
            raise UserError(f'The value of field "{key}" must be a string, got {value!r}.')
        if required and not value.strip():
            raise UserError(f'The field "{key}" on "{self.model}" is required.')
        return value

    def integer(
        self, key: str, *, required: bool = False, minimum: int | None = None
    ) -> int | None:
        value = self._take(key)
        if value is None:
            if required:
                raise UserError(f'The field "{key}" on "{self.model}" is required.')
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f'The value of field "{key}" must be an integer, got {value!r}.')
        if minimum is not None and value < minimum:
            raise UserError(f'The value of field "{key}" must be >= {minimum}, got {value}.')
        return value

    def money(self, key: str) -> Decimal | None:
        value = self._take(key)
        return None if value is None else money(value, key)

    def boolean(self, key: str) -> bool | None:
        value = self._take(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise UserError(f'The value of field "{key}" must be true or false, got {value!r}.')
        return value

    def day(self, key: str) -> date | None:
        value = self._take(key)
        if value is None:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise UserError(f'The value of field "{key}" must be a date, got {value!r}.')

    def relation(self, key: str) -> Any:
        """A many-to-one value as sent (validated against its table by the caller)."""
        value = self._take(key)
        if value is False:
            return None
        return value

    def one2many(self, key: str) -> list[tuple[str, list[Any]]] | None:
        """Tryton's one-to-many actions: ``[["create", [...]], ["delete", [ids]]]``; a bare list
        of objects is taken as ``create`` (lenient*)."""
        value = self._take(key)
        if value is None:
            return None
        if not isinstance(value, list):
            raise UserError(f'The value of field "{key}" must be a list of actions, got {value!r}.')
        actions: list[tuple[str, list[Any]]] = []
        for item in value:
            if isinstance(item, Mapping):
                actions.append(("create", [item]))
                continue
            if (
                isinstance(item, list)
                and len(item) == 2
                and item[0] in ("create", "delete", "add", "remove", "write")
                and isinstance(item[1], list)
            ):
                actions.append((item[0], item[1]))
                continue
            raise UserError(
                f'Invalid action {item!r} for field "{key}": expected ["create", [values...]] '
                'or ["delete", [ids...]].'
            )
        return actions


def ids_arg(raw: Any, what: str = "ids") -> list[int]:
    """A list of record ids."""
    if not isinstance(raw, list) or any(isinstance(i, bool) or not isinstance(i, int) for i in raw):
        raise UserError(f"Invalid {what}: expected a list of integer ids, got {raw!r}.")
    return list(raw)


def int_arg(raw: Any, what: str, *, default: int | None, minimum: int = 0) -> int | None:
    """An optional integer argument (offset, limit)."""
    if raw is None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < minimum:
        raise UserError(f"Invalid {what}: expected an integer >= {minimum}, got {raw!r}.")
    return raw


def fields_arg(raw: Any) -> list[str] | None:
    """A ``fields`` argument: None or a list of field names."""
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw):
        raise UserError(f"Invalid fields: expected a list of field names, got {raw!r}.")
    return list(raw)


def rpc_args(raw: bytes) -> list[Any]:
    """The JSON array body of an RPC call (an empty body is no arguments)."""
    if not raw.strip():
        return []
    args = parse_json(raw)
    if not isinstance(args, list):
        raise UserError(f"The body of an RPC call must be a JSON array of arguments, got {args!r}.")
    return args


@dataclass(frozen=True, kw_only=True)
class FindQuery:
    """A parsed ``GET /model/{model}`` (find) request."""

    domain: Any
    page: int
    per_page: int
    fields: list[str] | None
    order: Any
    context: dict[str, Any]


def _query_int(name: str, raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UserError(f"Invalid {name}: {raw!r} is not an integer.") from None
    if not low <= value <= high:
        raise UserError(f"Invalid {name}: {value} must be between {low} and {high}.")
    return value


def parse_context(raw: str | None) -> dict[str, Any]:
    """The ``context`` query parameter (JSON object); absent is empty."""
    if raw is None or raw == "":
        return {}
    ctx = parse_json(raw, what="context parameter")
    if not isinstance(ctx, dict):
        raise UserError(f"Invalid context: expected a JSON object, got {ctx!r}.")
    return ctx


def parse_find(params: Any, *, per_page_default: int, per_page_max: int) -> FindQuery:
    """``filter``, ``page``, ``per_page``, ``field``/``fields`` (repeated or comma-separated),
    ``order`` and ``context`` from a query string (a Starlette ``QueryParams``)."""
    raw_filter = params.get("filter")
    domain = parse_json(raw_filter, what="filter parameter") if raw_filter else []
    names: list[str] = []
    for key in ("field", "fields"):
        for value in params.getlist(key):
            if value.startswith("["):
                parsed = parse_json(value, what=f"{key} parameter")
                names.extend(fields_arg(parsed) or [])
            else:
                names.extend(part.strip() for part in value.split(",") if part.strip())
    raw_order = params.get("order")
    order: Any = None
    if raw_order:
        order = (
            parse_json(raw_order, what="order") if raw_order.lstrip().startswith("[") else raw_order
        )
    return FindQuery(
        domain=domain,
        page=_query_int("page", params.get("page"), 1, 1, 10**9),
        per_page=_query_int("per_page", params.get("per_page"), per_page_default, 1, per_page_max),
        fields=names or None,
        order=order,
        context=parse_context(params.get("context")),
    )


@dataclass(frozen=True, kw_only=True)
class StockMovement:
    """A parsed ``POST /_sim/stock-movement`` body (the ERP mock's shape)."""

    sku: str
    location_id: int
    delta: int
    reason: str


def parse_stock_movement(body: Any, reasons: tuple[str, ...]) -> StockMovement:
    """Validate ``{"sku", "location_id", "delta", "reason"}``."""
    if not isinstance(body, dict):
        raise InvalidMovement("the request body must be a JSON object")
    sku = body.get("sku")
    if not isinstance(sku, str) or not sku:
        raise InvalidMovement(f"sku must be a non-empty string, got {sku!r}", field="sku")
    location = body.get("location_id")
    if isinstance(location, str) and location.isdecimal():
        location = int(location)
    if isinstance(location, bool) or not isinstance(location, int):
        raise InvalidMovement(
            f"location_id must be a warehouse id such as 1, got {location!r}", field="location_id"
        )
    delta = body.get("delta")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidMovement(f"delta must be an integer, got {delta!r}", field="delta")
    reason = body.get("reason")
    if reason not in reasons:
        raise InvalidMovement(
            f"reason must be one of {', '.join(reasons)}, got {reason!r}", field="reason"
        )
    return StockMovement(sku=sku, location_id=location, delta=delta, reason=str(reason))

"""Search criteria parsing (PLATFORMS 3.4): a JSON body or GET query in, a typed Criteria out.

Accepted (Shopware's ``RequestCriteriaBuilder`` names): ``page`` (1-indexed), ``limit``,
``filter`` (``equals``, ``equalsAny``, ``contains``, ``prefix``, ``suffix``, ``range`` with
``gte/lte/gt/lt``, ``multi`` with ``operator`` AND/OR and ``queries``, ``not`` likewise),
``sort`` (``[{"field", "order": "ASC"|"DESC"}]``, or ``sort=-createdAt,productNumber`` in a
query), ``ids``, ``total-count-mode`` (0/1/2 or ``none``/``exact``/``next-pages``),
``associations`` (``{"lineItems": {}}``), ``includes`` (``{"order": ["id", ...]}``) and
``aggregations`` (``count``, ``sum``, ``avg``, ``min``, ``max``, ``terms``). Every rejection is a
400 with Shopware's code and a pointer (``/filter/0/type``). A ``limit`` above
``page_limit_max`` is clamped to it (*, Shopware's ``api.max_limit``). Field names may carry
the entity prefix (``product.stock``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from mocks.shopware.constants import TOTAL_COUNT_MODES
from mocks.shopware.errors import CriteriaError

FILTER_TYPES = ("equals", "equalsAny", "contains", "prefix", "suffix", "range", "multi", "not")
RANGE_KEYS = ("gte", "lte", "gt", "lt")
AGGREGATION_TYPES = ("count", "sum", "avg", "min", "max", "terms")
INVALID_FILTER = "FRAMEWORK__INVALID_FILTER_QUERY"


@dataclass(frozen=True, kw_only=True)
class Filter:
    """One filter node; leaves have ``field``, ``multi``/``not`` have ``queries``."""

    type: str
    field: str = ""
    value: Any = None
    operator: str = "AND"
    queries: tuple[Filter, ...] = ()
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Sorting:
    """Sort by ``field`` ascending or descending."""

    field: str
    descending: bool = False


@dataclass(frozen=True, kw_only=True)
class Aggregation:
    """A named aggregation over one field."""

    name: str
    type: str
    field: str


@dataclass(frozen=True, kw_only=True)
class Criteria:
    """What a list or search asks for."""

    page: int = 1
    limit: int = 25
    filters: tuple[Filter, ...] = ()
    sort: tuple[Sorting, ...] = ()
    ids: tuple[str, ...] | None = None
    total_count_mode: int = 0
    associations: frozenset[str] = frozenset()
    includes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    aggregations: tuple[Aggregation, ...] = ()

    @property
    def offset(self) -> int:
        """Rows skipped before the page."""
        return (self.page - 1) * self.limit


class CriteriaParser:
    """Parses criteria for one entity, checking field names against ``fields``."""

    def __init__(
        self, *, entity: str, fields: Collection[str], default_limit: int, max_limit: int
    ) -> None:
        self.entity = entity
        self.fields = fields
        self.default_limit = default_limit
        self.max_limit = max_limit

    def field_name(self, raw: Any, pointer: str) -> str:
        """A known field path, without the entity prefix."""
        if not isinstance(raw, str) or not raw.strip():
            raise CriteriaError(INVALID_FILTER, "The field must be a non-empty string.", pointer)
        name = raw.strip()
        prefix = f"{self.entity}."
        if name.startswith(prefix):
            name = name[len(prefix) :]
        if name.split(".", 1)[0] not in self.fields:
            raise CriteriaError(
                "FRAMEWORK__UNMAPPED_FIELD",
                f'Field "{name}" in entity "{self.entity}" was not found.',
                pointer,
            )
        return name

    def parse_body(self, body: Mapping[str, Any]) -> Criteria:
        """Criteria from a ``POST /api/search/{entity}`` body."""
        filters = body.get("filter", [])
        if not isinstance(filters, list):
            raise CriteriaError(INVALID_FILTER, "The filter must be a list.", "/filter")
        sort = body.get("sort", [])
        if not isinstance(sort, list):
            raise CriteriaError("FRAMEWORK__INVALID_SORT_QUERY", "sort must be a list", "/sort")
        return Criteria(
            page=self._page(body.get("page", 1)),
            limit=self._limit(body.get("limit")),
            filters=tuple(self._filter(f, f"/filter/{i}") for i, f in enumerate(filters)),
            sort=tuple(self._sorting(s, f"/sort/{i}") for i, s in enumerate(sort)),
            ids=self._ids(body.get("ids")),
            total_count_mode=self._total_count_mode(body.get("total-count-mode", 0)),
            associations=self._associations(body.get("associations", {})),
            includes=self._includes(body.get("includes", {})),
            aggregations=self._aggregations(body.get("aggregations", [])),
        )

    def parse_query(self, params: Mapping[str, str]) -> Criteria:
        """Criteria from a ``GET /api/{entity}`` query: page, limit, sort, total-count-mode,
        ``filter[field]=value`` (equals) and ``associations[name][]=``."""
        filters = []
        associations = set()
        for key, value in params.items():
            if key.startswith("filter[") and key.endswith("]"):
                name = self.field_name(key[7:-1], f"/filter/{key[7:-1]}")
                filters.append(Filter(type="equals", field=name, value=value))
            elif key.startswith("associations["):
                associations.add(key[len("associations[") :].split("]", 1)[0])
        sort = []
        for i, part in enumerate(p for p in params.get("sort", "").split(",") if p.strip()):
            descending = part.strip().startswith("-")
            name = self.field_name(part.strip().lstrip("-+"), f"/sort/{i}")
            sort.append(Sorting(field=name, descending=descending))
        return Criteria(
            page=self._page(params.get("page", 1)),
            limit=self._limit(params.get("limit")),
            filters=tuple(filters),
            sort=tuple(sort),
            total_count_mode=self._total_count_mode(params.get("total-count-mode", 0)),
            associations=frozenset(associations),
        )

    # -- parts -----------------------------------------------------------------------------

    @staticmethod
    def _positive_int(raw: Any) -> int | None:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int):
            return raw if raw >= 1 else None
        if isinstance(raw, str) and raw.strip().isdecimal():
            value = int(raw.strip())
            return value if value >= 1 else None
        return None

    def _page(self, raw: Any) -> int:
        value = self._positive_int(raw)
        if value is None:
            raise CriteriaError(
                "FRAMEWORK__INVALID_PAGE_QUERY",
                f"The page parameter must be a positive integer. Given: {raw}",
                "/page",
            )
        return value

    def _limit(self, raw: Any) -> int:
        if raw is None:
            return self.default_limit
        value = self._positive_int(raw)
        if value is None:
            raise CriteriaError(
                "FRAMEWORK__INVALID_LIMIT_QUERY",
                f"The limit parameter must be a positive integer greater or equals than 1. "
                f"Given: {raw}",
                "/limit",
            )
        return min(value, self.max_limit)

    @staticmethod
    def _total_count_mode(raw: Any) -> int:
        if isinstance(raw, str) and raw in TOTAL_COUNT_MODES:
            return TOTAL_COUNT_MODES[raw]
        if isinstance(raw, str) and raw.strip().isdecimal():
            raw = int(raw.strip())
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in (0, 1, 2):
            return raw
        raise CriteriaError(
            "FRAMEWORK__INVALID_CRITERIA_PARAMETERS",
            f"total-count-mode must be 0, 1, 2, none, exact or next-pages. Given: {raw}",
            "/total-count-mode",
        )

    @staticmethod
    def _ids(raw: Any) -> tuple[str, ...] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = [part for part in raw.split("|") if part]
        if not isinstance(raw, list) or not all(isinstance(i, str) for i in raw):
            raise CriteriaError(
                "FRAMEWORK__INVALID_CRITERIA_PARAMETERS", "ids must be a list of ids", "/ids"
            )
        return tuple(i.lower() for i in raw)

    @staticmethod
    def _associations(raw: Any) -> frozenset[str]:
        if isinstance(raw, list):
            return frozenset(str(a) for a in raw)
        if not isinstance(raw, Mapping):
            raise CriteriaError(
                "FRAMEWORK__INVALID_CRITERIA_PARAMETERS",
                "associations must be an object of name -> criteria",
                "/associations",
            )
        return frozenset(str(a) for a in raw)

    @staticmethod
    def _includes(raw: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(raw, Mapping) or not all(
            isinstance(v, list) and all(isinstance(f, str) for f in v) for v in raw.values()
        ):
            raise CriteriaError(
                "FRAMEWORK__INVALID_CRITERIA_PARAMETERS",
                "includes must be an object of entity -> list of field names",
                "/includes",
            )
        return {str(k): tuple(v) for k, v in raw.items()}

    def _aggregations(self, raw: Any) -> tuple[Aggregation, ...]:
        if not isinstance(raw, list):
            raise CriteriaError(
                "FRAMEWORK__INVALID_AGGREGATION_QUERY", "aggregations must be a list", "/aggs"
            )
        result = []
        for i, agg in enumerate(raw):
            pointer = f"/aggregations/{i}"
            if not isinstance(agg, Mapping) or agg.get("type") not in AGGREGATION_TYPES:
                raise CriteriaError(
                    "FRAMEWORK__INVALID_AGGREGATION_QUERY",
                    f"Unsupported aggregation; use one of {', '.join(AGGREGATION_TYPES)}",
                    f"{pointer}/type",
                )
            name = agg.get("name")
            if not isinstance(name, str) or not name:
                raise CriteriaError(
                    "FRAMEWORK__INVALID_AGGREGATION_QUERY",
                    "The aggregation needs a name",
                    f"{pointer}/name",
                )
            field_ = self.field_name(agg.get("field"), f"{pointer}/field")
            result.append(Aggregation(name=name, type=str(agg["type"]), field=field_))
        return tuple(result)

    def _sorting(self, raw: Any, pointer: str) -> Sorting:
        if not isinstance(raw, Mapping):
            raise CriteriaError(
                "FRAMEWORK__INVALID_SORT_QUERY", "A sorting must be an object", pointer
            )
        order = str(raw.get("order", "ASC")).upper()
        if order not in ("ASC", "DESC"):
            raise CriteriaError(
                "FRAMEWORK__INVALID_SORT_QUERY",
                f'The sort direction "{raw.get("order")}" is invalid; use ASC or DESC.',
                f"{pointer}/order",
            )
        name = self.field_name(raw.get("field"), f"{pointer}/field")
        return Sorting(field=name, descending=order == "DESC")

    def _filter(self, raw: Any, pointer: str) -> Filter:
        if not isinstance(raw, Mapping):
            raise CriteriaError(INVALID_FILTER, "A filter must be an object.", pointer)
        kind = raw.get("type")
        if kind not in FILTER_TYPES:
            raise CriteriaError(
                INVALID_FILTER, f"Unsupported filter type: {kind}", f"{pointer}/type"
            )
        if kind in ("multi", "not"):
            operator = str(raw.get("operator", "AND")).upper()
            if operator not in ("AND", "OR"):
                raise CriteriaError(
                    INVALID_FILTER,
                    f'The operator "{raw.get("operator")}" is invalid; use AND or OR.',
                    f"{pointer}/operator",
                )
            queries = raw.get("queries")
            if not isinstance(queries, list) or not queries:
                raise CriteriaError(
                    INVALID_FILTER,
                    f'Parameter "queries" for {kind} filter is missing.',
                    f"{pointer}/queries",
                )
            return Filter(
                type=str(kind),
                operator=operator,
                queries=tuple(
                    self._filter(q, f"{pointer}/queries/{i}") for i, q in enumerate(queries)
                ),
            )
        if "field" not in raw:
            raise CriteriaError(
                INVALID_FILTER,
                f'Parameter "field" for {kind} filter is missing.',
                f"{pointer}/field",
            )
        name = self.field_name(raw["field"], f"{pointer}/field")
        if kind == "range":
            params = raw.get("parameters")
            if not isinstance(params, Mapping) or not params or set(params) - set(RANGE_KEYS):
                raise CriteriaError(
                    INVALID_FILTER,
                    "A range filter needs parameters with gte, lte, gt and/or lt.",
                    f"{pointer}/parameters",
                )
            return Filter(type="range", field=name, parameters=dict(params))
        if "value" not in raw:
            raise CriteriaError(
                INVALID_FILTER,
                f'Parameter "value" for {kind} filter is missing.',
                f"{pointer}/value",
            )
        value = raw["value"]
        if kind == "equalsAny":
            if isinstance(value, str):
                value = [v for v in value.split("|") if v]
            if not isinstance(value, list):
                raise CriteriaError(
                    INVALID_FILTER, "equalsAny needs a list of values.", f"{pointer}/value"
                )
            value = tuple(value)
        elif kind in ("contains", "prefix", "suffix") and not isinstance(value, (str, int)):
            raise CriteriaError(INVALID_FILTER, f"{kind} needs a string value.", f"{pointer}/value")
        return Filter(type=str(kind), field=name, value=value)

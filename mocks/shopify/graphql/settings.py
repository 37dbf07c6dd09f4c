"""Settings of the Shopify GraphQL Admin API mock (PLATFORMS.md 1.2, 1.3, 1.6), overridable."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mocks.common.costbucket import DEFAULT_MAXIMUM_AVAILABLE, DEFAULT_RESTORE_RATE


@dataclass(frozen=True, kw_only=True)
class GraphQLSettings:
    """Tunable numbers of the GraphQL Admin API; defaults are Shopify's standard plan."""

    bucket_size: float = DEFAULT_MAXIMUM_AVAILABLE
    """``maximumAvailable`` points per access token (standard 2000)."""
    restore_rate: float = DEFAULT_RESTORE_RATE
    """Points restored per simulated second (standard 100, Plus 1000)."""
    max_query_cost: int = 1000
    """Single-query requested cost above this is ``MAX_COST_EXCEEDED`` regardless of plan."""
    max_input_array: int = 250
    """Any array input longer than this is refused (since 2020-01)."""
    max_page_size: int = 250
    """Largest ``first``/``last`` a connection accepts."""
    mutation_cost: int = 10
    """Requested (and actual) cost of one mutation field."""
    orders_count_limit: int = 10_000
    """Default ``limit`` of ``ordersCount`` (since 2025-07); beyond it precision is AT_LEAST."""
    change_from_quantity_version: str = "2026-04"
    """From this API version ``changeFromQuantity`` replaces ``compareQuantity`` and the
    ``@idempotent`` directive is mandatory on ``inventoryAdjustQuantities`` and ``refundCreate``."""

    def __post_init__(self) -> None:
        checks = {
            "bucket_size": self.bucket_size > 0,
            "restore_rate": self.restore_rate > 0,
            "max_query_cost": self.max_query_cost > 0,
            "max_input_array": self.max_input_array > 0,
            "max_page_size": self.max_page_size > 0,
            "mutation_cost": self.mutation_cost >= 0,
            "orders_count_limit": self.orders_count_limit > 0,
            "change_from_quantity_version": len(self.change_from_quantity_version) == 7,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid Shopify GraphQL setting(s): {', '.join(bad)}")

    def is_at_least(self, version: str, threshold: str) -> bool:
        """``YYYY-MM`` versions sort as strings; ``unstable`` is newer than every release."""
        return version == "unstable" or version >= threshold

    def requires_change_from(self, version: str) -> bool:
        """Whether ``version`` has the 2026-04 rules (changeFromQuantity, required idempotency)."""
        return self.is_at_least(version, self.change_from_quantity_version)

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> GraphQLSettings:
        """Defaults with ``overrides`` applied; unknown keys or mistyped values: ValueError."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in (overrides or {}).items():
            if key not in fields:
                raise ValueError(
                    f"unknown Shopify GraphQL setting {key!r}; known: {', '.join(fields)}"
                )
            default = fields[key].default
            if isinstance(default, str):
                if not isinstance(raw, str):
                    raise ValueError(f"setting {key!r} must be a string, got {raw!r}")
                values[key] = raw
            elif isinstance(raw, bool) or not isinstance(raw, (int, float)):
                raise ValueError(f"setting {key!r} must be a number, got {raw!r}")
            elif isinstance(default, int):
                if not isinstance(raw, int):
                    raise ValueError(f"setting {key!r} must be an integer, got {raw!r}")
                values[key] = raw
            else:
                values[key] = float(raw)
        return cls(**values)

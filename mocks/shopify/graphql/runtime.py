"""Per-app state of the GraphQL API (cost buckets, idempotency results) and per-request context.

The state hangs off ``app.state`` (see :func:`runtime_for`), never a module global, so two
Shopify mocks in one test keep separate buckets and idempotency keys.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphql import GraphQLResolveInfo

from mocks.common.costbucket import CostBucket
from mocks.shopify.graphql.settings import GraphQLSettings
from mocks.shopify.models import ShopifyModel
from simclock import Clock

APP_STATE_ATTRIBUTE = "shopify_graphql"


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredResult:
    """A mutation's payload remembered under its idempotency key."""

    fingerprint: str
    """Mutation name and canonical arguments: the same key with other arguments is refused."""
    payload: dict[str, Any]


@dataclass(kw_only=True)
class GraphQLStats:
    """Counters for ``/_mock/stats`` (the lead may merge them in)."""

    requests: int = 0
    throttled: int = 0
    max_cost_exceeded: int = 0
    rejected: int = 0
    points_spent: int = 0


class GraphQLRuntime:
    """Everything the GraphQL API keeps between requests for one mocked shop."""

    def __init__(self, *, settings: GraphQLSettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.buckets: dict[str, CostBucket] = {}
        self.idempotency: dict[str, StoredResult] = {}
        self.stats = GraphQLStats()
        self.order_edits: dict[int, Any] = {}
        """CalculatedOrder id -> its open edit session (``order_edits.EditSession``)."""
        self.jobs: set[int] = set()
        """Ids of the async Jobs handed out (``orderCancel``); all are done."""
        self._next_group_id = 1
        self._next: dict[str, int] = {}

    def bucket(self, token: str) -> CostBucket:
        """The token's cost bucket (per app per store), created full on first use."""
        found = self.buckets.get(token)
        if found is None:
            found = CostBucket(
                clock=self.clock,
                maximum_available=self.settings.bucket_size,
                restore_rate=self.settings.restore_rate,
            )
            self.buckets[token] = found
        return found

    def next_group_id(self) -> int:
        """Id of the next InventoryAdjustmentGroup."""
        value = self._next_group_id
        self._next_group_id += 1
        return value

    def next_id(self, kind: str) -> int:
        """Next id of a GraphQL-only object (``CalculatedOrder``, ``Job``...), from 1."""
        value = self._next.get(kind, 1)
        self._next[kind] = value + 1
        return value

    def reset(self) -> None:
        """Full buckets, no remembered keys or sessions, zero counters (``/_mock/reset``)."""
        for b in self.buckets.values():
            b.reset()
        self.idempotency.clear()
        self.order_edits.clear()
        self.jobs.clear()
        self._next.clear()
        self.stats = GraphQLStats()


def runtime_for(app_state: Any, *, settings: GraphQLSettings, clock: Clock) -> GraphQLRuntime:
    """The app's runtime, created on first use and kept on ``app.state``."""
    runtime = getattr(app_state, APP_STATE_ATTRIBUTE, None)
    if not isinstance(runtime, GraphQLRuntime):
        runtime = GraphQLRuntime(settings=settings, clock=clock)
        setattr(app_state, APP_STATE_ATTRIBUTE, runtime)
    return runtime


@dataclass(kw_only=True)
class RequestContext:
    """``info.context`` of every resolver."""

    model: ShopifyModel
    runtime: GraphQLRuntime
    api_version: str
    search_reports: list[dict[str, Any]] = field(default_factory=list)
    """``extensions.search`` entries (ignored search terms)."""

    @property
    def settings(self) -> GraphQLSettings:
        """The GraphQL settings."""
        return self.runtime.settings

    @property
    def change_from_rules(self) -> bool:
        """Whether this request's version uses the 2026-04 inventory rules."""
        return self.settings.requires_change_from(self.api_version)


Info: TypeAlias = GraphQLResolveInfo[RequestContext]
"""What every resolver receives, with its context typed."""

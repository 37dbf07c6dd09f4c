"""Per-destination budgets the connectors consult before every call (DESIGN principle 7).

A rate limit is a budget to spend, not an error to recover from. Each model here is pure and
clock-driven: it keeps its own estimate of what the destination will accept *now*, learns the
destination's real numbers from its answers, and makes a caller wait exactly as long as needed
for the next call to fit.

- :class:`LeakyBucketBudget` — a call-count bucket (Shopify REST ``used/max`` header; SHOPLINE,
  which sends no header and is learned from its 429s alone).
- :class:`CostBudget` — Shopify GraphQL calculated-cost points (``throttleStatus``).
- :class:`ConcurrencyBudget` — requests in flight (NetSuite-style concurrency governance).
"""

from __future__ import annotations

from sync_engine.budgets.bucket import LeakyBucketBudget, parse_call_limit
from sync_engine.budgets.concurrency import ConcurrencyBudget
from sync_engine.budgets.cost import CostBudget
from sync_engine.budgets.window import SpendWindow, Ticket

__all__ = [
    "ConcurrencyBudget",
    "CostBudget",
    "LeakyBucketBudget",
    "SpendWindow",
    "Ticket",
    "parse_call_limit",
]

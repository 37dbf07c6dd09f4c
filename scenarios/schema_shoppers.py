"""The ``shoppers:`` block: who checks out and what they put in their baskets.

Every field is optional; an absent field keeps the behaviour of scenarios written before the
block existed (the same seed then draws the same plan, request for request).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MAX_BASKET_LINES = 50


class Shoppers(BaseModel):
    """The shopper mix. ``promo_share`` and ``zipf_s`` are other names for
    ``basket.discount_share`` and ``catalogue.zipf_s`` (give one, or both equal)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    guest_share: float | None = Field(None, ge=0, le=1)
    """Share of checkouts by guests (a fresh e-mail each); the rest are returning customers who
    reuse e-mails from a seeded pool, so the back office sees repeat customers. Absent: every
    checkout draws from one pool three times the expected orders (about one in seven repeats)."""
    returning_customers: int | None = Field(None, ge=1)
    """Size of the returning customers' pool (default: half the expected returning checkouts,
    at least 10, so each returning customer orders about twice). Only with ``guest_share``."""
    promo_share: float | None = Field(None, ge=0, le=1)
    """Share of baskets entering the discount code (``basket.discount_share``)."""
    basket_sizes: dict[int, float] | None = None
    """Distribution of line counts, ``{lines: weight}`` (weights are normalised), e.g.
    ``{1: 0.6, 2: 0.3, 3: 0.1}``. Absent: uniform from 1 to ``basket.max_lines``."""
    zipf_s: float | None = Field(None, gt=0)
    """Hot-SKU exponent: SKU of rank k is chosen in proportion to 1 / k^s (``catalogue.zipf_s``)."""

    @field_validator("basket_sizes")
    @classmethod
    def _sizes(cls, sizes: dict[int, float] | None) -> dict[int, float] | None:
        if sizes is None:
            return None
        if not sizes:
            raise ValueError("give at least one line count")
        for lines, weight in sizes.items():
            if not 1 <= lines <= MAX_BASKET_LINES:
                raise ValueError(f"line count {lines} is outside 1..{MAX_BASKET_LINES}")
            if not (math.isfinite(weight) and weight >= 0):
                raise ValueError(f"weight of {lines} line(s) must be a finite number >= 0")
        if sum(sizes.values()) <= 0:
            raise ValueError("the weights add up to 0")
        return dict(sorted(sizes.items()))

    @model_validator(mode="after")
    def _pool_needs_guests(self) -> Shoppers:
        if self.returning_customers is not None and self.guest_share is None:
            raise ValueError("returning_customers needs guest_share")
        return self

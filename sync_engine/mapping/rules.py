"""The operator's mapping settings: one object, built once from the engine config."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BundleComponent(_Strict):
    """One component of a bundle SKU: how many per bundle and its share of the price."""

    sku: str
    quantity: int = Field(1, ge=1)
    price_weight: Decimal | None = Field(None, ge=0)
    """Relative share of the bundle's price, tax and discount (default: the quantity)."""


class MappingRules(_Strict):
    """Every mapping rule the flows apply (DESIGN.md principle 8)."""

    sku_case: Literal["upper", "as_is"] = "upper"
    """Back-office SKUs are compared upper-cased (channels let merchants type ``sku-1``)."""
    sku_aliases: dict[str, str] = Field(default_factory=dict)
    """Channel SKU → back-office SKU, for catalogues that disagree (keys normalised too)."""
    bundles: dict[str, list[BundleComponent]] = Field(default_factory=dict)
    """Bundle SKU (sold on the channel, not stocked) → components (stocked in the back office)."""
    discount_item: str | None = "DISCOUNT"
    """Non-inventory back-office item that promotion lines without a SKU become; ``None`` holds
    such orders in the exception queue instead."""
    custom_item: str | None = None
    """Non-inventory item for custom lines (gift wrap, engraving); ``None`` holds them."""
    duplicate_sku: Literal["consolidate", "flag"] = "consolidate"
    """Two lines of one order with the same SKU (after normalisation): merge them when price
    and options agree, or hold the order (``flag``)."""
    carriers: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per channel: back-office carrier name (any case) → the name the channel accepts."""
    unknown_carrier: Literal["other", "flag"] = "other"
    """A carrier the channel does not know: send it as the channel's ``Other`` with the
    tracking number (``other``), or hold the fulfilment (``flag``)."""

    def normalise_key(self, sku: str) -> str:
        """A SKU in the form the back office is searched with (whitespace and case)."""
        cleaned = " ".join(sku.split())
        return cleaned.upper() if self.sku_case == "upper" else cleaned

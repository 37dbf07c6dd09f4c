"""Parts of the ``catalogue:`` block: tax classes and generated bundles."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class TaxClass(_Strict):
    """A tax class: its rate and the share of the catalogue in it."""

    rate: Decimal = Field(ge=0, lt=1)
    """Tax rate as a fraction, e.g. ``"0.20"`` (a string keeps it exact)."""
    share: float = Field(1.0, ge=0)
    """Relative share of the products in this class (shares are normalised)."""


class Bundles(_Strict):
    """Bundle SKUs (``{sku_prefix}B001`` upwards) sold on the channels and made of catalogue
    SKUs that are not hot; each lists its components for the engine's ``mapping.bundles`` and
    for the Shopify mock's ``bundle_components`` seed."""

    count: int = Field(0, ge=0, le=1000)
    """Number of bundles (0: none)."""
    components: int = Field(2, ge=2, le=10)
    """Distinct component SKUs per bundle."""
    max_quantity: int = Field(1, ge=1, le=10)
    """Units of each component per bundle: 1 to this."""
    discount: Decimal = Field(Decimal("0.10"), ge=0, lt=1)
    """A bundle's price is the sum of its components' prices less this fraction."""

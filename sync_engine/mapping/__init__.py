"""Mapping rules, each defined once and used by every flow (DESIGN.md principle 8).

- ``allocation``: splitting an amount across parts to the cent (bundles, discounts).
- ``rules``: the operator's settings (aliases, bundles, discount item, carriers, cut-off).
- ``skus``: SKU normalisation and the catalogue check.
- ``customers``: the key a back office matches customers on (guests never merge).
- ``order_map``: a channel order → a back-office order, or a ``MappingError`` naming why not.
- ``carriers``: back-office carrier names → each channel's accepted list.
"""

from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.order_map import BackOfficeLine, BackOfficeOrder, map_order
from sync_engine.mapping.rules import MappingRules

__all__ = ["BackOfficeLine", "BackOfficeOrder", "MappingError", "MappingRules", "map_order"]

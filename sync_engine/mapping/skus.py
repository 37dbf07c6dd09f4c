"""SKU normalisation and the back-office catalogue check (one definition for every flow)."""

from __future__ import annotations

from collections.abc import Container

from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.rules import MappingRules


class _AnySku:
    """A catalogue not read yet: every SKU passes and the back office itself is the judge."""

    def __contains__(self, item: object) -> bool:
        return True


ANY_SKU: Container[str] = _AnySku()


class Catalogue:
    """The back office's SKUs as last read; until the first full read every SKU passes."""

    def __init__(self) -> None:
        self.skus: set[str] = set()
        self.loaded = False

    def replace(self, skus: set[str]) -> None:
        self.skus = set(skus)
        self.loaded = True

    def add(self, skus: set[str]) -> None:
        self.skus |= skus

    def __contains__(self, item: object) -> bool:
        return not self.loaded or item in self.skus


def back_office_sku(raw: str, rules: MappingRules) -> str:
    """The back-office SKU a channel SKU stands for (normalised, then aliased)."""
    key = rules.normalise_key(raw)
    aliases = {rules.normalise_key(k): v for k, v in rules.sku_aliases.items()}
    return rules.normalise_key(aliases.get(key, key))


def require_known(sku: str, raw: str, catalogue: Container[str], *, where: str) -> None:
    """Raise ``UNKNOWN_SKU`` unless the back office stocks ``sku``."""
    if sku not in catalogue:
        shown = f"{sku!r}" if sku == raw else f"{sku!r} (channel SKU {raw!r})"
        raise MappingError(
            "UNKNOWN_SKU", f"{where}: SKU {shown} is not in the back-office catalogue"
        )

"""Orders in back-office SKU spelling before they are stored, so the stock ledger, the queue's
scarcity check and the mapping all compare one form of each SKU."""

from __future__ import annotations

from dataclasses import replace

from sync_engine.mapping.rules import MappingRules
from sync_engine.mapping.skus import back_office_sku
from sync_engine.model import Order


def normalise_order(order: Order, rules: MappingRules) -> Order:
    """``order`` with each product line's SKU in back-office form (other lines untouched)."""
    lines = tuple(
        replace(line, sku=back_office_sku(line.sku, rules))
        if line.kind == "product" and line.sku.strip()
        else line
        for line in order.lines
    )
    return order if lines == order.lines else replace(order, lines=lines)

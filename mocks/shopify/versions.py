"""API versions: how a canonical resource is shown in a given version, and what is deprecated.

The model keeps one canonical order resource carrying every field of every supported version.
This module renders it for the version that answers (REST) or that a subscription was created
with (webhooks), and names the deprecated fields a response carries.

The breaking change (constants ``ORDER_TOTAL_DISCOUNTS_*``):
- up to 2026-01: ``total_discounts`` (decimal string) and ``total_discounts_set`` (money bag);
- 2026-04: both, and every response carrying ``total_discounts`` says
  ``X-Shopify-API-Deprecated-Reason: Order.total_discounts``;
- from 2026-07: ``total_discounts`` is gone from orders and order webhooks. A connector that
  reads ``order.get("total_discounts", "0")`` sees no error, just a zero discount: the amount
  drift the checkers catch. A connector pinned to an older version keeps working.
Versions compare as strings: ``YYYY-MM`` sorts chronologically (``unstable`` sorts last).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mocks.shopify import constants as c
from mocks.shopify.constants import ShopifySettings

DEPRECATED_HEADER = "X-Shopify-API-Deprecated-Reason"


def at_least(version: str, since: str) -> bool:
    """Whether ``version`` is ``since`` or newer."""
    return version >= since


def render_order(resource: dict[str, Any], version: str) -> dict[str, Any]:
    """The order as ``version`` shows it (a shallow copy; the canonical one is untouched)."""
    if not at_least(version, c.ORDER_TOTAL_DISCOUNTS_REMOVED_IN):
        return resource
    return {k: v for k, v in resource.items() if k != "total_discounts"}


def render_orders(resources: Iterable[dict[str, Any]], version: str) -> list[dict[str, Any]]:
    """:func:`render_order` over a list."""
    return [render_order(r, version) for r in resources]


def order_deprecations(version: str, shown: Iterable[dict[str, Any]]) -> list[str]:
    """Deprecated fields present in the orders a response is about to show."""
    if not (
        at_least(version, c.ORDER_TOTAL_DISCOUNTS_DEPRECATED_IN)
        and not at_least(version, c.ORDER_TOTAL_DISCOUNTS_REMOVED_IN)
    ):
        return []
    if any("total_discounts" in order for order in shown):
        return [c.DEPRECATED_FIELD_REASON]
    return []


def deprecation_reason(
    settings: ShopifySettings, requested: str | None, fields: Iterable[str] = ()
) -> str | None:
    """Value of ``X-Shopify-API-Deprecated-Reason``, or None when nothing deprecated was used.

    Since 2025-04 Shopify lists the deprecated fields used; a deprecated (or vanished, fallen
    forward) version is reported with the versioning docs URL, as before.
    """
    reasons = list(dict.fromkeys(fields))
    if settings.is_deprecated_version(requested):
        reasons.append(c.DEPRECATED_VERSION_REASON)
    return ", ".join(reasons) if reasons else None

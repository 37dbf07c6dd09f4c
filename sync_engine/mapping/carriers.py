"""Back-office carrier names → the names each channel accepts (one table for every flow).

Shopify's fulfilment ``tracking_company`` is matched against its list of known carriers; an
unknown name loses the tracking link on the customer's order status page. SHOPLINE and
Shopware take free text but their shipping-method lists are per shop. The rules table maps the
back office's spelling (``UPS GROUND``, ``fedex_2day``) to the channel's; a carrier left
unmapped is sent as ``Other`` with its tracking number, or held, per ``unknown_carrier``.
"""

from __future__ import annotations

from collections.abc import Collection

from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.rules import MappingRules

OTHER = "Other"


def channel_carrier(
    channel: str, carrier: str, rules: MappingRules, accepted: Collection[str]
) -> str:
    """The carrier name to send to ``channel`` for a back-office ``carrier``."""
    table = {k.strip().casefold(): v for k, v in rules.carriers.get(channel, {}).items()}
    mapped = table.get(carrier.strip().casefold())
    if mapped is not None:
        return mapped
    by_fold = {name.casefold(): name for name in accepted}
    if carrier.strip().casefold() in by_fold:
        return by_fold[carrier.strip().casefold()]
    if rules.unknown_carrier == "flag":
        raise MappingError(
            "UNKNOWN_CARRIER",
            f"carrier {carrier!r} is not one {channel} accepts and has no mapping "
            f"(mapping.carriers.{channel})",
        )
    return OTHER

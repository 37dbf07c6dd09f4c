"""Bodies of the warehouse (``/_sim/ship``) and of ``/_mock/maintenance``; errors in our
``/_sim/`` shape (``{"error", "detail", "field"}``), not NetSuite's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.erp import constants as c
from mocks.erp.errors import InvalidMovement


@dataclass(frozen=True, kw_only=True)
class ShipRequest:
    """``POST /_sim/ship``: the warehouse fulfils the oldest open orders."""

    max_orders: int | None
    min_age_seconds: float
    location_id: str | None
    ship_status: str


def parse_ship_request(body: Any) -> ShipRequest:
    """A ``/_sim/ship`` body: ``{"max_orders"?, "min_age_seconds"?, "location_id"?,
    "ship_status"?}``."""
    if not isinstance(body, dict):
        raise InvalidMovement("the request body must be a JSON object")
    max_orders = body.get("max_orders")
    if max_orders is not None and (
        isinstance(max_orders, bool) or not isinstance(max_orders, int) or max_orders < 1
    ):
        raise InvalidMovement(
            f"max_orders must be an integer >= 1, got {max_orders!r}", field="max_orders"
        )
    age = body.get("min_age_seconds", 0)
    if isinstance(age, bool) or not isinstance(age, (int, float, Decimal)) or age < 0:
        raise InvalidMovement(
            f"min_age_seconds must be a number >= 0, got {age!r}", field="min_age_seconds"
        )
    location = body.get("location_id")
    if isinstance(location, int) and not isinstance(location, bool):
        location = str(location)
    if location is not None and (not isinstance(location, str) or not location):
        raise InvalidMovement(
            f"location_id must be a string, got {location!r}", field="location_id"
        )
    ship_status = body.get("ship_status", "C")
    if ship_status not in c.SHIP_STATUSES:
        raise InvalidMovement(
            f"ship_status must be one of A, B, C, got {ship_status!r}", field="ship_status"
        )
    return ShipRequest(
        max_orders=max_orders,
        min_age_seconds=float(age),
        location_id=location,
        ship_status=str(ship_status),
    )


def parse_maintenance(body: Any, *, now_offset: float) -> tuple[tuple[float, float], ...]:
    """``{"windows": [[start, end], ...]}`` (offsets from the mock's origin, replacing the
    schedule) or ``{"duration": seconds | null}`` (one more window from now; null never ends).

    Returns the windows; ``parse_maintenance_replaces`` tells which form was used.
    """
    if not isinstance(body, dict) or ("windows" in body) == ("duration" in body):
        raise InvalidMovement(
            'body must be {"windows": [[start, end], ...]} or {"duration": seconds | null}'
        )
    if "windows" in body:
        try:
            return c.parse_windows(body["windows"])
        except ValueError as exc:
            raise InvalidMovement(str(exc), field="windows") from exc
    duration = body["duration"]
    if duration is None:
        return ((now_offset, math.inf),)
    if (
        isinstance(duration, bool)
        or not isinstance(duration, (int, float, Decimal))
        or not duration > 0
    ):
        raise InvalidMovement(f"duration must be a number > 0, got {duration!r}", field="duration")
    return ((now_offset, now_offset + float(duration)),)

"""When a delivery was triggered, and whether it is too old (or too new) to accept.

A replayed delivery is one a platform (or anyone holding a captured request) sends again long
after the event. Each platform dates its deliveries differently:

- Shopify: the ``X-Shopify-Triggered-At`` header (ISO-8601; retries keep the original, as
  PLATFORMS.md 1.8 says: "use X-Shopify-Triggered-At to detect stale payloads");
- Shopware: ``timestamp`` (POSIX seconds) in the signed JSON body.

A platform retries for hours (Shopify: 8 retries over 4 h; Shopware: 5 s → 4 h, 4.6 h in
all), so the maximum age must exceed its retry horizon: ``Timing.webhook_max_age`` (5 h by
default). Anything older is refused before it has any effect (the order poller and
reconciliation still find a genuinely missed order). A delivery dated in the future beyond
``Timing.webhook_max_skew`` is refused too. Shopify signs only the body, so its header can be
rewritten by whoever replays a captured request: for Shopify this check stops naive replays;
what makes a replay harmless is the inbox's deduplication on the webhook id and the order id.
A delivery that carries no date is not refused on that ground.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from simclock import parse_iso_utc

DATE_HEADERS = ("X-Shopify-Triggered-At", "X-Shopline-Triggered-At")


def triggered_at(headers: Mapping[str, str], body: bytes) -> float | None:
    """Simulated POSIX seconds the delivery says it was triggered at; None if it says not.

    ``ValueError`` when it carries a date that cannot be read (a malformed delivery).
    """
    for name in DATE_HEADERS:
        value = headers.get(name)
        if value is not None:
            try:
                return parse_iso_utc(value)
            except ValueError:
                raise ValueError(f"{name} is not an ISO-8601 time: {value[:64]!r}") from None
    if not body.lstrip().startswith(b"{") or b'"timestamp"' not in body:
        return None
    try:
        stamp = json.loads(body).get("timestamp")
    except (ValueError, AttributeError):
        return None  # the connector's own parser reports a malformed body
    if stamp is None:
        return None
    if isinstance(stamp, bool) or not isinstance(stamp, int | float):
        raise ValueError(f"timestamp is not a number: {str(stamp)[:64]!r}")
    return float(stamp)


def staleness(at: float | None, *, now: float, max_age: float, max_skew: float) -> str | None:
    """Why a delivery triggered at ``at`` is refused at ``now``; None when it is fresh."""
    if at is None:
        return None
    age = now - at
    if age > max_age:
        return (
            f"stale delivery: triggered {age:.0f} s ago, more than the {max_age:.0f} s a "
            "platform retries for; a replay is refused"
        )
    if -age > max_skew:
        return f"delivery dated {-age:.0f} s in the future (more than {max_skew:.0f} s of skew)"
    return None

"""The channels shoppers check out on: which one each arrival picks, and each platform's
``/_sim/checkout`` body and sold-out answer.

Pure functions only (no locust, no gevent), stdlib only.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CHANNEL_PLATFORMS = ("shopify", "shopline", "shopware")
"""Storefronts a shopper can check out on; each has its own ``/_sim/checkout`` body."""


@dataclass(frozen=True, kw_only=True)
class ChannelSpec:
    """One channel shoppers check out on: its mock's base URL and its share of arrivals."""

    name: str
    platform: str = "shopify"
    url: str
    share: float = 1.0
    promotions: bool = True
    """Whether shoppers here enter the basket's discount code."""


def _draw(rng: random.Random, cum_weights: Sequence[float]) -> int:
    return min(
        bisect.bisect_right(cum_weights, rng.random() * cum_weights[-1]), len(cum_weights) - 1
    )


def channel_picker(
    channels: Sequence[tuple[str, float]], rng: random.Random
) -> Callable[[], str | None]:
    """Draws a channel name per arrival in proportion to the shares; None for zero or one
    channel (no draw, so single-channel plans keep their exact bodies)."""
    if len(channels) <= 1:
        only = channels[0][0] if channels else None
        return lambda: only
    names = [name for name, _ in channels]
    cum = list(itertools.accumulate([share for _, share in channels]))
    return lambda: names[_draw(rng, cum)]


def checkout_body(
    platform: str, basket: Mapping[str, Any], *, promotions: bool = True
) -> dict[str, Any]:
    """A drawn basket (``{lines: [{sku, quantity}], email, discount_code?, shipping}``) as the
    platform's ``/_sim/checkout`` body. Shopify and SHOPLINE take it as it is; Shopware names
    products by ``productNumber`` and the code ``promotion_code``. Without ``promotions`` the
    discount code is left out."""
    if not promotions:
        basket = {k: v for k, v in basket.items() if k != "discount_code"}
    if platform != "shopware":
        return dict(basket)
    body: dict[str, Any] = {
        "lines": [
            {"productNumber": line["sku"], "quantity": line["quantity"]}
            for line in basket.get("lines", [])
        ],
        "shipping": basket.get("shipping", "standard"),
    }
    if basket.get("email"):
        body["email"] = basket["email"]
    if basket.get("discount_code"):
        body["promotion_code"] = basket["discount_code"]
    return body


def sold_out_sku(platform: str, payload: object) -> object:
    """The SKU a 409 checkout answer says sold out (None when it names none): Shopify and
    SHOPLINE say ``{"sku"}``, Shopware ``errors[0].meta.parameters.productNumber``."""
    if not isinstance(payload, Mapping):
        return None
    if platform != "shopware":
        return payload.get("sku")
    errors = payload.get("errors")
    if not isinstance(errors, list) or not errors or not isinstance(errors[0], Mapping):
        return None
    params = (errors[0].get("meta") or {}).get("parameters") or {}
    return params.get("productNumber") if isinstance(params, Mapping) else None


def parse_channels(raw: Mapping[str, Any]) -> tuple[ChannelSpec, ...]:
    """The ``channels`` list (``[{name, platform, url, share}]``), or one Shopify channel."""
    if "channels" not in raw:
        return (ChannelSpec(name="shopify", url=str(raw["shopify_url"]).rstrip("/")),)
    items = raw["channels"]
    if not isinstance(items, list) or not items:
        raise ValueError("load config: channels must be a non-empty list")
    channels = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ValueError(f"load config: channels[{i}] must be an object")
        try:
            channel = ChannelSpec(
                **{
                    **item,
                    "url": str(item.get("url", "")).rstrip("/"),
                    "share": float(item.get("share", 1.0)),
                    "promotions": bool(item.get("promotions", True)),
                }
            )
        except (TypeError, ValueError) as exc:
            raise ValueError(f"load config: channels[{i}]: {exc}") from None
        if channel.platform not in CHANNEL_PLATFORMS:
            known = ", ".join(CHANNEL_PLATFORMS)
            raise ValueError(
                f"load config: channels[{i}].platform {channel.platform!r} is not one of {known}"
            )
        if not channel.url:
            raise ValueError(f"load config: channels[{i}].url is required")
        if not channel.share > 0:
            raise ValueError(f"load config: channels[{i}].share must be > 0")
        channels.append(channel)
    names = [c.name for c in channels]
    if len(set(names)) != len(names):
        raise ValueError("load config: channel names must be unique")
    return tuple(channels)

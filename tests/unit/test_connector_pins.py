"""``--connector`` pins a channel to another connector version and labels the run."""

from __future__ import annotations

import pytest

from scenarios.connector_pins import PinError, apply_pins
from scenarios.loader import load


def test_a_pin_replaces_the_channels_connector_and_labels_the_run() -> None:
    base = load("multi-channel-smoke")
    pinned = apply_pins(base, ["shopify=shopify-graphql@2026-04"])
    shopify = next(c for c in pinned.channels if c.name == "shopify")
    assert (shopify.connector, shopify.api_version) == ("shopify-graphql", "2026-04")
    assert pinned.name == f"{base.name}--shopify-shopify-graphql-2026-04"
    others = [c for c in pinned.channels if c.name != "shopify"]
    assert others == [c for c in base.channels if c.name != "shopify"]


@pytest.mark.parametrize(
    ("pin", "reason"),
    [
        ("shopify", "expected CHANNEL=FAMILY"),
        ("nowhere=shopify-rest", "no channel 'nowhere'"),
        ("shopify=shopline-rest", "not a shopify connector"),
    ],
)
def test_bad_pins_are_refused_with_the_reason(pin: str, reason: str) -> None:
    with pytest.raises(PinError, match=reason):
        apply_pins(load("multi-channel-smoke"), [pin])

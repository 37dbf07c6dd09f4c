"""``rehearsal run … --connector NAME=FAMILY[@VERSION]``: run one scenario on another pinned
connector (v1 vs v2) without editing its file. The run is labelled with the pins, so two runs
of one scenario on two connector versions leave two comparable result folders."""

from __future__ import annotations

import re

from scenarios.schema import Scenario

PIN = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)=(?P<family>[a-z][a-z0-9-]*)(@(?P<version>[\w.-]+))?$")


class PinError(ValueError):
    """A ``--connector`` value that cannot apply; the message says which and why."""


def parse_pin(text: str) -> tuple[str, str, str | None]:
    """``shopify=shopify-graphql@2026-04`` → ("shopify", "shopify-graphql", "2026-04")."""
    match = PIN.match(text)
    if match is None:
        raise PinError(
            f"--connector {text!r}: expected CHANNEL=FAMILY[@VERSION], "
            "e.g. shopify=shopify-graphql@2026-04"
        )
    return match["name"], match["family"], match["version"]


def apply_pins(scenario: Scenario, pins: list[str]) -> Scenario:
    """The scenario with each named channel's connector (and version) replaced; its name gets
    a suffix naming the pins (``multi-channel--shopify-shopify-graphql-2026-04``)."""
    if not pins:
        return scenario
    channels = {c.name: c for c in scenario.channels}
    labels = []
    for text in pins:
        name, family, version = parse_pin(text)
        channel = channels.get(name)
        if channel is None:
            raise PinError(
                f"--connector {text!r}: the scenario has no channel {name!r} "
                f"(channels: {', '.join(channels)})"
            )
        if not family.startswith(channel.platform):
            raise PinError(f"--connector {text!r}: {family} is not a {channel.platform} connector")
        channels[name] = channel.model_copy(
            update={"connector": family, "api_version": version or channel.api_version}
        )
        labels.append(f"{name}-{family}" + (f"-{version}" if version else ""))
    data = scenario.model_dump(mode="python")
    data["channels"] = [c.model_dump(mode="python") for c in channels.values()]
    data["name"] = f"{scenario.name}--{'--'.join(labels)}"
    return Scenario.model_validate(data)

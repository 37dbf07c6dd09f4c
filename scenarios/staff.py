"""The scenario's ``staff`` block: store staff editing addresses, cancelling and refunding orders
while shoppers check out (issue 8), so the post-purchase flows are rehearsed under load.

Rates are per simulated minute, each a Poisson stream of its own between ``start`` and ``end``
(simulated seconds from the run's start; ``end`` defaults to the scenario's duration). Each
action goes to one of ``channels`` (default: every channel) and picks its order there (see
``mocks/shopify/staff.py``). Only platforms whose mock has staff routes may be named
(:data:`STAFF_PLATFORMS`); a scenario asking staff of another gets an error naming the channel.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

STAFF_PLATFORMS = ("shopify",)
"""Channel platforms whose mock has ``/_sim/staff``."""


class StaffActions(BaseModel):
    """Staff actions per simulated minute on the channels' orders (all zero: no staff)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    address_edits_per_minute: float = Field(0.0, ge=0, le=600)
    """Shipping-address changes of open, unfulfilled orders."""
    cancellations_per_minute: float = Field(0.0, ge=0, le=600)
    """Cancellations of open, unfulfilled, paid orders (see ``restock_on_cancel``)."""
    refunds_per_minute: float = Field(0.0, ge=0, le=600)
    """Refunds of paid orders (units not restocked)."""
    refund_share: Literal["full", "partial"] | Annotated[Decimal, Field(gt=0, le=1)] = "full"
    """``full`` (everything, shipping included), ``partial`` (one unit) or a share of each
    line's units in (0, 1], e.g. ``"0.5"``."""
    channels: tuple[str, ...] = ()
    """Channel names the staff work on; empty: every channel."""
    start: float = Field(0.0, ge=0)
    """First simulated second staff act."""
    end: float | None = Field(None, gt=0)
    """Simulated second staff stop (default: the scenario's duration)."""
    restock_on_cancel: bool = False
    """Tick the admin's "Restock items" when cancelling: the units go back on sale on the
    channel at once. With the back office as the stock master that counts them twice (the
    channel's restock, then the engine's push of the back office's release) and, past the
    picking cut-off, puts units on sale that have left the warehouse: expect oversold units."""

    @model_validator(mode="after")
    def _window(self) -> StaffActions:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end:g}) must be after start ({self.start:g})")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels: each channel at most once")
        return self

    @property
    def active(self) -> bool:
        """True when any action has a rate."""
        return any(rate > 0 for _, rate in self.rates())

    def rates(self) -> tuple[tuple[str, float], ...]:
        """(action, per simulated minute) in the mock's action names."""
        return (
            ("edit-address", self.address_edits_per_minute),
            ("cancel", self.cancellations_per_minute),
            ("refund", self.refunds_per_minute),
        )

    def load_config(self, *, duration: float, channels: tuple[str, ...]) -> dict[str, Any]:
        """The ``staff`` block of the Locust process's config (``loadtests.staff.StaffSpec``):
        the window resolved, channels named, the share as a string (never a float)."""
        return {
            "rates_per_minute": dict(self.rates()),
            "refund_share": str(self.refund_share),
            "channels": list(self.channels or channels),
            "start": self.start,
            "end": duration if self.end is None else min(self.end, duration),
            "restock_on_cancel": self.restock_on_cancel,
        }


def _check_channels(staff: StaffActions, info: ValidationInfo) -> StaffActions:
    """Staff may only work on channels the scenario has, on platforms with staff routes, and
    within the run."""
    channels = info.data.get("channels")
    duration = info.data.get("duration")
    if not staff.active or channels is None:
        return staff
    platforms = {c.name: c.platform for c in channels}
    for name in staff.channels:
        if name not in platforms:
            raise ValueError(f"channels: no channel named {name!r} (have {', '.join(platforms)})")
    for name in staff.channels or tuple(platforms):
        if platforms[name] not in STAFF_PLATFORMS:
            raise ValueError(
                f"channel {name!r} is on {platforms[name]}, which has no staff routes yet "
                f"(staff actions work on {', '.join(STAFF_PLATFORMS)}); name the channels "
                "staff work on in staff.channels"
            )
    if duration is not None and staff.start >= duration:
        raise ValueError(f"start ({staff.start:g}) must be before the duration ({duration:g})")
    return staff


Staff = Annotated[StaffActions, AfterValidator(_check_channels)]
"""The ``Scenario.staff`` field's type: :class:`StaffActions` checked against the channels."""

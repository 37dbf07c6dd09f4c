"""Seeded randomness for the mocks: the shared ``simclock.rng`` streams."""

from __future__ import annotations

from simclock.rng import derive

__all__ = ["derive"]

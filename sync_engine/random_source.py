"""Seeded randomness for the engine (retry jitter): reproducible per seed and purpose."""

from __future__ import annotations

import hashlib
import random


def derive(seed: int, name: str) -> random.Random:
    """An independent ``random.Random`` stream for ``name`` under ``seed``."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))

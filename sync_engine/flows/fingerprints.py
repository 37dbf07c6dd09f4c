"""Exception-queue grouping: one definition of what makes two failures "the same"."""

from __future__ import annotations

import hashlib
import re


def fingerprint(flow: str, code: str | None, reason: str) -> str:
    """Group recurring failures: same flow, code and message shape (digits masked)."""
    shape = re.sub(r"\d+", "#", reason)
    return hashlib.sha1(f"{flow}|{code}|{shape}".encode()).hexdigest()[:16]

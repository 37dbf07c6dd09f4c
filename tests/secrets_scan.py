"""Look for secrets in what a run left behind: every file under its results folder, as bytes.

What counts as a secret: every credential the run handed its mocks and engine (tokens, client
secrets, webhook secrets, API keys), plus the shapes of the tokens the mocks issue at run time
(SHOPLINE ``shpl_…``, Shopify ``shpat_…``, Shopware's JWT-shaped access tokens, whose payload
starts ``{"aud"`` → ``eyJhdWQi``) and the field names that would carry one.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

ISSUED_TOKEN_SHAPES = (b"shpat_", b"shpl_", b"eyJhdWQi")
SECRET_FIELDS = (b"access_token", b"webhook_secret", b"client_secret", b"api_key")


def leaks(results: Path, credentials: Iterable[str]) -> list[str]:
    """``file: what`` for every secret found under ``results`` (empty when clean)."""
    needles = [c.encode() for c in credentials if len(c) >= 8]
    needles += [*ISSUED_TOKEN_SHAPES, *SECRET_FIELDS]
    found = []
    for path in sorted(p for p in results.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            if needle in data:
                shown = needle[:6].decode(errors="replace") + "…"
                found.append(f"{path.relative_to(results)}: {shown}")
    return found

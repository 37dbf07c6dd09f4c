"""JSON from clients, parsed so that no input can crash a handler.

``json.loads`` has two ways out that are not ``ValueError``: nesting deeper than the
interpreter's recursion limit raises ``RecursionError``, and a lone UTF-16 surrogate escape
(``"\\ud800"``) parses into a string that cannot be encoded again, so the handler fails later
when it echoes the value in an error body. Both become :class:`json.JSONDecodeError` (a
``ValueError``) here, which every mock already answers with its own 400 body.
"""

from __future__ import annotations

import json
import re
from typing import Any

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def loads(raw: bytes | str, **kwargs: Any) -> Any:
    """``json.loads(raw, **kwargs)``; too deep or unencodable input is a ``JSONDecodeError``."""
    text = raw if isinstance(raw, str) else None
    try:
        value = json.loads(raw, **kwargs)
    except RecursionError:
        raise json.JSONDecodeError("JSON nested too deeply", text or "", 0) from None
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if _SURROGATE_ESCAPE.search(data):
        try:
            json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
        except UnicodeEncodeError:
            raise json.JSONDecodeError(
                "JSON holds a lone UTF-16 surrogate escape", text or "", 0
            ) from None
    return value

"""Why a record cannot be mapped: a permanent refusal that holds it in the exception queue."""

from __future__ import annotations

from sync_engine.errors import PermanentError


class MappingError(PermanentError):
    """A mapping rule refused the record; ``code`` groups the exception queue
    (``UNKNOWN_SKU``, ``PROMO_WITHOUT_ITEM``, ``DUPLICATE_SKU``, ``CUSTOM_LINE``,
    ``UNKNOWN_CARRIER``, ``EMPTY_ORDER``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}", code=code)

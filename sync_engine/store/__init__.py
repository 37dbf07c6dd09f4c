"""Durable engine state behind one contract, chosen by URL.

``open_store`` picks the implementation by scheme, as saq's ``Queue.from_url`` does:

- ``sqlite:///relative.db``, ``sqlite:////absolute/path.db`` or a bare path: SQLite (WAL),
  the embedded default; one machine.
- ``memory://``: plain Python, for fast tests; nothing survives the process.
- ``postgresql://…`` (or ``postgres://…``, libpq URI syntax): PostgreSQL, shared by several
  engine processes on several machines.
"""

from __future__ import annotations

from pathlib import Path

from sync_engine.store.contract import (
    DueOrder,
    ExceptionState,
    OrderState,
    StockRow,
    Store,
)

SQLITE_PREFIX = "sqlite:///"
MEMORY_URL = "memory://"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(url: str | Path) -> Store:
    """The store ``url`` names (see the module docstring); ValueError for anything else."""
    text = str(url)
    if text.startswith(SQLITE_PREFIX):
        from sync_engine.store.sqlite import SqliteStore

        path = text.removeprefix(SQLITE_PREFIX)
        if not path:
            raise ValueError(f"store URL {text!r} names no file: use sqlite:///path/to/file.db")
        return SqliteStore(path)
    if text == MEMORY_URL:
        from sync_engine.store.memory import MemoryStore

        return MemoryStore()
    if text.startswith(POSTGRES_SCHEMES):
        # Imported here so that SQLite-only installs never load the PostgreSQL driver.
        from sync_engine.store.postgres import PostgresStore

        return PostgresStore(text)
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise ValueError(
            f"store URL scheme {scheme!r} is not supported: use sqlite:///path, memory:// "
            "or postgresql://user@host/db"
        )
    from sync_engine.store.sqlite import SqliteStore

    return SqliteStore(text)


__all__ = ["DueOrder", "ExceptionState", "OrderState", "StockRow", "Store", "open_store"]

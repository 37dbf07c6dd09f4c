"""Helpers for tests that need a real PostgreSQL: a throwaway schema per test.

A schema (not a database) per test keeps tests isolated and fast: creating one is a catalog
write, and every connection made with the returned URL sees only its own tables.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

import psycopg

PG_URL_ENV = "REHEARSAL_TEST_PG_URL"
"""Environment variable naming the test database (set by ``.ci/run``)."""


def with_search_path(url: str, schema: str) -> str:
    """``url`` with libpq ``options`` that make ``schema`` the only one searched."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}', safe='')}"


@contextmanager
def scratch_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """Create an empty schema, yield a URL scoped to it, drop it (and its tables) after."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield with_search_path(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')

"""SuiteQL (PLATFORMS.md 5.3): a SELECT run against an in-memory SQLite snapshot of the model.

The query is executed by SQLite, a well-kept engine, rather than a hand-written subset:
``SELECT`` columns, ``*``, ``COUNT(*)``, ``WHERE`` with ``AND``/``OR``/``IN``/``LIKE``/
``BETWEEN``/``IS NULL``, ``JOIN``, ``GROUP BY``, ``ORDER BY`` all behave as SQL says. Honest
limits, each a 400 in NetSuite's error shape: only one read-only ``SELECT``/``WITH`` statement
(an authorizer refuses anything that writes or attaches), Oracle-only syntax NetSuite accepts
(``FETCH FIRST``, ``ROWNUM``, ``BUILTIN.DF``) is not understood, and a query running longer
than ``suiteql_max_steps`` SQLite steps is stopped. ``NVL`` and ``TO_DATE`` (``YYYY-MM-DD``,
``MM/DD/YYYY``) are provided, and ``SUM`` adds decimal strings exactly.

Results as NetSuite returns them: column names in lower case, unnamed expressions
``expr1``, ``expr2``...; every value a string* and null values left out; pages of at most
``suiteql_page_limit_max`` (1000) rows and at most ``suiteql_max_results`` (100,000) rows of
one query reachable (``totalResults`` is capped there*).
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mocks.erp.constants import ErpSettings
from mocks.erp.errors import InvalidContent, InvalidParameter
from mocks.erp.suiteql_tables import TABLES, VIEWS, Ledger

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEGMENT = re.compile(
    r"(?P<literal>'(?:[^']|'')*'?|\"(?:[^\"]|\"\")*\"?)|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)|.", re.S
)
_LEADING = re.compile(r"^\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*", re.S)
_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}
STEP_BATCH = 1000
"""SQLite VM instructions between two checks of the step budget."""
PREFIX = "Invalid search query. Detailed unprocessed description follows. Search error occurred:"


@dataclass(frozen=True, kw_only=True)
class SuiteQLPage:
    """One page of a SuiteQL result."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows remain after this page."""
        return self.offset + len(self.items) < self.total


def _decimal_order(a: str, b: str) -> int:
    try:
        x, y = Decimal(a), Decimal(b)
    except InvalidOperation:
        return (a > b) - (a < b)
    return (x > y) - (x < y)


class _ExactSum:
    """``SUM`` that keeps integers integers and adds decimal strings as Decimals."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def step(self, value: Any) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> Any:
        if not self.values:
            return None
        if all(isinstance(v, int) for v in self.values):
            return sum(self.values)
        total = Decimal(0)
        for value in self.values:
            try:
                total += Decimal(str(value))
            except InvalidOperation:
                continue  # as SQLite's own SUM, text that is not a number counts as nothing
        return str(total)


def _to_date(text: Any, fmt: Any) -> str | None:
    if text is None:
        return None
    formats = {"YYYY-MM-DD": "%Y-%m-%d", "MM/DD/YYYY": "%m/%d/%Y"}
    pattern = formats.get(str(fmt).upper())
    if pattern is None:
        raise ValueError(f"TO_DATE format {fmt!r} is not supported; use one of {list(formats)}")
    return datetime.strptime(str(text), pattern).date().isoformat()


def quote_keywords(query: str) -> str:
    """Quote ``transaction`` (a table and a column in SuiteQL, a keyword in SQLite) wherever it
    stands as a bare word outside string literals and quoted names."""
    out: list[str] = []
    for match in _SEGMENT.finditer(query):
        literal, word = match.group("literal"), match.group("word")
        if literal is not None:
            out.append(literal)
        elif word is not None and word.lower() == "transaction":
            out.append(f'"{word.lower()}"')
        else:
            out.append(match.group(0))
    return "".join(out)


def _refusal(detail: str) -> InvalidParameter:
    return InvalidParameter(f"{PREFIX} {detail}")


def _snapshot(ledger: Ledger, query: str, problems: list[str]) -> sqlite3.Connection:
    """An in-memory database with the tables ``query`` names; a helper function's complaint
    is appended to ``problems`` (SQLite only reports that a function raised)."""

    def to_date(text: Any, fmt: Any) -> str | None:
        try:
            return _to_date(text, fmt)
        except ValueError as exc:
            problems.append(str(exc))
            raise

    words = {w.lower() for w in _WORD.findall(query)}
    wanted = {name for name in TABLES if name in words}
    views = {name for name in VIEWS if name in words}
    if views:
        wanted.add("transaction")
    db = sqlite3.connect(":memory:")
    db.create_collation("DECIMAL", _decimal_order)
    db.create_aggregate("SUM", 1, _ExactSum)
    db.create_function("NVL", 2, lambda a, b: a if a is not None else b, deterministic=True)
    db.create_function("TO_DATE", 2, to_date, deterministic=True)
    for name in sorted(wanted):
        table = TABLES[name]
        columns = ", ".join(f'"{col}" {decl}' for col, decl in table.columns)
        db.execute(f'CREATE TABLE "{name}" ({columns})')
        marks = ", ".join("?" for _ in table.columns)
        db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', table.rows(ledger))
    for name in sorted(views):
        db.execute(
            f"CREATE VIEW {name} AS SELECT * FROM \"transaction\" WHERE type = '{VIEWS[name]}'"
        )
    return db


def _explain(exc: sqlite3.Error) -> str:
    message = str(exc)
    if message.startswith("no such table: "):
        return f"Record '{message.removeprefix('no such table: ')}' was not found."
    if message.startswith("no such column: "):
        return f"Field '{message.removeprefix('no such column: ')}' was not found."
    if message == "interrupted":
        return "The query took too long to run and was stopped; narrow it with WHERE."
    if message == "not authorized":
        return "Only SELECT statements that read records are supported."
    return f"{message}."


def _stringify(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def run_suiteql(
    ledger: Ledger, body: Any, *, limit: int, offset: int, settings: ErpSettings
) -> SuiteQLPage:
    """Run ``{"q": "SELECT ..."}`` and return the page at ``offset`` of ``limit`` rows."""
    if not isinstance(body, dict) or not isinstance(body.get("q"), str) or not body["q"].strip():
        raise InvalidContent(
            'Invalid content: the request body must be {"q": "<SuiteQL SELECT statement>"}.'
        )
    query: str = body["q"]
    statement = _LEADING.sub("", query)
    if not re.match(r"(?i)(select|with)\b", statement):
        raise _refusal("Only SELECT statements are supported.")
    if offset >= settings.suiteql_max_results:
        raise InvalidParameter(
            f"Invalid value for the query parameter offset: {offset}. A query returns at most "
            f"{settings.suiteql_max_results} results.",
            **{"o:errorQueryParam": "offset"},
        )
    problems: list[str] = []
    db = _snapshot(ledger, query, problems)
    steps = {"left": max(1, settings.suiteql_max_steps // STEP_BATCH)}

    def budget() -> int:
        steps["left"] -= 1
        return 1 if steps["left"] < 0 else 0

    try:
        db.set_authorizer(lambda action, *_: 0 if action in _ALLOWED else 1)
        db.set_progress_handler(budget, STEP_BATCH)
        cursor = db.execute(quote_keywords(query))
        rows = cursor.fetchmany(settings.suiteql_max_results)
        description = cursor.description or ()
    except sqlite3.Warning:
        raise _refusal("Only one statement can be run at a time.") from None
    except sqlite3.Error as exc:
        raise _refusal(f"{problems[-1]}." if problems else _explain(exc)) from None
    finally:
        db.close()
    names: list[str] = []
    expressions = 0
    for column in description:
        name = str(column[0])
        if _IDENTIFIER.match(name):
            names.append(name.lower())
        else:
            expressions += 1
            names.append(f"expr{expressions}")
    page = rows[offset : offset + limit]
    items = [
        {
            "links": [],
            **{n: _stringify(v) for n, v in zip(names, row, strict=True) if v is not None},
        }
        for row in page
    ]
    return SuiteQLPage(items=items, total=len(rows), offset=offset, limit=limit)

"""Raw per-request timings: one CSV row per request a Locust process sent, unrounded.

Locust rounds response times into buckets before it computes percentiles; these files keep
every elapsed time as the exact float the process measured, so percentiles can be computed
exactly afterwards (``scenarios.request_timings``). Each process writes its own file next to
its load report (``requests.csv``, or ``requests-worker<i>.csv`` for worker ``i``); rows are
appended as requests finish and the file is flushed and closed on test stop.

Stdlib only (no locust, no gevent): the orchestrator reads the same format.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

FIELDS = ("name", "attempt", "scheduled_s", "start_s", "elapsed_ms", "status", "ok")
"""Columns: Locust's request name; 1 for an arrival's first request, 2+ for a shopper's
retry after a sold-out line; the arrival's scheduled and the request's actual start, in wall
seconds from the process's simulated second 0; elapsed wall milliseconds (exact float); HTTP
status (0: connection error); 1 if Locust counted it a success, 0 a failure."""

FILE_PREFIX = "requests"
"""Timing files are ``requests*.csv`` in the run folder."""


@dataclass(frozen=True, kw_only=True)
class Timing:
    """One request as the process that sent it measured it."""

    name: str
    attempt: int
    scheduled_s: float
    start_s: float
    elapsed_ms: float
    status: int
    ok: bool

    @property
    def lag_s(self) -> float:
        """How late the arrival was fired (first attempts only mean anything), >= 0."""
        return max(0.0, self.start_s - self.scheduled_s)


def suffixed(path: Path, suffix: str) -> Path:
    """``path`` with ``suffix`` inserted before its extension (``a/x.json`` → ``a/x-w0.json``)."""
    return path.with_name(f"{path.stem}{suffix}{path.suffix}")


def timings_path(report_path: Path, suffix: str = "") -> Path:
    """The timing file of the process whose load report is ``report_path`` (same folder)."""
    return report_path.with_name(f"{FILE_PREFIX}{suffix}.csv")


class TimingRecorder:
    """Appends `Timing` rows to one CSV; opened on the first row, closed by `close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None
        self.rows = 0

    def record(self, timing: Timing) -> None:
        """Append one row (buffered; `close` flushes)."""
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("w", newline="")
            self._writer = csv.DictWriter(self._handle, fieldnames=FIELDS)
            self._writer.writeheader()
        self._writer.writerow(
            {
                "name": timing.name,
                "attempt": timing.attempt,
                "scheduled_s": repr(timing.scheduled_s),
                "start_s": repr(timing.start_s),
                "elapsed_ms": repr(timing.elapsed_ms),
                "status": timing.status,
                "ok": int(timing.ok),
            }
        )
        self.rows += 1

    def close(self) -> None:
        """Flush and close; a recorder that recorded nothing still leaves a header-only file."""
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(",".join(FIELDS) + "\n")
            return
        self._handle.close()
        self._handle = None
        self._writer = None


def read_timings(path: Path) -> Iterator[Timing]:
    """The rows of one timing file; ValueError names the file, line and column at fault."""
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [f for f in FIELDS if f not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            try:
                yield Timing(
                    name=row["name"],
                    attempt=int(row["attempt"]),
                    scheduled_s=float(row["scheduled_s"]),
                    start_s=float(row["start_s"]),
                    elapsed_ms=float(row["elapsed_ms"]),
                    status=int(row["status"]),
                    ok=row["ok"] == "1",
                )
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path}: line {line}: {exc}") from exc

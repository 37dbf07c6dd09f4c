"""Progress during a run: a bar for the load and the drain, and a live line of key numbers.

On a terminal, a ``rich`` progress display (redrawn in place); anywhere else (CI logs, pipes,
tests) one plain line every ``PLAIN_EVERY_WALL`` wall seconds, so a log shows the run moving
without flooding. The numbers are the orchestrator's samples: ground truth from the mocks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

PLAIN_EVERY_WALL = 15.0


def live_line(row: dict[str, Any], *, channels: list[str], back_office: str) -> str:
    """The key numbers of one sample, in a line."""
    throttled = sum(int(row.get(f"{name}_429") or 0) for name in channels)
    parts = [
        f"accepted {row['accepted']}",
        f"synced {row['sales_orders']}",
        f"backlog {row['backlog']}",
        f"429s {throttled}",
        f"{back_office} refusals {row.get(f'{back_office}_rejected', 0)}",
    ]
    drift = row.get("stock_drift_units")
    if drift is not None:
        parts.append(f"stock drift {drift}")
    if not row.get("engine_up", True):
        parts.append("ENGINE DOWN")
    return " · ".join(parts)


class RunProgress:
    """Two phases: load (``t`` of ``duration`` simulated seconds) and drain (up to
    ``drain_timeout`` simulated seconds after the load)."""

    def __init__(
        self,
        *,
        duration: float,
        drain_timeout: float,
        channels: list[str],
        back_office: str,
        echo: Callable[[str], Any] = print,
        interactive: bool | None = None,
    ) -> None:
        self.duration = duration
        self.drain_timeout = drain_timeout
        self.channels = channels
        self.back_office = back_office
        self.echo = echo
        self.interactive = sys.stdout.isatty() if interactive is None else interactive
        self._last_plain = -PLAIN_EVERY_WALL
        self._last_phase = ""
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}

    def _rich(self) -> Any:
        if self._bar is None:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("  {task.description:<6}"),
                BarColumn(),
                TextColumn("{task.completed:>6.0f}/{task.total:.0f} sim s"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[line]}"),
            )
            self._bar.start()
        return self._bar

    def update(self, phase: str, elapsed: float, row: dict[str, Any]) -> None:
        """``phase`` is ``load`` or ``drain``; ``elapsed`` simulated seconds into it."""
        line = live_line(row, channels=self.channels, back_office=self.back_office)
        total = self.duration if phase == "load" else self.drain_timeout
        if self.interactive:
            bar = self._rich()
            if phase not in self._tasks:
                for task in self._tasks.values():
                    bar.update(task, line="")
                self._tasks[phase] = bar.add_task(phase, total=total, line=line)
            bar.update(self._tasks[phase], completed=min(elapsed, total), line=line)
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_WALL or phase != self._last_phase:
            self._last_plain, self._last_phase = now, phase
            self.echo(f"  [{phase} {elapsed:5.0f}/{total:.0f} sim s] {line}")

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

"""The shape every post-purchase flow shares: find records, queue them durably, apply each once.

A flow *discovers* records at their source (shipments in the back office, refunds and payouts
on a channel) past a durable cursor and records each as a job, moving the cursor in the same
transaction (``Store.enqueue_jobs``); a crash re-reads at most one page and finds nothing new.
It then *performs* due jobs: the effect is written idempotently by the record's external id,
so a retry after an unknown outcome never applies it twice. Failures follow the engine's
retry policy (``sync_engine.retry``): transient ones back off, permanent ones are held in the
exception queue with a fingerprint, never dropped.
"""

from __future__ import annotations

import abc
import logging
import random
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from simclock import Clock
from sync_engine.config import Timing
from sync_engine.errors import SyncError, Throttled
from sync_engine.flows.fingerprints import fingerprint
from sync_engine.retry import decide
from sync_engine.store import Store
from sync_engine.store.contract import DueJob

T = TypeVar("T")

BATCH = 20
"""Jobs performed per tick of one flow."""

log = logging.getLogger(__name__)


class RetryLater(SyncError):
    """The job depends on something not done yet (its order is not in the back office)."""

    def __init__(self, message: str, *, delay: float) -> None:
        super().__init__(message)
        self.delay = delay


class JobFlow(abc.ABC):
    """Discover → enqueue → perform, for one kind of record."""

    flow: str
    """The job kind: ``fulfilments``, ``refunds``, ``payouts``, ``order_changes``."""

    def __init__(
        self,
        *,
        store: Store,
        clock: Clock,
        timing: Timing,
        rng: random.Random,
        interval: float,
        on_exception: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.timing = timing
        self.rng = rng
        self.interval = interval
        self.on_exception = on_exception
        self.done = 0
        self.held = 0

    def record_one(self, key: str, payload: dict[str, Any]) -> bool:
        """Queue one record pushed to us (a webhook); False if it was already queued."""
        return self.store.enqueue_jobs(self.flow, [(key, payload)], now=self.clock.now()) == 1

    async def enqueue_pages(
        self,
        pages: AsyncIterator[tuple[list[T], str]],
        cursor_key: str,
        job: Callable[[T], tuple[str, dict[str, Any]]],
    ) -> int:
        """Queue every page a source yields, each with the cursor after it (one transaction
        per page); returns how many records were new."""
        new = 0
        async for records, cursor in pages:
            new += self.store.enqueue_jobs(
                self.flow,
                [job(r) for r in records],
                now=self.clock.now(),
                cursor=(cursor_key, cursor),
            )
        return new

    @abc.abstractmethod
    async def discover(self) -> int:
        """Queue records found since the cursor; returns how many were new."""

    @abc.abstractmethod
    async def perform(self, job: DueJob) -> None:
        """Apply one job's effect (idempotently)."""

    async def work_once(self) -> int:
        """Perform every job due now (up to a batch); returns how many completed."""
        completed = 0
        for job in self.store.due_jobs(self.flow, self.clock.now(), BATCH):
            try:
                await self.perform(job)
            except RetryLater as wait:
                self.store.job_retry(
                    self.flow,
                    job.record_key,
                    next_attempt_at=self.clock.now() + wait.delay,
                    error=str(wait),
                )
            except SyncError as error:
                self._failed(job, error)
                if isinstance(error, Throttled):
                    break  # the destination asked for a pause: the rest wait too
            except Exception as error:  # a bug: hold the record with the error, never drop it
                log.exception("%s: job %s failed unexpectedly", self.flow, job.record_key)
                self._hold(job, code="INTERNAL_ERROR", reason=f"{type(error).__name__}: {error}")
            else:
                self.store.job_done(self.flow, job.record_key, now=self.clock.now())
                self.done += 1
                completed += 1
        return completed

    def _failed(self, job: DueJob, error: SyncError) -> None:
        now = self.clock.now()
        decision = decide(
            error,
            job.attempts + 1,
            self.rng,
            base=self.timing.retry_base,
            cap=self.timing.retry_cap,
        )
        if decision.retry:
            self.store.job_retry(
                self.flow, job.record_key, next_attempt_at=now + decision.delay, error=str(error)
            )
            return
        self._hold(job, code=error.code, reason=str(error))

    def _hold(self, job: DueJob, *, code: str | None, reason: str) -> None:
        """Put a job in the exception queue with its reason (and alert on a new group)."""
        held_under = fingerprint(self.flow, code, reason)
        self.store.job_exception(
            job, now=self.clock.now(), reason=reason, code=code, fingerprint=held_under
        )
        self.held += 1
        if self.on_exception is not None:
            self.on_exception(held_under)

    async def run(self) -> None:
        next_discovery = self.clock.now()
        while True:
            if self.clock.now() >= next_discovery:
                try:
                    await self.discover()
                except Throttled as exc:
                    await self.clock.sleep(exc.retry_after or 1.0)
                except SyncError:
                    pass  # the source is unwell: the next discovery tries again
                next_discovery = self.clock.now() + self.interval
            await self.work_once()
            await self.clock.sleep(self.timing.worker_tick * 5)

    def stats(self) -> dict[str, int]:
        return {"done": self.done, "held": self.held}

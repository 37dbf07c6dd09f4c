"""A webhook outbox and delivery worker shared by every mock platform.

The platform enqueues ``(topic, address, body, header builder)``; the outbox delivers with
at-least-once semantics the way the real platforms do: a non-2xx answer or a connection error is
retried on a schedule of simulated delays, and after the last retry the delivery is abandoned.
Seeded fault knobs make it misbehave on purpose: ``drop_rate`` loses a delivery outright,
``duplicate_rate`` delivers a successful one a second time with the *same* delivery id,
``delay_rate`` holds a delivery back up to ``delay_max_seconds`` before its first attempt (the
"up to a day late" webhook) and ``reorder_rate`` holds one back up to ``reorder_max_seconds`` so
events queued after it overtake it. Delay and reorder draw from their own seeded stream, so
switching them on shifts neither the delivery ids nor the drop/duplicate draws.
A producer may pass ``on_settled`` to learn when a delivery is delivered or abandoned (Shopify
counts consecutive failures per subscription and deletes the subscription).
``rates_override`` (set by the fault plan, ``fault_plan.py``) is asked at every enqueue; the
:class:`WebhookFaultRates` it returns replace the outbox's own rates for that delivery, so a
webhook storm can be switched on for a window of the run. Unset, nothing changes.

Two ways to drive it:
- ``await outbox.deliver_due()`` performs every delivery due now and returns when they are done
  (tests, on a :class:`simclock.VirtualClock`);
- ``await outbox.run()`` loops forever (started from the app lifespan). It sleeps on the injected
  clock until the earliest retry is due, or until something is enqueued, so an idle outbox costs
  no CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

import httpx

from mocks.common.rng import derive
from simclock import Clock

# Shopify: "8 retries over 4 hours, exponential backoff". These eight delays sum to exactly
# 14,400 s (4 h); the first attempt is immediate.
SHOPIFY_RETRY_SCHEDULE: tuple[float, ...] = (10, 30, 60, 300, 900, 1800, 3600, 7700)
DEFAULT_CONCURRENCY = 20
DEFAULT_TIMEOUT_SECONDS = 5.0  # Shopify: 5 s total per delivery attempt
DEFAULT_CONNECT_TIMEOUT_SECONDS = 1.0  # Shopify: 1 s to connect


class DeliveryStatus(StrEnum):
    """Where a delivery is in its life."""

    PENDING = "pending"
    DELIVERED = "delivered"
    ABANDONED = "abandoned"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookFaultRates:
    """Fault rates replacing the outbox's own for one enqueue; None keeps the outbox's value."""

    drop_rate: float | None = None
    duplicate_rate: float | None = None
    delay_rate: float | None = None
    delay_max_seconds: float | None = None
    reorder_rate: float | None = None
    reorder_max_seconds: float | None = None


RatesOverride = Callable[[], WebhookFaultRates | None]
"""Asked at every enqueue; None means the outbox's configured rates apply."""
HeaderBuilder = Callable[["WebhookDelivery"], Mapping[str, str]]
"""Builds the request headers for an attempt (signature, ids, topic...) from the delivery."""
SettledCallback = Callable[["WebhookDelivery"], None]
"""Told once when a delivery ends as delivered or abandoned."""


@dataclass(kw_only=True, eq=False)
class WebhookDelivery:
    """One delivery of one body to one address; retried as a unit."""

    delivery_id: str
    """Stable across retries and duplicates (Shopify's ``X-Shopify-Webhook-Id``)."""
    topic: str
    address: str
    body: bytes
    build_headers: HeaderBuilder
    created_at: float
    next_attempt_at: float
    duplicate: bool = False
    """Fault injection: deliver a second copy after the first success."""
    attempts: int = 0
    status: DeliveryStatus = DeliveryStatus.PENDING
    delivered_at: float | None = None
    last_error: str | None = None
    statuses: list[int | None] = field(default_factory=list)
    """HTTP status of each attempt (``None`` for a connection error or timeout)."""
    on_settled: SettledCallback | None = None
    """Producer's hook, called when the delivery is delivered or abandoned."""
    held_for: float = 0.0
    """Fault injection: simulated seconds the first attempt was held back (delay/reorder)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxCounters:
    """Counters reported under ``webhooks`` in ``/_mock/stats``."""

    queued: int
    delivered: int
    failed_attempts: int
    pending: int
    dropped: int
    duplicated: int
    abandoned: int

    def as_dict(self) -> dict[str, int]:
        """Plain dict for JSON."""
        return {
            "queued": self.queued,
            "delivered": self.delivered,
            "failed_attempts": self.failed_attempts,
            "pending": self.pending,
            "dropped": self.dropped,
            "duplicated": self.duplicated,
            "abandoned": self.abandoned,
        }


class _Rates(NamedTuple):
    """The rates one enqueue draws against."""

    drop_rate: float
    duplicate_rate: float
    delay_rate: float
    delay_max_seconds: float
    reorder_rate: float
    reorder_max_seconds: float


class WebhookOutbox:
    """Queue of webhook deliveries with retries, faults and a bounded number in flight."""

    def __init__(
        self,
        *,
        clock: Clock,
        seed: int,
        retry_schedule: Sequence[float] = SHOPIFY_RETRY_SCHEDULE,
        drop_rate: float = 0.0,
        duplicate_rate: float = 0.0,
        concurrency: int = DEFAULT_CONCURRENCY,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
        name: str = "webhooks",
        delay_rate: float = 0.0,
        delay_max_seconds: float = 3600.0,
        reorder_rate: float = 0.0,
        reorder_max_seconds: float = 30.0,
        rates_override: RatesOverride | None = None,
    ) -> None:
        rates = (
            ("drop_rate", drop_rate),
            ("duplicate_rate", duplicate_rate),
            ("delay_rate", delay_rate),
            ("reorder_rate", reorder_rate),
        )
        for label, rate in rates:
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{label} must be within [0, 1], got {rate}")
        if delay_max_seconds < 0 or reorder_max_seconds < 0:
            raise ValueError("delay_max_seconds and reorder_max_seconds must be >= 0")
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        if any(delay < 0 for delay in retry_schedule):
            raise ValueError(f"retry_schedule delays must be >= 0, got {list(retry_schedule)}")
        self.clock = clock
        """Source of every timestamp and every wait."""
        self.retry_schedule: tuple[float, ...] = tuple(float(d) for d in retry_schedule)
        """Delay before retry *n* (simulated seconds); abandoned after the last one fails."""
        self.drop_rate = drop_rate
        self.duplicate_rate = duplicate_rate
        self.delay_rate = delay_rate
        self.delay_max_seconds = delay_max_seconds
        self.reorder_rate = reorder_rate
        self.reorder_max_seconds = reorder_max_seconds
        self.rates_override = rates_override
        """Fault plan hook: rates that replace the ones above while a fault window is open."""
        self.concurrency = concurrency
        self.timeout_seconds = timeout_seconds
        """Per attempt, simulated seconds (converted to wall time through the clock's scale)."""
        self.deliveries: dict[str, WebhookDelivery] = {}
        """Every delivery since the last reset, by id (bodies are released once delivered)."""
        # Separate seeded streams: adding fault draws must not shift the delivery ids.
        self._fault_rng = derive(seed, f"{name}:faults")
        self._id_rng = derive(seed, f"{name}:ids")
        self._timing_rng = derive(seed, f"{name}:timing")
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._due: list[tuple[float, int, WebhookDelivery]] = []
        self._seq = 0
        self._generation = 0  # bumped by reset so late completions cannot touch new counters
        self._wakeup: asyncio.Event | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._zero_counters()

    def _zero_counters(self) -> None:
        self._queued = 0
        self._delivered = 0
        self._failed_attempts = 0
        self._dropped = 0
        self._duplicated = 0
        self._abandoned = 0

    # -- producer side -------------------------------------------------------------------

    def new_id(self) -> str:
        """A seeded, UUID-shaped id (reproducible per seed, unique across resets)."""
        return str(uuid.UUID(int=self._id_rng.getrandbits(128), version=4))

    def enqueue(
        self,
        *,
        topic: str,
        address: str,
        body: bytes,
        build_headers: HeaderBuilder,
        delivery_id: str | None = None,
        on_settled: SettledCallback | None = None,
    ) -> WebhookDelivery:
        """Queue one delivery, due now. Seeded draws may drop, duplicate, delay or reorder it."""
        now = self.clock.now()
        delivery = WebhookDelivery(
            delivery_id=delivery_id or self.new_id(),
            topic=topic,
            address=address,
            body=body,
            build_headers=build_headers,
            created_at=now,
            next_attempt_at=now,
            on_settled=on_settled,
        )
        self._queued += 1
        self.deliveries[delivery.delivery_id] = delivery
        rates = self._rates()
        # Both draws happen for every delivery so one knob never shifts the other's stream.
        drop_draw = self._fault_rng.random()
        dup_draw = self._fault_rng.random()
        if drop_draw < rates.drop_rate:
            delivery.status = DeliveryStatus.DROPPED
            delivery.body = b""
            self._dropped += 1
            return delivery
        delivery.duplicate = dup_draw < rates.duplicate_rate
        if rates.delay_rate or rates.reorder_rate:
            delivery.held_for = self._hold_back(rates)
            delivery.next_attempt_at = now + delivery.held_for
        self._schedule(delivery)
        return delivery

    def _rates(self) -> _Rates:
        """The rates for a delivery queued now: the outbox's, or the fault plan's override."""
        own = _Rates(
            self.drop_rate,
            self.duplicate_rate,
            self.delay_rate,
            self.delay_max_seconds,
            self.reorder_rate,
            self.reorder_max_seconds,
        )
        override = self.rates_override() if self.rates_override is not None else None
        if override is None:
            return own
        pairs = zip(_Rates._fields, own, strict=True)
        return _Rates(*(v if (o := getattr(override, n)) is None else o for n, v in pairs))

    def _hold_back(self, rates: _Rates) -> float:
        """Seconds to hold a new delivery back (0 for most); a delay outranks a reorder."""
        delay_draw, reorder_draw, amount = (self._timing_rng.random() for _ in range(3))
        if delay_draw < rates.delay_rate:
            return amount * rates.delay_max_seconds
        if reorder_draw < rates.reorder_rate:
            return amount * rates.reorder_max_seconds
        return 0.0

    def _schedule(self, delivery: WebhookDelivery) -> None:
        self._seq += 1
        heapq.heappush(self._due, (delivery.next_attempt_at, self._seq, delivery))
        if self._wakeup is not None:
            self._wakeup.set()

    # -- delivery side -------------------------------------------------------------------

    def counters(self) -> OutboxCounters:
        """Snapshot of the counters."""
        pending = sum(1 for d in self.deliveries.values() if d.status is DeliveryStatus.PENDING)
        return OutboxCounters(
            queued=self._queued,
            delivered=self._delivered,
            failed_attempts=self._failed_attempts,
            pending=pending,
            dropped=self._dropped,
            duplicated=self._duplicated,
            abandoned=self._abandoned,
        )

    def next_due_at(self) -> float | None:
        """Simulated time of the earliest queued attempt, if any."""
        return self._due[0][0] if self._due else None

    def _client_for_loop(self) -> httpx.AsyncClient:
        if self._client is None:
            # Created lazily inside the running loop: the app is built before uvicorn's loop.
            wall = self.timeout_seconds / self.clock.time_scale
            connect = min(wall, DEFAULT_CONNECT_TIMEOUT_SECONDS / self.clock.time_scale)
            self._client = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(wall, connect=connect),
                follow_redirects=False,
            )
        return self._client

    def _start_due(self) -> list[asyncio.Task[None]]:
        """Pop every attempt due now and start it (bounded by the concurrency semaphore)."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or loop is not self._loop:
            # A new event loop (tests call asyncio.run more than once) needs fresh loop-bound
            # primitives; the old client's pooled connections belong to the dead loop.
            self._loop = loop
            self._semaphore = asyncio.Semaphore(self.concurrency)
            self._client = None
        now = self.clock.now()
        tasks: list[asyncio.Task[None]] = []
        while self._due and self._due[0][0] <= now:
            _, _, delivery = heapq.heappop(self._due)
            if delivery.status is not DeliveryStatus.PENDING:
                continue
            task = asyncio.ensure_future(self._attempt(delivery, self._generation))
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            tasks.append(task)
        return tasks

    async def deliver_due(self) -> int:
        """Perform every delivery due now and wait for them; returns how many were attempted."""
        tasks = self._start_due()
        if tasks:
            await asyncio.gather(*tasks)
        return len(tasks)

    async def _post(self, delivery: WebhookDelivery) -> int | None:
        """One HTTP attempt; the status code, or ``None`` if the receiver could not be reached."""
        headers = dict(delivery.build_headers(delivery))
        try:
            response = await self._client_for_loop().post(
                delivery.address, content=delivery.body, headers=headers
            )
        except httpx.HTTPError as exc:
            delivery.last_error = f"{type(exc).__name__}: {exc}"
            return None
        return response.status_code

    async def _attempt(self, delivery: WebhookDelivery, generation: int) -> None:
        assert self._semaphore is not None
        async with self._semaphore:
            status = await self._post(delivery)
        if generation != self._generation:
            return
        delivery.attempts += 1
        delivery.statuses.append(status)
        if status is not None and 200 <= status < 300:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = self.clock.now()
            delivery.last_error = None
            self._delivered += 1
            if delivery.duplicate:
                # The copy is fire-and-forget: real duplicates are not retried as a pair.
                self._duplicated += 1
                async with self._semaphore:
                    await self._post(delivery)
            delivery.body = b""  # released: a long sale must not hold every body in memory
            if delivery.on_settled is not None:
                delivery.on_settled(delivery)
            return
        self._failed_attempts += 1
        if status is not None:
            delivery.last_error = f"HTTP {status}"
        retry_index = delivery.attempts - 1
        if retry_index >= len(self.retry_schedule):
            delivery.status = DeliveryStatus.ABANDONED
            self._abandoned += 1
            if delivery.on_settled is not None:
                delivery.on_settled(delivery)
            return
        delivery.next_attempt_at = self.clock.now() + self.retry_schedule[retry_index]
        self._schedule(delivery)

    async def run(self) -> None:
        """Deliver forever: start what is due, then sleep until the next due time or enqueue."""
        self._wakeup = asyncio.Event()
        while True:
            self._wakeup.clear()
            self._start_due()
            due_at = self.next_due_at()
            waker = asyncio.ensure_future(self._wakeup.wait())
            waiters: set[asyncio.Future[Any]] = {waker}
            if due_at is not None:
                waiters.add(asyncio.ensure_future(self.clock.sleep(due_at - self.clock.now())))
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    def reset(self) -> None:
        """Forget every delivery and zero the counters (in-flight attempts finish unrecorded)."""
        self._generation += 1
        self._due.clear()
        self.deliveries.clear()
        self._zero_counters()

    async def aclose(self) -> None:
        """Cancel in-flight attempts and close the HTTP client."""
        for task in list(self._running):
            task.cancel()
        for task in list(self._running):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def outbox_lifespan(
    outbox: WebhookOutbox, name: str
) -> Callable[[Any], contextlib.AbstractAsyncContextManager[None]]:
    """A FastAPI lifespan that runs ``outbox``'s delivery worker while the server is up.

    State is built eagerly in each mock's ``create_app``; only the worker needs the event loop
    (``httpx.ASGITransport`` runs no lifespan, so in-process tests drive ``deliver_due``).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        worker = asyncio.create_task(outbox.run(), name=name)
        try:
            yield
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            await outbox.aclose()

    return lifespan

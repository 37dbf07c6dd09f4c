"""The webhook outbox: retries, abandonment, faults, concurrency, driven on a virtual clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from fastapi import FastAPI, Request, Response

from mocks.common.webhooks import (
    SHOPIFY_RETRY_SCHEDULE,
    DeliveryStatus,
    WebhookDelivery,
    WebhookOutbox,
)
from simclock import VirtualClock

ADDRESS = "http://engine.test/webhooks"


@dataclass
class Receiver:
    """A tiny in-process webhook endpoint that answers a scripted sequence of statuses."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/webhooks")
        async def hook(request: Request) -> Response:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.delay:
                    await asyncio.sleep(self.delay)
                self.received.append((dict(request.headers), await request.body()))
                status = self.statuses.pop(0) if self.statuses else self.default
                return Response(status_code=status)
            finally:
                self.in_flight -= 1

        return app

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app())


def headers(delivery: WebhookDelivery) -> Mapping[str, str]:
    return {"X-Delivery-Id": delivery.delivery_id, "X-Topic": delivery.topic}


def make(receiver: Receiver, **kwargs: object) -> tuple[WebhookOutbox, VirtualClock]:
    clock = VirtualClock()
    outbox = WebhookOutbox(clock=clock, seed=7, transport=receiver.transport(), **kwargs)  # type: ignore[arg-type]
    return outbox, clock


def enqueue(outbox: WebhookOutbox, body: bytes = b'{"id":1}') -> WebhookDelivery:
    return outbox.enqueue(topic="orders/create", address=ADDRESS, body=body, build_headers=headers)


def test_default_schedule_is_eight_retries_over_four_hours() -> None:
    assert len(SHOPIFY_RETRY_SCHEDULE) == 8
    assert sum(SHOPIFY_RETRY_SCHEDULE) == 4 * 3600


def test_a_2xx_delivers_once_with_the_builders_headers() -> None:
    receiver = Receiver()
    outbox, _ = make(receiver)
    delivery = enqueue(outbox)
    assert outbox.counters().pending == 1
    assert asyncio.run(outbox.deliver_due()) == 1
    [(got_headers, body)] = receiver.received
    assert body == b'{"id":1}'
    assert got_headers["x-delivery-id"] == delivery.delivery_id
    assert got_headers["x-topic"] == "orders/create"
    assert delivery.status is DeliveryStatus.DELIVERED
    counters = outbox.counters().as_dict()
    assert counters == {
        "queued": 1, "delivered": 1, "failed_attempts": 0, "pending": 0,
        "dropped": 0, "duplicated": 0, "abandoned": 0,
    }  # fmt: skip


def test_a_500_is_retried_on_schedule_with_the_same_id_until_delivered() -> None:
    receiver = Receiver(statuses=[500, 503])
    outbox, clock = make(receiver)
    delivery = enqueue(outbox)

    async def scenario() -> None:
        assert await outbox.deliver_due() == 1  # fails: 500
        assert await outbox.deliver_due() == 0  # not due again yet
        clock.advance(9.9)
        assert await outbox.deliver_due() == 0
        clock.advance(0.1)  # first retry due 10 s after the failure
        assert await outbox.deliver_due() == 1  # fails: 503
        clock.advance(30)
        assert await outbox.deliver_due() == 1  # 200

    asyncio.run(scenario())
    ids = {h["x-delivery-id"] for h, _ in receiver.received}
    assert ids == {delivery.delivery_id}
    assert len(receiver.received) == 3
    assert delivery.statuses == [500, 503, 200]
    c = outbox.counters()
    assert (c.delivered, c.failed_attempts, c.pending, c.abandoned) == (1, 2, 0, 0)


def test_abandoned_after_the_whole_schedule_fails() -> None:
    receiver = Receiver(default=500)
    schedule = (1.0, 2.0, 4.0)
    outbox, clock = make(receiver, retry_schedule=schedule)
    delivery = enqueue(outbox)

    async def scenario() -> None:
        await outbox.deliver_due()
        while (due := outbox.next_due_at()) is not None:
            clock.advance(due - clock.now())
            await outbox.deliver_due()

    asyncio.run(scenario())
    assert len(receiver.received) == 1 + len(schedule)
    assert delivery.status is DeliveryStatus.ABANDONED
    c = outbox.counters()
    assert (c.abandoned, c.failed_attempts, c.pending, c.delivered) == (1, 4, 0, 0)


def test_a_connection_error_counts_as_a_failed_attempt_and_is_retried() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200)

    clock = VirtualClock()
    outbox = WebhookOutbox(clock=clock, seed=1, transport=httpx.MockTransport(handler))
    delivery = enqueue(outbox)

    async def scenario() -> None:
        await outbox.deliver_due()
        assert delivery.status is DeliveryStatus.PENDING
        assert delivery.last_error is not None and "ConnectError" in delivery.last_error
        clock.advance(SHOPIFY_RETRY_SCHEDULE[0])
        await outbox.deliver_due()

    asyncio.run(scenario())
    assert delivery.statuses == [None, 200]
    assert outbox.counters().failed_attempts == 1
    assert outbox.counters().delivered == 1


def test_a_duplicate_arrives_twice_with_the_same_id() -> None:
    receiver = Receiver()
    outbox, _ = make(receiver, duplicate_rate=1.0)
    delivery = enqueue(outbox)
    asyncio.run(outbox.deliver_due())
    assert len(receiver.received) == 2
    assert {h["x-delivery-id"] for h, _ in receiver.received} == {delivery.delivery_id}
    assert receiver.received[0][1] == receiver.received[1][1] == b'{"id":1}'
    c = outbox.counters()
    assert (c.delivered, c.duplicated) == (1, 1)


def test_a_drop_is_never_delivered_and_is_counted() -> None:
    receiver = Receiver()
    outbox, clock = make(receiver, drop_rate=1.0)
    delivery = enqueue(outbox)
    clock.advance(10_000)
    assert asyncio.run(outbox.deliver_due()) == 0
    assert receiver.received == []
    assert delivery.status is DeliveryStatus.DROPPED
    c = outbox.counters()
    assert (c.queued, c.dropped, c.pending, c.delivered) == (1, 1, 0, 0)


def test_faults_are_seeded_and_reproducible() -> None:
    def decisions(seed: int) -> list[tuple[str, DeliveryStatus, bool]]:
        outbox = WebhookOutbox(
            clock=VirtualClock(), seed=seed, drop_rate=0.3, duplicate_rate=0.3,
            transport=Receiver().transport(),
        )  # fmt: skip
        return [
            (d.delivery_id, d.status, d.duplicate) for d in (enqueue(outbox) for _ in range(200))
        ]

    first, again, other = decisions(3), decisions(3), decisions(4)
    assert first == again
    assert first != other
    dropped = sum(1 for _, status, _ in first if status is DeliveryStatus.DROPPED)
    assert 30 <= dropped <= 90  # 0.3 x 200 = 60 expected
    assert len({delivery_id for delivery_id, _, _ in first}) == 200


def test_no_more_than_the_concurrency_limit_are_in_flight() -> None:
    receiver = Receiver(delay=0.005)
    outbox, _ = make(receiver, concurrency=3)
    for i in range(10):
        enqueue(outbox, body=str(i).encode())
    assert asyncio.run(outbox.deliver_due()) == 10
    assert receiver.max_in_flight == 3
    assert outbox.counters().delivered == 10


def test_run_loop_delivers_retries_and_then_idles_without_polling() -> None:
    receiver = Receiver(statuses=[500])
    outbox, clock = make(receiver)

    async def scenario() -> None:
        worker = asyncio.create_task(outbox.run())
        await asyncio.sleep(0)
        delivery = enqueue(outbox)  # wakes the idle worker
        for _ in range(200):
            if delivery.status is DeliveryStatus.DELIVERED:
                break
            await asyncio.sleep(0)
        assert delivery.status is DeliveryStatus.DELIVERED
        slept = clock.slept
        assert slept >= SHOPIFY_RETRY_SCHEDULE[0]  # the retry waited on the clock
        for _ in range(50):
            await asyncio.sleep(0)
        assert clock.slept == slept  # idle: nothing due, so no clock sleeps at all
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
        await outbox.aclose()

    asyncio.run(scenario())
    assert len(receiver.received) == 2


def test_reset_forgets_deliveries_and_counters() -> None:
    receiver = Receiver(default=500)
    outbox, _ = make(receiver)
    enqueue(outbox)
    asyncio.run(outbox.deliver_due())
    outbox.reset()
    assert outbox.counters().as_dict() == dict.fromkeys(outbox.counters().as_dict(), 0)
    assert outbox.next_due_at() is None

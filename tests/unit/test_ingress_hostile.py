"""Hostile deliveries to the engine's webhook ingress: forged, altered, replayed, oversized,
malformed. Each is refused with a precise 4xx, changes nothing, and is counted by reason in
``/status`` (and so in a run's summary)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from simclock import iso_utc
from sync_engine.connectors.webhook_sig import b64_hmac_sha256
from sync_engine.ingress import MAX_BODY_BYTES
from sync_engine.webhook_freshness import staleness, triggered_at
from tests.harness import SHOPIFY_CREDS, Captured, System, build

SECRET = SHOPIFY_CREDS["webhook_secret"].encode()
NOTHING = {"pending": 0, "synced": 0, "exception": 0}


def signed(headers: dict[str, str], body: bytes) -> dict[str, str]:
    return {**headers, "x-shopify-hmac-sha256": b64_hmac_sha256(SECRET, body)}


async def post(system: System, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with system.client(system.engine_app, "http://engine.test") as c:
        return await c.post("/webhooks/shopify", content=body, headers=headers)


async def one_delivery() -> tuple[System, Captured]:
    system = await build(skus={"A": 5})
    assert await system.checkout([{"sku": "A", "quantity": 1}]) == 201
    (hook,) = await system.flush_webhooks()
    return system, hook


def refused(system: System) -> dict[str, Any]:
    webhooks: dict[str, Any] = system.engine.status()["webhooks"]
    return webhooks


def test_a_replay_dated_beyond_the_retry_horizon_is_refused_and_changes_nothing() -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        # Five hours and a minute later someone sends the captured request again.
        system.clock.advance(5 * 3600 + 60)
        response = await post(system, hook.body, hook.headers)
        assert response.status_code == 400
        assert response.json()["reason"] == "stale"
        assert "stale delivery: triggered 18060 s ago" in response.json()["error"]
        assert system.engine.store.order_counts() == NOTHING
        assert refused(system)["refused"] == {"stale": 1}
        await system.engine.stop()

    asyncio.run(go())


def test_a_retry_within_the_platforms_retry_horizon_is_still_accepted() -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        system.clock.advance(4 * 3600)  # Shopify's last retry comes about 4 h after the event
        assert (await post(system, hook.body, hook.headers)).json() == {"status": "accepted"}
        await system.engine.stop()

    asyncio.run(go())


def test_a_delivery_dated_in_the_future_or_with_a_garbled_date_is_refused() -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        future = dict(
            hook.headers, **{"x-shopify-triggered-at": iso_utc(system.clock.now() + 3600)}
        )
        response = await post(system, hook.body, future)
        assert response.status_code == 400 and "in the future" in response.json()["error"]
        garbled = dict(hook.headers, **{"x-shopify-triggered-at": "yesterday"})
        response = await post(system, hook.body, garbled)
        assert response.status_code == 422 and response.json()["reason"] == "malformed"
        assert system.engine.store.order_counts() == NOTHING
        assert refused(system)["refused"] == {"stale": 1, "malformed": 1}
        await system.engine.stop()

    asyncio.run(go())


def test_forged_and_altered_bodies_are_401_and_counted() -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        order = json.loads(hook.body)
        order["total_price"] = "0.01"  # altered in flight, signature left as it was
        altered = json.dumps(order).encode()
        assert (await post(system, altered, hook.headers)).status_code == 401
        forged = signed({}, hook.body)  # right body, signed with a guessed secret
        forged["x-shopify-hmac-sha256"] = b64_hmac_sha256(b"guess", hook.body)
        assert (await post(system, hook.body, {**hook.headers, **forged})).status_code == 401
        no_signature = {k: v for k, v in hook.headers.items() if "hmac" not in k.lower()}
        assert (await post(system, hook.body, no_signature)).status_code == 401
        assert system.engine.store.order_counts() == NOTHING
        assert refused(system)["refused"] == {"signature": 3}
        assert refused(system)["rejected"] == 3
        await system.engine.stop()

    asyncio.run(go())


def test_oversized_bodies_are_413_before_they_are_read_whole() -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        huge = b"{" + b" " * MAX_BODY_BYTES + b"}"
        response = await post(system, huge, signed(hook.headers, huge))
        assert response.status_code == 413 and response.json()["reason"] == "oversized"

        async def chunks() -> Any:  # no Content-Length: the stream itself is cut off
            for _ in range(3):
                yield b" " * (MAX_BODY_BYTES // 2)

        async with system.client(system.engine_app, "http://engine.test") as c:
            response = await c.post("/webhooks/shopify", content=chunks(), headers=hook.headers)
        assert response.status_code == 413
        assert system.engine.store.order_counts() == NOTHING
        assert refused(system)["refused"] == {"oversized": 2}
        await system.engine.stop()

    asyncio.run(go())


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"id": "x"}', b'{"id": 1, "line_items": "nope"}', b"\xff\xfe"],
)
def test_signed_but_malformed_bodies_are_4xx_with_a_reason(body: bytes) -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        response = await post(system, body, signed(hook.headers, body))
        assert response.status_code in (400, 422)
        assert response.json()["reason"] == "malformed" and response.json()["error"]
        assert system.engine.store.order_counts() == NOTHING
        await system.engine.stop()

    asyncio.run(go())


def test_an_unknown_channel_is_404_and_counted() -> None:
    async def go() -> None:
        system, hook = await one_delivery()
        async with system.client(system.engine_app, "http://engine.test") as c:
            response = await c.post("/webhooks/nope", content=hook.body, headers=hook.headers)
        assert response.status_code == 404 and "nope" in response.json()["error"]
        assert refused(system)["refused"] == {"unknown_channel": 1}
        await system.engine.stop()

    asyncio.run(go())


def test_freshness_reads_shopify_headers_and_shopware_bodies() -> None:
    at = 1_764_000_000.0
    assert triggered_at({"X-Shopify-Triggered-At": iso_utc(at)}, b"{}") == at
    assert triggered_at({}, json.dumps({"timestamp": int(at)}).encode()) == at
    assert triggered_at({}, b'{"id": 1}') is None
    with pytest.raises(ValueError, match="timestamp is not a number"):
        triggered_at({}, b'{"timestamp": "soon"}')
    assert staleness(None, now=at, max_age=10, max_skew=1) is None
    assert staleness(at, now=at + 10, max_age=10, max_skew=1) is None
    assert "stale" in (staleness(at, now=at + 11, max_age=10, max_skew=1) or "")
    assert "future" in (staleness(at + 2, now=at, max_age=10, max_skew=1) or "")

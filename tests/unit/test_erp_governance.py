"""ERP governance over HTTP (in-process): maintenance windows from settings, latency under
load, token revocation, fault rendering and per-record call counts."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mocks.erp.api import create_app
from mocks.erp.constants import ErpSettings
from mocks.erp.models import ErpModel
from simclock import VirtualClock

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
INV = "/services/rest/record/v1/inventoryItem"
START = 1_795_737_600.0
NO_LATENCY = {"write_latency_median": 0, "read_latency_median": 0}


def run(
    test: Callable[[httpx.AsyncClient, FastAPI], Awaitable[None]],
    *,
    clock: Any = None,
    settings: dict[str, Any] | None = None,
) -> None:
    async def main() -> None:
        app = create_app(
            settings=settings,
            clock=clock or VirtualClock(START),
            credentials={"access_token": TOKEN},
            seed=3,
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as client:
            seed = {
                "locations": [{"id": "1", "name": "WH"}],
                "items": [{"sku": "A", "on_hand": {"1": 9}}],
            }
            assert (await client.post("/_mock/seed", json=seed)).status_code == 200
            await test(client, app)

    asyncio.run(main())


def test_maintenance_windows_from_settings_count_from_the_mocks_creation() -> None:
    clock = VirtualClock(START)

    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        assert (await client.get(INV, headers=AUTH)).status_code == 200
        clock.advance(150)
        down = await client.get(INV, headers=AUTH)
        assert down.status_code == 503
        assert down.headers["retry-after"] == "50"
        assert down.json()["o:errorDetails"][0]["o:errorCode"] == "SERVICE_UNAVAILABLE"
        clock.advance(50)  # the window is [100, 200): at 200 the account is back
        assert (await client.get(INV, headers=AUTH)).status_code == 200
        state = (await client.get("/_mock/maintenance")).json()
        assert state["windows"] == [[100.0, 200.0]] and state["rejected"] == 1
        # An open-ended window answers the configured Retry-After until it is replaced.
        await client.post("/_mock/maintenance", json={"duration": None})
        assert (await client.get(INV, headers=AUTH)).headers["retry-after"] == "300"
        await client.post("/_mock/maintenance", json={"windows": []})
        assert (await client.get(INV, headers=AUTH)).status_code == 200
        # Reset restores the schedule of the settings.
        await client.post("/_mock/reset")
        assert (await client.get("/_mock/maintenance")).json()["windows"] == [[100.0, 200.0]]

    run(check, clock=clock, settings={**NO_LATENCY, "maintenance_windows": [[100, 200]]})


@pytest.mark.parametrize(
    ("windows", "needle"),
    [
        ([[5, 5]], "maintenance_windows[0]"),
        ([[1, 2, 3]], "maintenance_windows[0]"),
        ("10-20", "list of [start, end] pairs"),
        ([[-1, 4]], "0 <= start < end"),
    ],
)
def test_bad_maintenance_windows_are_refused_by_name(windows: Any, needle: str) -> None:
    with pytest.raises(ValueError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        ErpSettings.from_overrides({"maintenance_windows": windows})


def test_write_latency_median_grows_with_the_other_requests_in_flight() -> None:
    def model(**overrides: Any) -> ErpModel:
        settings = ErpSettings.from_overrides(
            {
                "concurrency_limit": 10,
                "write_latency_sigma": 0,
                "read_latency_sigma": 0,
                **overrides,
            }
        )
        return ErpModel(settings=settings, clock=VirtualClock(START), seed=1)

    loaded = model(write_latency_median=1.0, read_latency_median=0.5, latency_load_factor=1.0)
    assert loaded.draw_latency("write", in_flight=1) == pytest.approx(1.0)  # alone: the median
    assert loaded.draw_latency("write", in_flight=6) == pytest.approx(1.5)  # 5 others of 10
    assert loaded.draw_latency("write", in_flight=10) == pytest.approx(1.9)
    assert loaded.draw_latency("read", in_flight=10) == pytest.approx(0.5)  # reads: off by default
    reads = model(read_latency_median=0.5, latency_load_reads=True, latency_load_factor=2.0)
    assert reads.draw_latency("read", in_flight=6) == pytest.approx(1.0)
    off = model(write_latency_median=1.0, latency_load_factor=0)
    assert off.draw_latency("write", in_flight=10) == pytest.approx(1.0)


class RecordingClock:
    """A clock whose ``sleep`` blocks until released and records what was asked."""

    time_scale = 1.0

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.asked: list[float] = []

    def now(self) -> float:
        return START

    async def sleep(self, seconds: float) -> None:
        self.asked.append(seconds)
        await self.gate.wait()


def test_concurrent_writes_are_slower_through_the_middleware() -> None:
    clock = RecordingClock()

    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        body = {"email": "x@example.com"}
        tasks = [
            asyncio.create_task(
                client.post("/services/rest/record/v1/customer", json=body, headers=AUTH)
            )
            for _ in range(4)
        ]
        while len(clock.asked) < 4:
            await asyncio.sleep(0)
        assert clock.asked == pytest.approx([1.0, 1.25, 1.5, 1.75])
        clock.gate.set()
        assert [r.status_code for r in await asyncio.gather(*tasks)] == [204] * 4

    settings = {
        "concurrency_limit": 4,
        "write_latency_sigma": 0,
        "write_latency_median": 1.0,
        "latency_load_factor": 1.0,
    }
    run(check, clock=clock, settings=settings)


def test_revoked_credentials_answer_401_until_a_new_token_or_a_reset() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        app.state.revoke_credentials()
        refused = await client.get(INV, headers=AUTH)
        assert refused.status_code == 401
        assert refused.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"
        new = (await client.post("/_mock/token")).json()["access_token"]
        assert new.startswith("erp_") and new != TOKEN
        assert (await client.get(INV, headers={"Authorization": f"Bearer {new}"})).is_success
        assert (await client.get(INV, headers=AUTH)).status_code == 401  # the old one stays dead
        await client.post("/_mock/reset")
        assert (await client.get(INV, headers=AUTH)).is_success
        assert (
            await client.get(INV, headers={"Authorization": f"Bearer {new}"})
        ).status_code == 401

    run(check, settings=NO_LATENCY)


@pytest.mark.parametrize(
    ("status", "code", "title"),
    [
        (401, "INVALID_LOGIN", "Unauthorized"),
        (429, "CONCURRENCY_LIMIT_EXCEEDED", "Too Many Requests"),
        (500, "UNEXPECTED_ERROR", "Internal Server Error"),
        (502, "UNEXPECTED_ERROR", "Bad Gateway"),
        (503, "SERVICE_UNAVAILABLE", "Service Unavailable"),
        (504, "UNEXPECTED_ERROR", "Gateway Timeout"),
    ],
)
def test_render_fault_gives_netsuites_error_body(status: int, code: str, title: str) -> None:
    app = create_app(clock=VirtualClock(START), credentials={"access_token": TOKEN})
    response = app.state.render_fault(status, "injected by the plan")
    assert response.status_code == status
    body = json.loads(response.body)
    assert (body["status"], body["title"]) == (status, title)
    (detail,) = body["o:errorDetails"]
    assert detail["o:errorCode"] == code
    if status in (500, 502, 504):
        assert detail["detail"] == "injected by the plan"
    if status == 401:
        assert detail["detail"].startswith("Invalid login attempt.")  # what clients match on
    assert ("retry-after" in response.headers) == (status == 503)


def test_calls_are_counted_by_record_type_including_transforms() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        rec = "/services/rest/record/v1"
        await client.get(INV, headers=AUTH)
        await client.get(f"{rec}/customer/1", headers=AUTH)
        await client.post(f"{rec}/salesOrder/1/!transform/itemFulfillment", headers=AUTH)
        await client.post(
            "/services/rest/query/v1/suiteql",
            headers={**AUTH, "Prefer": "transient"},
            json={"q": "SELECT 1"},
        )
        stats = (await client.get("/_mock/stats")).json()
        assert stats["by_record"] == {
            "customer": 1,
            "inventoryItem": 1,
            "itemFulfillment": 1,
            "suiteql": 1,
        }
        assert stats["by_status"] == {"200": 2, "404": 2}
        # The SuiteQL POST is a read: no write latency was drawn for it.
        assert (stats["latency"]["read"]["count"], stats["latency"]["write"]["count"]) == (3, 1)

    run(check, settings=NO_LATENCY)


def test_render_fault_keeps_body_and_status_consistent_for_other_statuses() -> None:
    app = create_app(clock=VirtualClock(START), credentials={"access_token": TOKEN})
    response = app.state.render_fault(418, "")
    body = json.loads(response.body)
    assert (response.status_code, body["status"], body["title"]) == (418, 418, "I'm a Teapot")
    assert body["o:errorDetails"][0]["o:errorCode"] == "USER_ERROR"

"""Contract suites that run unchanged in-process and against a live server.

A test receives a :class:`Target` and uses only ``request``, ``advance`` and ``reset``. In
process, requests go through ``httpx.ASGITransport``; live, through a real socket to
``python -m mocks.serve`` started on a virtual clock, whose time moves only by
``POST /_mock/clock``. Same test body, two transports: what passes in-process also holds on
the wire.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mocks.serve import build_app

START = 1_764_000_000.0
CREDENTIALS: dict[str, dict[str, str]] = {
    "shopify": {"access_token": "shpat_contract", "webhook_secret": "whsec_contract"},
    "erp": {"access_token": "erp_contract"},
    "shopline": {"access_token": "shopline_contract", "webhook_secret": "whsec_shopline"},
    "shopware": {
        "client_id": "SWIACONTRACT",
        "client_secret": "sw_secret_contract",
        "webhook_secret": "sw_shop_secret_contract",
    },
    "fulfil": {"api_key": "fulfil_contract", "webhook_secret": "ZnVsZmlsX3NlY3JldA=="},
}


SETTINGS: dict[str, dict[str, Any]] = {
    # Time moves only by POST /_mock/clock, so a request must not wait on simulated latency.
    "erp": {"write_latency_median": 0, "read_latency_median": 0},
    # A lower limit keeps the 429 test short; it reads the configured rpm from /_mock/stats.
    "fulfil": {"requests_per_minute": 100},
}


def process_config(platform: str) -> dict[str, Any]:
    return {
        "clock": {"virtual": True, "start": START},
        "seed": 3,
        "settings": SETTINGS.get(platform, {}),
        "credentials": CREDENTIALS[platform],
    }


class Target:
    """One mock, reachable in-process or over a socket, with the same three verbs."""

    def __init__(self, platform: str, mode: str, base_url: str, app: Any = None) -> None:
        self.platform = platform
        self.mode = mode
        self.base_url = base_url
        self.app = app
        self.credentials = CREDENTIALS[platform]
        self._client = httpx.Client(base_url=base_url, timeout=30) if app is None else None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._client is not None:
            return self._client.request(method, path, **kwargs)

        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as c:
                response = await c.request(method, path, **kwargs)
                await response.aread()
                return response

        return asyncio.run(send())

    def advance(self, seconds: float) -> None:
        self.request("POST", "/_mock/clock", json={"advance": seconds}).raise_for_status()

    def reset(self) -> None:
        self.request("POST", "/_mock/reset").raise_for_status()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _live(platform: str, tmp: Path) -> Iterator[Target]:
    port = _free_port()
    config = tmp / f"{platform}.json"
    config.write_text(json.dumps(process_config(platform)))
    log = (tmp / f"{platform}.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mocks.serve",
            "--platform",
            platform,
            "--port",
            str(port),
            "--config",
            str(config),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    target = Target(platform, "live", f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 30  # bounded start-up wait, not a timing assertion
        while True:
            try:
                if target.request("GET", "/_mock/stats").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{platform} mock did not start: {(tmp / f'{platform}.log').read_text()}"
                )
            time.sleep(0.1)
        yield target
    finally:
        target.close()
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def _inprocess(platform: str) -> Target:
    config = process_config(platform)
    return Target(platform, "inprocess", f"http://{platform}.test", app=build_app(platform, config))


def make_target_fixture(platform: str) -> Any:
    """A module-scoped fixture yielding the platform's mock in both modes, reset per test."""

    @pytest.fixture(scope="module", params=["inprocess", "live"])
    def _server(
        request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> Iterator[Target]:
        if request.param == "inprocess":
            yield _inprocess(platform)
        else:
            yield from _live(platform, tmp_path_factory.mktemp(platform))

    return _server


shopify_server = make_target_fixture("shopify")
erp_server = make_target_fixture("erp")
shopline_server = make_target_fixture("shopline")
shopware_server = make_target_fixture("shopware")
fulfil_server = make_target_fixture("fulfil")


@pytest.fixture
def shopify(shopify_server: Target) -> Target:
    shopify_server.reset()
    shopify_server.advance(3600)  # free on a virtual clock: every bucket drains
    return shopify_server


@pytest.fixture
def erp(erp_server: Target) -> Target:
    erp_server.reset()
    erp_server.advance(3600)
    return erp_server


@pytest.fixture
def shopline(shopline_server: Target) -> Target:
    shopline_server.reset()
    shopline_server.advance(60)  # buckets drain; the 10-hour token stays valid
    return shopline_server


@pytest.fixture
def shopware(shopware_server: Target) -> Target:
    shopware_server.reset()
    shopware_server.advance(3600)  # token-route limiter windows pass
    return shopware_server


@pytest.fixture
def fulfil(fulfil_server: Target) -> Target:
    fulfil_server.reset()
    fulfil_server.advance(3600)  # the per-minute request window passes
    return fulfil_server

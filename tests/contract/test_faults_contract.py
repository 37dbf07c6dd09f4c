"""The shared fault plan's contract, on Shopify and SHOPLINE, in-process and live.

The same checks run against each platform (a subclass per platform picks its mock) and, through
the ``Target`` fixtures, both over ``httpx.ASGITransport`` and over a socket to
``python -m mocks.serve`` on a virtual clock that moves only by ``POST /_mock/clock``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.contract.conftest import Target

SEED = {
    "locations": [{"name": "WH"}],
    "products": [{"sku": "TEE", "title": "Tee", "price": "19.99", "inventory": {"WH": 20}}],
}
CHECKOUT = {"lines": [{"sku": "TEE", "quantity": 1}]}


@dataclass(frozen=True)
class Mock:
    """One platform's mock and where its admin API lives."""

    target: Target
    api: str
    auth: dict[str, str]
    throttled: dict[str, Any]
    """The body of an injected 429 in the platform's own wording."""

    def admin(self, method: str = "GET", path: str = "orders.json", **kw: Any) -> httpx.Response:
        return self.target.request(method, f"{self.api}/{path}", headers=self.auth, **kw)

    def plan(self, *rules: dict[str, Any]) -> dict[str, Any]:
        r = self.target.request("PUT", "/_mock/faults", json={"rules": list(rules)})
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def faults(self) -> dict[str, Any]:
        body: dict[str, Any] = self.target.request("GET", "/_mock/faults").json()
        return body


class FaultContract:
    """Checks every platform's mock must pass (collected through the subclasses below)."""

    def test_an_error_window_opens_and_closes_as_simulated_time_passes(self, mock: Mock) -> None:
        mock.plan({"kind": "error", "statuses": [503], "start": 10, "end": 20})
        assert mock.admin().status_code == 200
        mock.target.advance(10)
        r = mock.admin()
        assert (r.status_code, r.json()) == (503, {"errors": "Service Unavailable"})
        mock.target.advance(10)
        assert mock.admin().status_code == 200
        assert mock.faults()["counts"]["error"] == 1

    def test_an_injected_429_speaks_the_platforms_language(self, mock: Mock) -> None:
        mock.plan({"kind": "error", "statuses": [429]})
        r = mock.admin()
        assert (r.status_code, r.json()) == (429, mock.throttled)
        if mock.target.platform == "shopify":
            assert r.headers["Retry-After"] == "2.0"
        else:
            assert r.headers["traceid"] and "retry-after" not in r.headers

    def test_a_reset_is_a_transport_error(self, mock: Mock) -> None:
        mock.plan({"kind": "reset", "end": 5})
        with pytest.raises(httpx.TransportError):
            mock.admin()
        mock.target.advance(5)
        assert mock.admin().status_code == 200
        assert mock.faults()["counts"]["reset"] == 1

    def test_a_hang_lasts_until_the_client_gives_up(self, mock: Mock) -> None:
        mock.plan({"kind": "hang"})
        target = mock.target
        url = f"{target.base_url}{mock.api}/orders.json"
        if target.mode == "live":
            with httpx.Client(timeout=0.5) as client, pytest.raises(httpx.TimeoutException):
                client.get(url, headers=mock.auth)
        else:

            async def impatient() -> None:
                transport = httpx.ASGITransport(app=target.app)
                async with httpx.AsyncClient(transport=transport) as client:
                    await asyncio.wait_for(client.get(url, headers=mock.auth), 0.5)

            with pytest.raises(TimeoutError):
                asyncio.run(impatient())
        # The server noticed the client leave and let the request go (bounded wait for the
        # disconnect to travel, not a timing assertion).
        deadline = time.monotonic() + 10
        while mock.faults()["in_flight"] and time.monotonic() < deadline:
            time.sleep(0.05)
        shown = mock.faults()
        assert (shown["in_flight"], shown["counts"]["hang"]) == (0, 1)

    def test_admin_down_leaves_checkout_selling_and_webhooks_queued(self, mock: Mock) -> None:
        target = mock.target
        target.request("POST", "/_mock/seed", json=SEED).raise_for_status()
        sub = {"webhook": {"topic": "orders/create", "address": "http://127.0.0.1:9/hooks"}}
        assert mock.admin("POST", "webhooks.json", json=sub).status_code == 201
        mock.plan({"kind": "admin_down", "end": 7200})
        assert target.request("POST", "/_sim/checkout", json=CHECKOUT).status_code == 201
        assert mock.admin().status_code == 503
        stats = target.request("GET", "/_mock/stats").json()
        assert stats["webhooks"]["queued"] == 1 and stats["faults"]["admin_down"] == 1
        target.advance(7200)
        assert len(mock.admin().json()["orders"]) == 1

    def test_an_outage_spares_only_the_control_routes(self, mock: Mock) -> None:
        mock.plan({"kind": "outage", "status": 502})
        assert mock.target.request("POST", "/_sim/checkout", json=CHECKOUT).status_code == 502
        assert mock.admin().status_code == 502
        assert mock.target.request("GET", "/_mock/state").status_code == 200

    def test_a_bad_plan_names_the_rule_the_field_and_the_reason(self, mock: Mock) -> None:
        rules = [{"kind": "reset"}, {"kind": "error", "statuses": [503], "weights": [1, 2]}]
        r = mock.target.request("PUT", "/_mock/faults", json={"rules": rules})
        assert r.status_code == 422
        assert r.json()["errors"] == [
            {"rule": 1, "field": "weights", "reason": "needs one weight per status (1), got 2"}
        ]
        r = mock.target.request("POST", "/_mock/faults", content=b"not json")
        assert r.status_code == 400
        assert mock.faults()["rules"] == []

    def test_reset_clears_the_plan_and_its_history(self, mock: Mock) -> None:
        mock.plan({"kind": "error", "statuses": [500]})
        assert mock.admin().status_code == 500
        mock.target.reset()
        shown = mock.faults()
        assert (shown["rules"], shown["injected"]) == ([], 0)
        assert mock.admin().status_code == 200


class TestShopifyFaults(FaultContract):
    @pytest.fixture
    def mock(self, shopify: Target) -> Mock:
        return Mock(
            target=shopify,
            api="/admin/api/2026-01",
            auth={"X-Shopify-Access-Token": shopify.credentials["access_token"]},
            throttled={
                "errors": "Exceeded 2 calls per second for api client. "
                "Reduce request rates to resume uninterrupted service."
            },
        )


class TestShoplineFaults(FaultContract):
    @pytest.fixture
    def mock(self, shopline: Target) -> Mock:
        return Mock(
            target=shopline,
            api="/admin/openapi/v20250301",
            auth={"Authorization": f"Bearer {shopline.credentials['access_token']}"},
            throttled={"errors": "Too many request"},
        )

    def test_revoked_token_is_refused_and_a_rotation_gives_a_working_one(self, mock: Mock) -> None:
        target = mock.target
        mock.plan({"kind": "revoke_token", "start": 60})
        assert mock.admin().status_code == 200
        target.advance(60)
        try:
            r = mock.admin()
            assert (r.status_code, r.json()) == (401, {"errors": "Invalid access token"})
            fresh = target.request("POST", "/_mock/token", json={}).json()["access_token"]
            auth = {"Authorization": f"Bearer {fresh}"}
            assert target.request("GET", f"{mock.api}/orders.json", headers=auth).status_code == 200
        finally:  # tokens outlive /_mock/reset: give the next test its credential back
            original = {"access_token": target.credentials["access_token"]}
            target.request("POST", "/_mock/token", json=original).raise_for_status()

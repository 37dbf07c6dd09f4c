"""The shared fault plan on Shopware and Fulfil (in-process and live): injected statuses speak
each platform's language, and a revoked credential is refused until a new one is issued."""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import Target


def _plan(target: Target, *rules: dict[str, Any]) -> None:
    r = target.request("PUT", "/_mock/faults", json={"rules": list(rules)})
    assert r.status_code == 200, r.text


def _shopware_token(target: Target) -> dict[str, str]:
    creds = target.credentials
    r = target.request(
        "POST",
        "/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": creds["client_id"],
            "client_secret": creds["client_secret"],
        },
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_shopware_outage_answers_shopwares_error_body(shopware: Target) -> None:
    auth = _shopware_token(shopware)
    _plan(shopware, {"kind": "outage", "start": 0, "end": 60})
    r = shopware.request("GET", "/api/product", headers=auth)
    assert r.status_code == 503
    (error,) = r.json()["errors"]
    assert error["status"] == "503"  # a string, as Shopware writes it
    shopware.advance(60)
    assert shopware.request("GET", "/api/product", headers=auth).status_code == 200


def test_shopware_revoked_token_is_refused_and_a_new_one_works(shopware: Target) -> None:
    auth = _shopware_token(shopware)
    _plan(shopware, {"kind": "revoke_token", "start": 0})
    assert shopware.request("GET", "/api/product", headers=auth).status_code == 401
    assert (
        shopware.request("GET", "/api/product", headers=_shopware_token(shopware)).status_code
        == 200
    )


def test_fulfil_error_burst_carries_a_sentry_id(fulfil: Target) -> None:
    key = {"x-api-key": fulfil.credentials["api_key"]}
    _plan(fulfil, {"kind": "error", "statuses": [502], "start": 0, "end": 10})
    r = fulfil.request("GET", "/api/v2/model/product.product", headers=key)
    assert r.status_code == 502 and r.headers.get("X-Sentry-ID")
    fulfil.advance(10)
    assert fulfil.request("GET", "/api/v2/model/product.product", headers=key).status_code == 200


def test_fulfil_revoked_key_is_refused(fulfil: Target) -> None:
    key = {"x-api-key": fulfil.credentials["api_key"]}
    _plan(fulfil, {"kind": "revoke_token", "start": 0})
    r = fulfil.request("GET", "/api/v2/model/product.product", headers=key)
    assert r.status_code == 401 and r.json()["type"] == "AuthenticationError"

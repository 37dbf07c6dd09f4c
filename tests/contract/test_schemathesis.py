"""Schemathesis against every mock's and the engine's OpenAPI schema: zero 5xx.

Each app runs in process (schemathesis's ASGI transport) on a virtual clock, seeded with a
small catalogue, with limits raised so generated cases reach the handlers instead of 429s,
and with valid credentials sent as headers so requests get past auth. The app's own
``/openapi.json`` is completed by :mod:`tests.contract.openapi_supplement` (bodies, query
parameters, path segments, the 4xx error object). Every operation gets positive and negative
cases; every response must not be a 5xx and must conform to the schema where it is precise.

Bounded for CI: ``REHEARSAL_SCHEMATHESIS_EXAMPLES`` cases per operation and mode (default 3;
set it to e.g. 200 for a long run). The bounded run is derandomised, so a CI failure
reproduces locally; a long run draws new cases each time (every failure names its operation
and a curl command that reproduces it).
A control-plane write (``/_mock``, ``/_sim``) may reset, rotate or advance anything, so the
app is rebuilt after each one.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from mocks.serve import build_app
from tests.contract import openapi_supplement
from tests.contract.conftest import CREDENTIALS, START

EXAMPLES = int(os.environ.get("REHEARSAL_SCHEMATHESIS_EXAMPLES", "3"))
LONG_RUN = "REHEARSAL_SCHEMATHESIS_EXAMPLES" in os.environ
CHECKS = [not_a_server_error, response_schema_conformance]

#: Limits high enough that a run of generated cases is never refused for rate alone.
SETTINGS: dict[str, dict[str, Any]] = {
    "shopify": {"bucket_size": 1_000_000, "graphql": {"bucket_size": 10_000_000}},
    "shopline": {"bucket_size": 1_000_000},
    "shopware": {"oauth_rate_limit": 1_000_000},
    "fulfil": {"requests_per_minute": 1_000_000},
    "erp": {"write_latency_median": 0, "read_latency_median": 0, "concurrency_limit": 1000},
}

SEEDS: dict[str, dict[str, Any]] = {
    "shopify": {
        "locations": [{"name": "WH"}],
        "products": [
            {"sku": f"S-{i}", "title": f"P{i}", "price": "12.50", "inventory": {"WH": 10}}
            for i in range(3)
        ],
    },
    "shopline": {
        "locations": [{"name": "WH"}],
        "products": [
            {"sku": "TEE", "title": "Tee", "price": "19.99", "inventory": {"WH": 20}},
            {"sku": "TEE", "title": "Tee (outlet)", "price": "12.00", "inventory": {"WH": 4}},
        ],
    },
    "shopware": {
        "products": [
            {"productNumber": "TEE", "name": "Tee", "stock": 10, "price": "19.99"},
            {"productNumber": "CAP", "name": "Cap", "stock": 4, "price": "7.35"},
        ],
        "promotions": [{"code": "FLASH10", "name": "Flash sale", "value": "10"}],
    },
    "fulfil": {
        "warehouses": [{"name": "Main", "code": "MAIN"}],
        "products": [
            {"code": "SKU1", "name": "Tee", "list_price": "19.99", "stock": {"MAIN": 10}},
        ],
        "parties": [{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15550001"}],
    },
    "erp": {
        "locations": [{"id": "1", "name": "WH"}],
        "items": [{"sku": "A", "on_hand": {"1": 5}}, {"sku": "B", "on_hand": {"1": 1}}],
    },
}


#: One order placed before fuzzing, so order routes have a record to act on.
ORDERS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "shopify": ("POST", "/_sim/checkout", {"lines": [{"sku": "S-0", "quantity": 2}]}),
    "shopline": ("POST", "/_sim/checkout", {"lines": [{"sku": "TEE", "quantity": 2}]}),
    "shopware": ("POST", "/_sim/checkout", {"lines": [{"productNumber": "TEE", "quantity": 2}]}),
    "erp": (
        "PUT",
        "/services/rest/record/v1/salesOrder/eid:shopify-1",
        {
            "entity": {"externalId": "c1"},
            "location": {"id": "1"},
            "item": {"items": [{"item": {"externalId": "A"}, "quantity": 2, "rate": "9.99"}]},
        },
    ),
}


def _known(platform: str, response: httpx.Response) -> dict[str, list[Any]]:
    """Path segment → ids of the order :data:`ORDERS` placed."""
    if platform == "erp":
        internal = response.headers["location"].rsplit("/", 1)[-1]
        return {"ref": ["eid:shopify-1", "eid:shopify-2", internal]}
    order_id = response.json()["order"]["id"]
    if platform == "shopware":
        return {"order_id": [order_id], "record_id": [order_id], "entity_id": [order_id]}
    return {"order_id": [order_id]}


@dataclass
class Subject:
    """One app under test, its completed schema and the headers that get past its auth."""

    app: Any
    schema: Any
    headers: dict[str, str]


def _request(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        # A crash comes back as the 500 a client would see, not as the app's exception.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(send())


def _auth(platform: str, app: Any) -> dict[str, str]:
    creds = CREDENTIALS[platform]
    if platform == "shopify":
        return {"X-Shopify-Access-Token": creds["access_token"]}
    if platform in ("shopline", "erp"):
        return {"Authorization": f"Bearer {creds['access_token']}"}
    if platform == "fulfil":
        return {"x-api-key": creds["api_key"]}
    body = {
        "grant_type": "client_credentials",
        "client_id": creds["client_id"],
        "client_secret": creds["client_secret"],
    }
    r = _request(app, "POST", "/api/oauth/token", json=body)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _mock(platform: str) -> Subject:
    config = {
        "clock": {"virtual": True, "start": START},
        "seed": 3,
        "settings": SETTINGS[platform],
        "credentials": CREDENTIALS[platform],
    }
    app = build_app(platform, config)
    r = _request(app, "POST", "/_mock/seed", json=SEEDS[platform])
    assert r.status_code == 200, r.text
    headers = _auth(platform, app)
    known: dict[str, list[Any]] = {}
    if platform in ORDERS:
        method, path, body = ORDERS[platform]
        r = _request(app, method, path, json=body, headers=headers)
        assert r.status_code in (201, 204), r.text
        known = _known(platform, r)
    return _subject(platform, app, headers, known)


def _engine() -> Subject:
    from tests.harness import build

    async def make() -> Any:
        workdir = Path(tempfile.mkdtemp(prefix="rehearsal-schemathesis-"))
        system = await build(skus={"A": 5, "B": 1}, workdir=workdir)
        return system.engine_app

    return _subject("engine", asyncio.run(make()), {})


def _subject(
    platform: str, app: Any, headers: dict[str, str], known: dict[str, list[Any]] | None = None
) -> Subject:
    raw = _request(app, "GET", "/openapi.json")
    assert raw.status_code == 200, f"{platform}: /openapi.json answered {raw.status_code}"
    schema = schemathesis.openapi.from_dict(
        openapi_supplement.complete(raw.json(), platform, known)
    )
    schema.app = app
    return Subject(app, schema, headers)


BUILDERS: dict[str, Callable[[], Subject]] = {
    "shopify": lambda: _mock("shopify"),
    "shopline": lambda: _mock("shopline"),
    "shopware": lambda: _mock("shopware"),
    "fulfil": lambda: _mock("fulfil"),
    "erp": lambda: _mock("erp"),
    "engine": _engine,
}


def _fuzz(subject: Subject, operation: Any) -> str | None:
    """Run one operation's cases; the first failure's report, or None."""
    strategy = st.one_of(
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        database=None,
        derandomize=not LONG_RUN,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],  # no shrinking: keeps CI bounded
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(headers=subject.headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # check failures (a group) or an app error
        return f"{operation.label}: {exc}"
    return None


# Shopware's and Fulfil's mocks serve one handler on two methods (POST and PUT, or both
# spellings of a path), for which FastAPI warns of a duplicate operationId. Schemathesis names
# operations by method and path, so the duplicate costs nothing here.
@pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")
@pytest.mark.parametrize("app_name", list(BUILDERS))
def test_no_5xx_and_responses_conform(app_name: str) -> None:
    subject = BUILDERS[app_name]()
    operations = _operations(subject)
    assert len(operations) >= 5, f"{app_name}: its schema lists almost nothing"
    failures: list[str] = []
    for label in list(operations):
        operation = operations[label]
        failure = _fuzz(subject, operation)
        if failure is not None:
            failures.append(failure)
        if operation.method.lower() != "get" and operation.path.startswith(("/_mock", "/_sim")):
            subject = BUILDERS[app_name]()
            operations = _operations(subject)
    assert not failures, f"{len(failures)} failing operations:\n\n" + "\n\n".join(failures)


def _operations(subject: Subject) -> dict[str, Any]:
    return {op.label: op for op in (r.ok() for r in subject.schema.get_all_operations())}


def test_the_harness_reports_a_5xx_and_a_4xx_that_is_not_an_error_object() -> None:
    """The checks above can fail: a handler that crashes on some body, and one whose 4xx is
    not the platform's error object, are both reported with their operation."""
    app = FastAPI()

    @app.post("/crash")
    async def crash(request: Request) -> JSONResponse:
        body = await request.body()
        if body.strip() not in (b"", b"{}"):
            raise RuntimeError("unhandled input")
        return JSONResponse({"ok": True})

    @app.get("/things/{thing}")
    async def thing(thing: str) -> JSONResponse:
        return JSONResponse(["not", "an", "error", "object"], status_code=404)

    subject = _subject("toy", app, {})
    operations = _operations(subject)
    crashed = _fuzz(subject, operations["POST /crash"])
    assert crashed is not None and "POST /crash" in crashed
    assert "500" in crashed or "unhandled input" in crashed
    shapeless = _fuzz(subject, operations["GET /things/{thing}"])
    assert shapeless is not None and "GET /things/{thing}" in shapeless


#: JSON that hypothesis never generates (it cannot encode a lone surrogate, and keeps nesting
#: shallow) but a client can send: it once made every mock answer 500.
HOSTILE = [b"[" * 5000 + b"]" * 5000, b'{"\\ud800": 1}', b"\xff\xfe not utf-8", b'{"a": NaN}']


def _concrete(path: str, parameters: list[dict[str, Any]]) -> str:
    for p in parameters:
        if p.get("in") == "path":
            enum = p.get("schema", {}).get("enum")
            value = enum[0] if enum else "1"
            path = path.replace("{" + p["name"] + "}", str(value))
    return path


@pytest.mark.filterwarnings("ignore:Duplicate Operation ID:UserWarning")
@pytest.mark.parametrize("app_name", list(BUILDERS))
def test_hostile_json_bodies_are_a_4xx_on_every_write_route(app_name: str) -> None:
    subject = BUILDERS[app_name]()
    failures = []
    for operation in _operations(subject).values():
        method = operation.method.lower()
        if method not in ("post", "put", "patch") or operation.path == "/_mock/reset":
            continue
        path = _concrete(operation.path, operation.definition.raw.get("parameters", []))
        for body in HOSTILE:
            headers = {**subject.headers, "content-type": "application/json"}
            r = _request(subject.app, method.upper(), path, content=body, headers=headers)
            if r.status_code >= 500:
                failures.append(f"{method.upper()} {path} {body[:20]!r}: {r.status_code}")
    assert not failures, "\n".join(failures)

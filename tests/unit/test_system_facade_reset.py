"""A reused :class:`~tests.system_facade.MockSet` is as fresh as a new one (no state leaks).

The state machine resets one set of mock apps between examples instead of building new ones.
These tests dirty a set the way examples do (orders, refunds, webhooks captured and pending,
a fault plan with a hang, Shopware tokens issued then the clock past their expiry, an engine
crash mid-sync, a step left running), then build a facade on it and compare it with a facade
on a set built from scratch: every object reachable from each app's ``state`` (catalogue,
orders, outbox, tokens, fault plan, limiters, random generators) must be equal, and so must
the clock and the captured webhooks. The only allowed differences are an outbox's lazily
built HTTP plumbing and its tie-break counters, which hold no state an example can observe.
"""

from __future__ import annotations

import asyncio
import enum
import itertools
import random
import types
from collections import deque
from collections.abc import Iterator
from typing import Any

import pytest

from tests.system_facade import ADMIN, START, SystemFacade

SKUS = {"SKU-0001": 4, "SKU-0002": 3}
PLUMBING = {"_client", "_semaphore", "_seq", "_generation"}
"""WebhookOutbox attributes that are lazy plumbing (an httpx client, a semaphore) or counters
that only order heap entries and tell stale attempts apart."""
OPAQUE = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    type,
    types.ModuleType,
    asyncio.AbstractEventLoop,
    itertools.count,
)


def differences(a: Any, b: Any, path: str = "", seen: set[int] | None = None) -> Iterator[str]:
    """Paths where two object graphs differ (values, types, sizes, random generator states)."""
    seen = set() if seen is None else seen
    if id(a) in seen or isinstance(a, OPAQUE):
        return
    seen.add(id(a))
    if type(a) is not type(b):
        yield f"{path}: {type(a).__name__} vs {type(b).__name__}"
    elif isinstance(a, random.Random):
        if a.getstate() != b.getstate():
            yield f"{path}: random generator state"
    elif a is None or isinstance(a, (int, float, str, bytes, enum.Enum)):
        if a != b:
            yield f"{path}: {a!r:.80} vs {b!r:.80}"
    elif isinstance(a, dict):
        if [repr(k) for k in a] != [repr(k) for k in b]:
            yield f"{path}: keys {sorted(map(repr, a))[:6]} vs {sorted(map(repr, b))[:6]}"
            return
        for (key, x), y in zip(a.items(), b.values(), strict=True):
            if key not in PLUMBING:
                yield from differences(x, y, f"{path}[{key!r}]", seen)
    elif isinstance(a, (list, tuple, deque)):
        if len(a) != len(b):
            yield f"{path}: {len(a)} vs {len(b)} items"
            return
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, f"{path}[{i}]", seen)
    elif isinstance(a, (set, frozenset)):
        if a != b:
            yield f"{path}: sets differ"
    elif hasattr(a, "__dict__"):
        yield from differences(vars(a), vars(b), path, seen)
    else:
        for slot in getattr(type(a), "__slots__", ()):
            yield from differences(getattr(a, slot, None), getattr(b, slot, None), path, seen)


def dirty(system: SystemFacade) -> None:
    """Leave behind what examples leave: records, hooks, faults, tokens, a crash, a clock."""
    for channel, key in (("shopify", "sku"), ("shopware", "productNumber")):
        r = system.request(
            channel,
            "POST",
            "/_sim/checkout",
            json={"lines": [{key: "SKU-0001", "quantity": 1}], "email": "a@example.com"},
        )
        assert r.status_code == 201, r.text
    order = system.state("shopify")["orders"][0]["id"]
    system.request("shopify", "POST", f"{ADMIN}/orders/{order}/cancel.json", json={"restock": True})
    system.request(
        "erp", "POST", "/_sim/stock-movement",
        json={"sku": "SKU-0002", "location_id": "1", "delta": 5, "reason": "receipt"},
    )  # fmt: skip
    system.sync_orders()
    system.flush_outboxes()
    system.deliver(system.hooks[:1])
    for name, rule in (
        ("erp", {"kind": "hang", "end": 900}),
        ("shopify", {"kind": "error", "statuses": [503], "probability": 0.5, "end": 900}),
        ("shopware", {"kind": "revoke_token", "end": 900}),
    ):
        r = system.request(name, "POST", "/_mock/faults", json={"rules": [rule]})
        assert r.status_code == 200, r.text
    system.request("shopify", "GET", f"{ADMIN}/orders.json")
    system.clock.advance(700)
    system.crash(after_steps=3)
    system.clock.advance(45)
    assert system.hooks, "the dirtying left no captured webhook behind"


@pytest.fixture
def pair() -> Iterator[tuple[SystemFacade, SystemFacade]]:
    """A facade on a dirtied, reused set and one on a set built from scratch."""
    used = SystemFacade(skus=SKUS, buffer=1)
    dirty(used)
    used.close()
    reused = SystemFacade(skus=SKUS, buffer=1)
    fresh = SystemFacade(skus=SKUS, buffer=1, fresh=True)
    yield reused, fresh
    reused.close()
    fresh.close()


def test_a_reset_set_equals_a_new_one(pair: tuple[SystemFacade, SystemFacade]) -> None:
    reused, fresh = pair
    assert reused.mocks is not fresh.mocks
    for name in ("shopify", "shopware", "erp"):
        found = list(differences(reused.apps[name].state, fresh.apps[name].state, name))
        assert not found, "\n".join(found)
    assert reused.clock.now() == fresh.clock.now() > START  # the engine's start took time
    assert (reused.clock.slept, reused.clock._sleepers) == (fresh.clock.slept, [])
    assert reused.hooks == fresh.hooks
    assert not [t for t in asyncio.all_tasks(reused.loop) if not t.done()]


def test_a_reset_set_behaves_like_a_new_one(pair: tuple[SystemFacade, SystemFacade]) -> None:
    """The same steps give the same ground truth, ids and webhooks included."""
    for system in pair:
        dirty(system)
        system.quiesce()
    reused, fresh = pair
    for name in ("shopify", "shopware", "erp"):
        assert reused.state(name) == fresh.state(name), name
    assert [(h.channel, h.body) for h in reused.hooks] == [(h.channel, h.body) for h in fresh.hooks]
    assert reused.findings() == fresh.findings()


def test_the_differences_walker_sees_a_leak() -> None:
    """The comparison is not vacuous: one order left in a model is reported."""
    left = SystemFacade(skus=SKUS, buffer=1, fresh=True)
    right = SystemFacade(skus=SKUS, buffer=1, fresh=True)
    try:
        r = left.request(
            "shopify", "POST", "/_sim/checkout",
            json={"lines": [{"sku": "SKU-0001", "quantity": 1}], "email": "a@example.com"},
        )  # fmt: skip
        assert r.status_code == 201
        found = list(differences(left.apps["shopify"].state, right.apps["shopify"].state))
        assert any("orders" in line for line in found), found
        rng = right.apps["shopware"].state.model.ids._rng
        rng.random()
        found = list(differences(left.apps["shopware"].state, right.apps["shopware"].state))
        assert any("random generator" in line for line in found), found
    finally:
        left.close()
        right.close()

"""No loss and no duplicates, whatever happens to the webhooks (in-process, virtual clock)."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from tests.harness import build

SKUS = {f"SKU-{i}": 6 for i in range(1, 5)}

baskets = st.lists(
    st.lists(
        st.tuples(st.sampled_from(sorted(SKUS)), st.integers(min_value=1, max_value=3)),
        min_size=1,
        max_size=3,
        unique_by=lambda line: line[0],
    ),
    min_size=1,
    max_size=12,
)
fates = st.lists(st.sampled_from(["deliver", "duplicate", "drop"]), min_size=12, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets=baskets, fates=fates, order_seed=st.randoms(use_true_random=False))
def test_every_accepted_order_reaches_the_erp_exactly_once(baskets, fates, order_seed) -> None:
    async def scenario() -> None:
        # ERP concurrency 2 while the engine starts at 4: rejections and retries happen too.
        system = await build(skus=SKUS, erp_settings={"concurrency_limit": 2})
        accepted = 0
        for basket in baskets:
            lines = [{"sku": sku, "quantity": qty} for sku, qty in basket]
            status = await system.checkout(lines)
            accepted += status == 201
            note(f"checkout {lines} -> {status}")
        hooks = await system.flush_webhooks()
        deliveries = []
        for hook, fate in zip(hooks, fates, strict=False):
            note(f"webhook {hook.headers['x-shopify-webhook-id'][:8]}: {fate}")
            if fate != "drop":
                deliveries.append(hook)
            if fate == "duplicate":
                deliveries.append(hook)
        order_seed.shuffle(deliveries)
        for hook in deliveries:
            assert (await system.deliver(hook)).status_code == 200
        await system.engine.poller.poll_once()  # catches the dropped ones
        await system.engine.orders.drain()
        findings = await system.findings()
        note(str(findings))
        assert findings.orders_accepted == accepted
        assert findings.lost == 0
        assert findings.duplicated == 0
        assert findings.amount_drift == 0
        assert findings.oversold_units == 0
        await system.engine.stop()

    asyncio.run(scenario())

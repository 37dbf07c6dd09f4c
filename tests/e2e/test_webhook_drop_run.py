"""End to end, the six-week incident compressed: a fifth of the order webhooks are dropped and
the poller is off, so only reconciliation (scheduled inside the engine) can find the missing
orders. The run must end with every one of them in the ERP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.test_multi_channel_run import assert_clean, rehearse

pytestmark = pytest.mark.e2e


def test_every_order_whose_webhook_was_dropped_is_found_and_repaired(tmp_path: Path) -> None:
    code, summary, output, results = rehearse(tmp_path, "webhook-drop-smoke")
    dropped = json.loads((results / "shopify_state.json").read_text())["stats"]["webhooks"][
        "dropped"
    ]
    assert dropped > 0.1 * summary["orders"]["accepted"]  # the fault really bit
    assert summary["engine"]["poller"]["recovered"] == 0  # nothing but reconciliation looked back
    assert_clean(summary, code, output)  # lost 0: every dropped order was found and repaired
    assert summary["reconciliation"]["drift"] == 0  # and the end-of-run pass finds none left

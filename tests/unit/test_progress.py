"""The live line and the plain progress lines a run prints (no terminal needed)."""

from __future__ import annotations

from scenarios.progress import RunProgress, live_line

ROW = {
    "accepted": 120,
    "sales_orders": 100,
    "backlog": 20,
    "shopify_429": 3,
    "shopware_429": 1,
    "erp_rejected": 7,
    "stock_drift_units": 4,
    "engine_up": True,
}


def test_live_line_carries_the_key_numbers() -> None:
    line = live_line(ROW, channels=["shopify", "shopware"], back_office="erp")
    assert line == (
        "accepted 120 · synced 100 · backlog 20 · 429s 4 · erp refusals 7 · stock drift 4"
    )
    down = live_line(
        {**ROW, "engine_up": False, "stock_drift_units": None}, channels=[], back_office="erp"
    )
    assert "ENGINE DOWN" in down and "stock drift" not in down


def test_plain_progress_prints_a_line_at_most_every_few_seconds() -> None:
    printed: list[str] = []
    progress = RunProgress(
        duration=120,
        drain_timeout=600,
        channels=["shopify"],
        back_office="erp",
        echo=printed.append,
        interactive=False,
    )
    for t in range(10):
        progress.update("load", float(t), ROW)
    progress.update("drain", 3.0, ROW)
    progress.close()
    # The first sample of each phase prints; the rest within the same wall seconds do not.
    assert len(printed) == 2
    assert printed[0].startswith("  [load     0/120 sim s] accepted 120")
    assert printed[1].startswith("  [drain     3/600 sim s]")

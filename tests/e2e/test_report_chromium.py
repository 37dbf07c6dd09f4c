"""report.html opened in headless Chromium (Playwright's sync API): the page renders with no
console error and no network fetch, every plot image decodes, the verdict table has one row
per SLO; a screenshot is left next to the report.

``check_report_in_chromium`` is also called on the report of a real run by
``tests/e2e/test_rehearsal_run.py`` (one run serves both). Skipped, with the reason, only when
no Chromium is installed (``.ci/run`` installs Debian's and exports ``REHEARSAL_CHROMIUM``).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from scenarios.report import write_outputs
from tests.unit.test_report_html import findings, samples, scenario, summary_of

pytestmark = pytest.mark.e2e

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """``REHEARSAL_CHROMIUM``, else a ``chromium`` on PATH (Debian's ``/usr/bin/chromium``)."""
    given = os.environ.get("REHEARSAL_CHROMIUM")
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def check_report_in_chromium(folder: Path) -> dict[str, Any]:
    """Open ``folder/report.html`` in headless Chromium and assert it rendered as a reader
    sees it; leaves ``report.png`` (full page) in ``folder``. Returns what the page showed."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    summary = json.loads((folder / "summary.json").read_text())
    problems: list[str] = []
    fetched: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on(
                "console",
                lambda m: problems.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: fetched.append(r.url))
            page.goto((folder / "report.html").resolve().as_uri(), wait_until="load")
            shown = page.evaluate(
                """() => ({
                    title: document.title,
                    images: [...document.querySelectorAll('img.plot')].map(
                        i => ({complete: i.complete, width: i.naturalWidth, alt: i.alt})),
                    slos: [...document.querySelectorAll('table.slos tbody tr')].map(
                        r => r.dataset.slo),
                    verdict: document.querySelector('#verdict').innerText,
                    height: document.body.scrollHeight,
                })"""
            )
            page.screenshot(path=str(folder / "report.png"), full_page=True)
        finally:
            browser.close()
    assert shown["title"] == f"Rehearsal report: {summary['scenario']}"
    assert problems == []
    # Nothing but the file itself (plots are data: URIs, which are not fetched).
    assert [u for u in fetched if not u.startswith(("file:", "data:"))] == []
    assert len(shown["images"]) >= 3, shown["images"]
    for image in shown["images"]:
        assert image["complete"] and image["width"] > 0, image
    assert shown["slos"] == [s["name"] for s in summary["slos"]]
    assert summary["verdict"].upper() in shown["verdict"]
    assert (folder / "report.png").stat().st_size > 0
    return dict(shown)


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    """A report from the real summary functions (one lost order: a failing verdict)."""
    rows = samples()
    summary = summary_of(scenario(), findings(lost=True), rows)
    write_outputs(tmp_path, summary, rows)
    shown = check_report_in_chromium(tmp_path)
    assert "failed 2 of 12 checks" in shown["verdict"]
    assert {i["alt"] for i in shown["images"]} >= {
        "Backlog over time, by flow",
        "Throughput against each platform's rate limit",
        "Order → back office latency",
        "Oversold units per hot SKU",
        "Stock drift over time",
    }

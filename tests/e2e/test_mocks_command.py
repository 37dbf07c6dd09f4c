"""`rehearsal mocks`: mocks alone on loopback, their URLs and credentials in a file."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


def test_mocks_command_serves_seeded_authenticated_mocks_until_terminated(
    tmp_path: Path,
) -> None:
    out = tmp_path / "mocks.json"
    before = set(Path(tempfile.gettempdir()).glob("rehearsal-mocks-*"))
    log = tmp_path / "mocks.log"
    argv = [
        sys.executable,
        "-m",
        "scenarios.cli",
        "mocks",
        "--out",
        str(out),
        "--scenario",
        "flash-sale-smoke",
    ]
    with log.open("w") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60  # bounded wait for start-up, not a timing assertion
        while not out.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        info = json.loads(out.read_text())
        assert out.stat().st_mode & 0o077 == 0  # credentials: owner-only
        shop, erp = info["shopify"], info["erp"]
        assert shop["base_url"].startswith("http://127.0.0.1:")
        assert httpx.get(f"{shop['admin_api']}orders/count.json").status_code == 401
        ok = httpx.get(
            f"{shop['admin_api']}products.json",
            headers={"X-Shopify-Access-Token": shop["access_token"]},
        )
        assert ok.status_code == 200 and len(ok.json()["products"]) == 50  # default page
        assert httpx.get(f"{erp['record_api']}inventoryItem").status_code == 401
        items = httpx.get(
            f"{erp['record_api']}inventoryItem",
            headers={"Authorization": f"Bearer {erp['access_token']}"},
        )
        assert items.json()["totalResults"] == 100  # flash-sale-smoke's catalogue
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode == 0, log.read_text()
    assert set(Path(tempfile.gettempdir()).glob("rehearsal-mocks-*")) == before

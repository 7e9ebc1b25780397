"""The built-in KPI page in headless Chromium: it loads, renders charts from /v1/kpis, shows the right numbers.

The page is served by the real API app (uvicorn on a loopback port) with the chDB stand-in store. The
screenshot is saved under the test's tmp dir (and copied to docs/img/kpi-page.png with KEFU_UPDATE_SCREENSHOTS=1).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM_FLAGS, REPO, chromium, served
from tests.kpi_rows import NOW_HOUR, ROWS, TENANT_KEY, kpi_api

pytestmark = pytest.mark.slow  # a browser, a server and a store: ~13 s on 2 busy cores


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with kpi_api() as app, served(app) as url:
        yield url


def expected_tiles(tenant: str) -> dict[str, str]:
    """The page's totals, computed here from the rows as docs/kpis.md defines the rates."""
    rows = [r for r in ROWS if r["tenant_id"] == tenant and r["hour"] > NOW_HOUR - timedelta(hours=24)]
    s = {k: sum(r[k] for r in rows) for k in rows[0] if isinstance(rows[0][k], int)}
    weighted = [(r["latency_p95_ms"], r["bot_replies"]) for r in rows if r["latency_p95_ms"] is not None]
    p95 = sum(v * w for v, w in weighted) / sum(w for _, w in weighted)
    return {
        "volume": f"{s['customer_messages']:,}",
        "conversations": f"{s['conversations']:,}",
        "containment": f"{100 * s['contained_conversations'] / s['conversations']:.1f}%",
        "handoff_rate": f"{100 * s['handoffs'] / s['conversations']:.1f}%",
        "fcr": f"{100 * s['resolved_conversations'] / s['conversations']:.1f}%",
        "csat_mean": f"{s['csat_sum'] / s['csat_count']:.2f}",
        "latency_p95": f"{round(p95):,} ms",
        "negative_rate": f"{100 * s['negative_emotion'] / s['customer_messages']:.1f}%",
        "unknown_rate": f"{100 * s['unknown_intent'] / s['customer_messages']:.1f}%",
    }


def test_the_kpi_page_renders_charts_and_the_numbers_of_the_data(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    executable = chromium()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),  # a fresh profile
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            page = context.new_page()
            errors: list[Any] = []
            page.on("pageerror", lambda error: errors.append(error))  # noqa: PLW0108  # playwright rejects builtins
            page.goto(f"{server}/kpi#key={TENANT_KEY}")
            page.wait_for_selector('body[data-state="ready"]', timeout=20_000)

            shown = {
                kpi: page.inner_text(f'[data-kpi="{kpi}"] b') for kpi in expected_tiles("acme")
            }  # fmt: skip
            points = {
                chart: int(page.get_attribute(f"#chart-{chart}", "data-points") or 0)
                for chart in ("volume", "rates", "csat", "csat-dist", "latency", "quality")
            }
            drawn_lines = page.locator("#chart-volume polyline").count()
            tenant_options = page.eval_on_selector_all("#tenant option", "os => os.map(o => o.value)")
            assert "#key=" not in page.url, "the key must not stay in the address bar"
            screenshot = tmp_path / "kpi-page.png"
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()

    assert errors == []
    assert shown == expected_tiles("acme")
    assert tenant_options == ["acme"]  # a tenant's key offers its own tenant only
    assert points["volume"] > 0 and points["latency"] > 0 and points["csat-dist"] == 3
    assert drawn_lines >= 2  # messages and conversations over the two hours with data
    assert screenshot.stat().st_size > 10_000
    if os.environ.get("KEFU_UPDATE_SCREENSHOTS"):  # refresh the README picture on demand, not on every run
        (REPO / "docs" / "img").mkdir(parents=True, exist_ok=True)
        shutil.copyfile(screenshot, REPO / "docs" / "img" / "kpi-page.png")

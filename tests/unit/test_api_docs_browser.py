"""`GET /docs` renders the API's operations in headless Chromium with every request outside the API refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kefu.settings import Settings
from serving.api import create_api
from tests.browser import CHROMIUM_FLAGS, chromium, served
from tests.kpi_rows import KEYS

pytestmark = pytest.mark.slow  # a browser and a server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with served(create_api(Settings(), "127.0.0.1:9", f"mock://docs-{uuid.uuid4()}", KEYS)) as url:
        yield url


def test_the_api_docs_render_offline(server: str, tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    outside: list[str] = []

    def refuse_outside(route: Route) -> None:
        if route.request.url.startswith(server) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=chromium(), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = context.new_page()
            page.route("**/*", refuse_outside)
            page.goto(f"{server}/docs")
            page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI drew the operations
            paths = page.eval_on_selector_all(".opblock-summary-path", "ps => ps.map(p => p.dataset.path)")
        finally:
            context.close()
    assert outside == []  # FastAPI's default page loads Swagger UI from a CDN: blank without internet
    assert "/v1/events" in paths and "/v1/chat/completions" in paths

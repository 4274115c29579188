"""Real Chromium for the browser tests: Debian's /usr/bin/chromium through Playwright.

- :func:`launched`        a Chromium for a ``with`` block (the ``browser`` fixture in
                          tests/conftest.py is one per test module)
- :func:`new_page`        a page in a fresh context (``new_context`` options), for a ``with``
                          block
- :func:`shot`            keeps a full-page screenshot in the folder given, else in
                          ``$VARSEL_SHOTS`` when that is set
- :func:`axe_violations`  what axe-core (node_modules) finds on the page, one line each
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@contextmanager
def launched() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def new_page(browser: Browser, **options: Any) -> Iterator[Page]:
    """A page in a new browser context (its own cookies and storage), made with Playwright's
    ``new_context(**options)``; the context is closed after the ``with`` block."""
    context = browser.new_context(**options)
    try:
        yield context.new_page()
    finally:
        context.close()


def shot(page: Page, name: str, folder: Path | None = None) -> None:
    shots = folder or os.environ.get("VARSEL_SHOTS")
    if shots:
        Path(shots).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{shots}/{name}.png", full_page=True)


def axe_violations(page: Page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']} {[n['target'] for n in v['nodes']]}" for v in result]

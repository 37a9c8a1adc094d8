"""A real browser for tests: Playwright driving Debian's chromium, headless.

:func:`browser` is a module-scoped fixture (one chromium per test module);
:func:`opened` shows a local file with JavaScript off (a page must not need
it) and refuses every request that is not a ``file:`` URL (no asset may come
from the internet), saving a screenshot under build/screenshots/ when the
block fails.  ``GRADERS_SCREENSHOTS=DIR`` (``make screenshots``) asks tests to
write the README's pictures into DIR.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "build" / "screenshots"
README_SHOTS = os.environ.get("GRADERS_SCREENSHOTS")

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")


@pytest.fixture(scope="module")
def browser():
    """One headless chromium for the module."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            yield chromium
        finally:
            chromium.close()


@contextlib.contextmanager
def opened(browser, path: Path, name: str):
    """A page showing the file ``path`` (JavaScript off, only file: URLs); a screenshot if the block fails."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1100, "height": 800})
    remote: list[str] = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    tab = context.new_page()
    try:
        tab.goto(path.resolve().as_uri())
        yield tab, remote
    except BaseException:
        SHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        raise
    finally:
        context.close()

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from phaseviz.results import RunResults

from reportdata import CHROMIUM, CHROMIUM_ARGS, Offline, two_runs_results


@pytest.fixture
def two_runs() -> list[RunResults]:
    """Two runs whose l2 and entropy jump together, at different steps."""
    return two_runs_results()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium, driven by playwright.

    Module-scoped: playwright's sync API holds an event loop while it is
    open, which would clash with the asyncio tests of the terminal app.
    """
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def offline(browser) -> Iterator[Offline]:
    """A fresh offline browser context for file:// pages."""
    context = Offline(browser)
    yield context
    context.context.close()

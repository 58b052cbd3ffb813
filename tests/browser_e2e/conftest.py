"""Browser tests: Debian's Chromium driven by Playwright, against the service and sandbox on loopback.

Never downloads a browser: Chromium comes from `apt-get install chromium` (done by .ci/run), axe-core
from npm (package.json). Where either is missing the tests are skipped with the reason, or fail when
REQUIRE_BROWSER=1 (set by CI). Screenshots of every audited page, desktop and phone, are written under
test-artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from tests.stack import make_stack, stack  # noqa: F401  (fixtures)

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# Chromium's background services try the network at start-up; this machine has none.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update", "--disable-dev-shm-usage"]


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} and REQUIRE_BROWSER=1")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    if not AXE.exists():
        _unavailable("axe-core not installed (npm ci)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, request):
    context = chromium.new_context(viewport=DESKTOP, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.shots = Shots(page, request.node.name)
    yield page
    context.close()


class Shots:
    """Screenshots of each step, desktop and phone, for a reviewer to look at the journey."""

    def __init__(self, page, test_name: str) -> None:
        self.page = page
        self.folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name)
        shutil.rmtree(self.folder, ignore_errors=True)  # a previous run's steps would mix with this one's
        self.count = 0

    def take(self, step: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.count += 1
        name = f"{self.count:02d}-{re.sub(r'[^A-Za-z0-9_-]+', '_', step)}"
        size = self.page.viewport_size
        self.page.screenshot(path=str(self.folder / f"{name}-desktop.png"), full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.screenshot(path=str(self.folder / f"{name}-phone.png"), full_page=True)
        self.page.set_viewport_size(size)


def run_axe(page) -> list[dict]:
    """WCAG 2.1 A and AA violations on the current page (axe-core, evaluated outside the page's CSP)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(
        """async () => {
            const result = await axe.run(document, {runOnly: {type: "tag",
                values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}});
            return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5)}));
        }"""
    )


def overflows_horizontally(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth + 1")


def audit(page, step: str) -> None:
    """Zero axe violations, no horizontal scrolling at 320 px and at 200 % zoom, and screenshots."""
    violations = run_axe(page)
    assert not violations, f"{step}: " + "; ".join(f"{v['id']} ({v['help']}) at {v['targets']}" for v in violations)
    size = page.viewport_size
    # 320 CSS px is WCAG 1.4.10's reflow width; a 1280 px window at 200 % zoom is 640 CSS px wide.
    for width in (320, 640):
        page.set_viewport_size({"width": width, "height": 800})
        assert not overflows_horizontally(page), f"{step}: horizontal scrolling at {width} CSS px"
    page.set_viewport_size(size)
    page.shots.take(step)

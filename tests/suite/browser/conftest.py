"""The browser tier: the whole suite (tests/suite/conftest.py: as `make up` runs it, its own
PostgreSQL and broker, demo data, every service, the gateway serving the console), driven by
Playwright in Debian's chromium (Playwright cannot download its own browser here).

Screenshots of the pages visited are written to build/screenshots/ (not committed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

from devstack.catalogue import ROOT

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ROOT / "build" / "screenshots"
ADMIN_PASSWORD = "admin-demo-2026"
DEMO_PASSWORD = "demo-2026"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists() and (ROOT / "console" / "dist" / "index.html").exists():
        return
    # `make test` installs chromium and builds the console first; a bare pytest may not have.
    skip = pytest.mark.skip(reason="needs /usr/bin/chromium and console/dist (make test)")
    for item in items:
        if "tests/suite/browser" in str(item.fspath):
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture(scope="package")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        await browser.close()


@dataclass
class Tab:
    """A page with everything it logged as an error (console errors and uncaught exceptions)."""

    page: Page
    base: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    async def open(self, path: str) -> None:
        await self.page.goto(f"{self.base}/console{path}")

    async def sign_in(self, login: str, password: str = DEMO_PASSWORD) -> None:
        await self.open("/login")
        await self.page.fill("input[name=login]", login)
        await self.page.fill("input[name=password]", password)
        await self.page.click("[data-test=submit]")
        await self.page.wait_for_selector("[data-test=who]")

    async def settle(self) -> None:
        """Waits until no list or page is loading any more. ("networkidle" never comes: the
        console keeps the message stream open.)"""
        await self.page.wait_for_function(
            "() => ![...document.querySelectorAll('.el-loading-mask')]"
            ".some(e => e.offsetParent !== null)"
        )
        await self.page.wait_for_timeout(300)

    def errors_besides(self, *expected: str) -> list[str]:
        """The errors logged, except those containing one of `expected` (chromium logs every
        4xx answer, also the ones a test provokes on purpose)."""
        return [e for e in self.errors if not any(text in e for text in expected)]

    async def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@pytest.fixture
async def tab(
    browser: Browser, suite_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Tab]:
    context: BrowserContext = await browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = await context.new_page()
    opened = Tab(page, suite_url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            opened.errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))

    async def on_dialog(dialog):  # type: ignore[no-untyped-def]
        opened.dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", on_dialog)
    yield opened
    if request.node.stash.get(_FAILED, False):  # what the page showed when the test failed
        await opened.screenshot(f"failed-{request.node.name}")
        errors = SCREENSHOTS / f"failed-{request.node.name}.errors.txt"
        errors.write_text("\n".join(opened.errors))
    await context.close()

"""The console in a real browser: Debian's headless Chromium (`make setup` installs it), driven by Playwright's
Python package, against the console process the session's `deployment` starts with the other services.
Each page a test visits is saved as a PNG in tests/browser/screenshots/ (ignored by git)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

from siji_cli.services import Deployment
from siji_shared.auth import Role, issue_token

SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: `make setup` installs it (apt-get install chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable)
        yield browser
        await browser.close()


@dataclass
class Console:
    """One person's browser window on the console."""

    page: Page
    base: str

    async def open(self, path: str) -> None:
        await self.page.goto(f"{self.base}{path}")

    async def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        await self.page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


SignIn = Callable[..., Awaitable[Console]]


@pytest.fixture
async def sign_in(browser: Browser, deployment: Deployment) -> AsyncIterator[SignIn]:
    """`await sign_in(user, role)`: a fresh browser context that pastes the user's token on the sign-in page."""
    contexts: list[BrowserContext] = []

    async def signed_in(user: str, role: Role, region: str = "taicang") -> Console:
        context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        console = Console(await context.new_page(), deployment.url("console"))
        await console.open("/signin")
        token = issue_token(deployment.token_secret, user=user, role=role, region=region)
        await console.page.get_by_label("访问令牌").fill(token)
        await console.page.get_by_role("button", name="登录").click()
        await expect(console.page.get_by_test_id("who")).to_contain_text(user)
        return console

    yield signed_in
    for context in contexts:
        await context.close()

"""What the console's browser tests share: the console served on a free port over a module's
in-process platform, signing in as a role (a browser context each), screenshots, waiting for
a page to show what the pipeline brings. The one Chromium of the session is conftest's."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, expect

from console.app import create_app
from console.settings import ConsoleSettings
from tests.e2e.platform import Platform
from tests.infrastructure import ROOT, eventually

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "build" / "console-screenshots"
BROWSER_ERRORS: list[str] = []
"""A script or style the Content-Security-Policy refused, or a failed asset, on any page."""

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (install.sh)"
)


@contextlib.asynccontextmanager
async def serving_console(platform: Platform) -> AsyncIterator[str]:
    """The console on a port of its own, calling the in-process services."""
    settings = ConsoleSettings(deployment_mode="development")
    transports = {
        "procuratorate": httpx.ASGITransport(app=platform.procuratorate.app),
        "aid_center": httpx.ASGITransport(app=platform.aid_center.app),
        "notifier": httpx.ASGITransport(app=platform.notifier.app),
    }
    app = create_app(settings, transports=transports)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, timeout=20, what="the console to listen")
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def sign_in(
    browser: Browser, base: str, role: str, *, agency: str = "", lawyer_id: str = ""
) -> Page:
    context = await browser.new_context(base_url=base, locale="zh-CN")
    page = await context.new_page()
    # The 4xx pages a test asks for are not errors.
    page.on(
        "console",
        lambda message: (
            BROWSER_ERRORS.append(f"{page.url}: {message.text}")
            if message.type == "error" and "responded with a status of 4" not in message.text
            else None
        ),
    )
    await page.goto("/signin")
    await expect(page.get_by_role("note")).to_contain_text("开发模式")
    await page.get_by_label("角色").select_option(role)
    if agency:
        await page.get_by_label("所属单位").fill(agency)
    if lawyer_id:
        await page.get_by_label("律师名册编号").fill(lawyer_id)
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    return page


async def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def reload_until(page: Page, check: Callable[[], Any], what: str) -> None:
    async def ready() -> bool:
        await page.reload()
        return bool(await check())

    await eventually(ready, timeout=45, what=what)

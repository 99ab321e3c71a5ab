"""The console in headless Chromium against the real services, broker and database: each role
does its part of the workflow through the pages, and sees only what its token allows.

Screenshots of each main page go to build/console-screenshots/ (git-ignored)."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Browser, expect

from tests.e2e.platform import Platform, running_platform
from tests.infrastructure import eventually, operator

sys.path.insert(0, str(Path(__file__).parent))
from console_browser import (
    BROWSER_ERRORS,
    needs_chromium,
    reload_until,
    serving_console,
    shot,
    sign_in,
)

pytestmark = pytest.mark.integration

HEDONG = "天津市河东区人民检察院"
HEDONG_CENTER = "天津市河东区法律援助中心"


RECEIVED = datetime.now(UTC) - timedelta(days=2)
"""The case came two days ago: what the clerk records happened after it and before now (a time
outside is refused at the field)."""


def _at_the_desk(hours_after_receipt: int) -> str:
    """A ``datetime-local`` value, Tianjin time, that many hours after the receipt."""
    moment = RECEIVED + timedelta(hours=hours_after_receipt)
    return moment.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def _minor_case() -> dict[str, Any]:
    return {
        "received_at": RECEIVED.isoformat(),
        "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号",
        "transferring_agency": "天津市公安局河东分局",
        "transferring_agency_kind": "public_security",
        "procuratorate_unit": HEDONG,
        "district": "河东区",
        "charges": ["盗窃罪"],
        "suspects": [
            {
                "suspect_id": str(uuid.uuid4()),
                "name": "王小明",
                "birth_date": "2010-01-01",
                "gender": "male",
                "limited_capacity": False,
                "custody_status": "detained",
                "place_of_detention_or_residence": "天津市河东区看守所",
                "contacts": ["022-12345678"],
                "charges": ["盗窃罪"],
                "likely_sentence": "one_year_or_less",
                "pleads_guilty": True,
                "guardian": {"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
            }
        ],
        "major_and_complex": False,
        "social_impact": False,
        "prosecutor": {"name": "李检察官", "contact": "022-87654321"},
    }


async def _roster(platform: Platform) -> str:
    center = platform.aid_center.client
    firm = await center.post("/firms", json={"name": "天津甲律师事务所", "contact": "022-1"})
    assert firm.status_code == 201, firm.text
    lawyer = await center.post(
        "/lawyers",
        json={
            "firm_id": firm.json()["firm_id"],
            "name": "赵律师",
            "license_number": "11201200000001",
            "contact": "13900000001",
            "gender": "female",
            "criminal_practice_years": 6,
            "specialties": ["juvenile"],
            "max_concurrent_cases": 5,
        },
    )
    assert lawyer.status_code == 201, lawyer.text
    return str(lawyer.json()["lawyer_id"])


@needs_chromium
async def test_each_role_does_its_part_in_the_browser(
    service_settings: Callable[..., Any], chromium: Browser
) -> None:
    async with (
        running_platform(service_settings, "console") as platform,
        serving_console(platform) as base,
    ):
        browser = chromium
        lawyer_id = await _roster(platform)
        body = _minor_case()
        created = await platform.procuratorate.client.post("/cases", json=body)
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        await _clerk(browser, base, body["transfer_number"], case_id)
        await _aid_officer(browser, base)
        await _clerk_sees_the_defender(browser, base, case_id)
        await _lawyer(browser, base, lawyer_id, body["transfer_number"])
        await _operator(browser, base, platform)
        await _roles_see_only_their_own(browser, base, case_id)
        assert BROWSER_ERRORS == []


async def _clerk(browser: Browser, base: str, transfer_number: str, case_id: str) -> None:
    page = await sign_in(browser, base, "procuratorate_staff", agency=HEDONG)
    await expect(page.get_by_role("heading", name="今日工作")).to_be_visible()
    # Keyboard first: the first Tab reaches the skip link, which leads to the content.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
    # The minor not yet informed: the 3 days for the rights notification run.
    await expect(page.get_by_role("cell", name="告知诉讼权利（3日）")).to_be_visible()
    await shot(page, "procuratorate-today")

    await page.get_by_role("link", name="案件").click()
    await page.get_by_label("移送案号").fill(transfer_number)
    await page.get_by_role("button", name="查找").click()
    await expect(page).to_have_url(f"{base}/procuratorate/cases")  # no search terms in the URL
    await shot(page, "procuratorate-cases")
    await page.get_by_role("link", name=transfer_number).click()
    await expect(page.get_by_test_id("rights-notified")).to_have_text("尚未告知")

    # The API's refusal lands at the field its pointer names.
    rights = page.locator("details", has_text="记录权利告知")
    await rights.get_by_label("姓名").first.fill("")
    await rights.get_by_label("告知时间").fill(_at_the_desk(1))
    await rights.get_by_role("button", name="记录权利告知").click()
    name_field = rights.locator('[name="informed/0/name"]')
    await expect(name_field).to_have_attribute("aria-invalid", "true")
    await expect(rights.locator("#err-informed-0-name")).to_be_visible()
    await shot(page, "procuratorate-case-field-error")

    await name_field.fill("王小明")
    await rights.locator('[name="informed/1/role"]').select_option("guardian")
    await rights.locator('[name="informed/1/name"]').fill("王大明")
    await rights.get_by_label("告知时间").fill(_at_the_desk(1))
    await rights.get_by_role("button", name="记录权利告知").click()
    await expect(page.get_by_role("status")).to_have_text("已记录权利告知。")
    await expect(page.get_by_test_id("rights-notified")).to_contain_text("已告知")

    decision = page.locator("details", has_text="记录辩护决定")
    await decision.get_by_label("决定", exact=True).select_option("no_counsel")
    await decision.get_by_label("决定时间").fill(_at_the_desk(2))
    await decision.get_by_label("随函材料").fill("起诉意见书")
    await decision.get_by_role("button", name="记录辩护决定").click()
    await expect(page.get_by_role("status")).to_have_text("已记录辩护决定。")
    await expect(page.get_by_test_id("decision")).to_have_text("不自行委托")
    await expect(page.get_by_role("link", name="下载 DOCX")).to_be_visible()
    async with page.expect_download() as download:
        await page.get_by_role("link", name="下载 DOCX").click()
    assert (await download.value).suggested_filename.endswith(".docx")
    await shot(page, "procuratorate-case")

    await page.get_by_role("link", name="台账与统计").click()
    await expect(page.get_by_role("cell", name="王小明")).to_be_visible()
    await shot(page, "procuratorate-ledger")
    await page.context.close()


async def _clerk_sees_the_defender(browser: Browser, base: str, case_id: str) -> None:
    page = await sign_in(browser, base, "procuratorate_staff", agency=HEDONG)
    await page.goto(f"/procuratorate/cases/{case_id}")
    status = page.get_by_test_id("defense-status")
    await reload_until(
        page, lambda: _has_text(status, "通知辩护"), "the appointment to reach the procuratorate"
    )
    await expect(page.get_by_text("处理拒绝指派律师（第5条）")).to_be_visible()
    await expect(page.get_by_role("heading", name="程序决定（第10条）")).to_be_visible()
    await page.context.close()


async def _has_text(locator: Any, text: str) -> bool:
    return text in (await locator.inner_text())


async def _aid_officer(browser: Browser, base: str) -> None:
    page = await sign_in(browser, base, "aid_center_staff", agency=HEDONG_CENTER)
    link = page.get_by_role("link", name="津河东")
    await reload_until(page, link.count, "the notice to reach the aid center's queue")
    await shot(page, "aid-center-notices")
    await link.first.click()
    decision = page.get_by_test_id("decision")
    await reload_until(page, decision.count, "the engine's decision")
    await expect(decision).to_contain_text("选定律师：赵律师")
    await expect(page.get_by_test_id("notice-status")).to_have_text("已指派")
    await shot(page, "aid-center-notice")
    for name, label in (("aid-center-lawyers", "律师名册"), ("aid-center-stations", "值班工作站")):
        await page.get_by_role("link", name=label).click()
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        await shot(page, name)
    await expect(page.get_by_role("cell", name="赵律师")).to_have_count(0)
    await page.get_by_role("link", name="律师名册").click()
    await expect(page.get_by_role("cell", name="赵律师")).to_be_visible()
    await page.context.close()


async def _lawyer(browser: Browser, base: str, lawyer_id: str, transfer_number: str) -> None:
    page = await sign_in(browser, base, "lawyer", lawyer_id=lawyer_id)
    await expect(page.get_by_role("cell", name=transfer_number)).to_be_visible()
    await expect(page.get_by_test_id("review-deadline")).to_have_text(
        re.compile(r"\d{4}-\d{2}-\d{2}")
    )
    await shot(page, "lawyer-assignments")
    await page.get_by_role("link", name="查看与记录工作").first.click()
    await page.get_by_label("工作类别").select_option("meeting")
    await page.get_by_label("时长（分钟）").fill("90")
    await page.get_by_label("说明").fill("看守所会见")
    await page.get_by_role("button", name="记录").click()
    await expect(page.get_by_role("status")).to_have_text("已记录工作。")
    await expect(page.get_by_test_id("activities")).to_contain_text("会见")
    await expect(page.get_by_test_id("activities")).to_contain_text("看守所会见")
    # The procuratorate's procedural information, read with the lawyer's own token: who was
    # appointed by name, the letter that asked for it.
    await expect(page.get_by_test_id("appointed")).to_contain_text("赵律师（天津甲律师事务所）")
    await expect(page.get_by_test_id("case-notices")).to_contain_text("〔")
    await expect(page.get_by_test_id("case-info")).to_contain_text(transfer_number)
    await expect(page.get_by_test_id("case-info")).to_contain_text("未成年人")
    await expect(page.get_by_test_id("case-timeline")).to_contain_text("指派律师")
    await shot(page, "lawyer-assignment")
    await page.context.close()


async def _operator(browser: Browser, base: str, platform: Platform) -> None:
    service = platform.procuratorate
    consumer = service.runtime.consumer
    assert consumer is not None
    producer = AIOKafkaProducer(bootstrap_servers=service.settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(consumer.topics[0], b"\xff not json", key=b"garbage")
    finally:
        await producer.stop()

    async def filed() -> Any:
        letters = (
            await service.client.get("/ops/dead-letters", headers=operator(service.settings))
        ).json()["items"]
        return letters and letters[0]

    await eventually(filed, what="the procuratorate to dead-letter the garbage")
    letter = await filed()
    page = await sign_in(browser, base, "operator")
    await expect(page.get_by_role("heading", name="消费延迟")).to_be_visible()
    await expect(page.locator("svg.chart polyline").first).to_be_attached()
    # The panel refreshes itself (htmx, every 5 s) without a page load.
    async with page.expect_response(
        lambda r: r.url.endswith("/ops/lag/panel") and r.status == 200, timeout=15_000
    ):
        pass
    await expect(page.get_by_role("cell", name=consumer.topics[0]).first).to_be_visible()
    await shot(page, "ops-lag")
    await page.get_by_role("link", name="死信").click()
    row = page.get_by_test_id(f"dead-letter-procuratorate-{letter['id']}")
    await expect(row).to_contain_text("contract_violation")
    await shot(page, "ops-dead-letters")
    await row.get_by_role("button", name="重放").click()
    await expect(page.get_by_role("status")).to_contain_text(f"死信 {letter['id']}")
    await expect(row).to_contain_text("已重放")
    # A year is loaded at the procuratorate; the other two store it from its event. A
    # malformed date is refused at its field first.
    await page.get_by_role("link", name="法定日历").click()
    await page.get_by_label("年份").fill("2031")
    await page.get_by_label("法定节假日").fill("2031-01-01\n2031-13-01")
    await page.get_by_label("来源").fill("国务院办公厅通知")
    await page.get_by_role("button", name="载入").click()
    await expect(page.get_by_label("法定节假日")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("法定节假日").fill("2031-01-01\n2031-10-01")
    await page.get_by_role("button", name="载入").click()
    await expect(page.get_by_role("status")).to_contain_text("2031 年日历已在检察院服务载入")

    async def everywhere() -> bool:
        for running in (platform.procuratorate, platform.aid_center, platform.notifier):
            got = await running.client.get("/ops/calendar/2031", headers=operator(running.settings))
            if got.status_code != 200:
                return False
        return True

    await eventually(everywhere, what="the year to reach the three services")
    await page.reload()
    await expect(page.get_by_role("cell", name="2031", exact=True)).to_have_count(3)
    await shot(page, "ops-calendar")
    await page.get_by_role("link", name="服务就绪").click()
    await expect(page.get_by_text("就绪", exact=True)).to_have_count(4)
    await shot(page, "ops-readiness")
    await page.context.close()


async def _roles_see_only_their_own(browser: Browser, base: str, case_id: str) -> None:
    lawyer = await sign_in(browser, base, "lawyer", lawyer_id=str(uuid.uuid4()))
    response = await lawyer.goto("/procuratorate/cases")
    assert response is not None and response.status == 403
    await expect(lawyer.get_by_role("heading", name="无权访问")).to_be_visible()
    assert (await lawyer.goto("/ops/dead-letters")).status == 403  # type: ignore[union-attr]
    await lawyer.context.close()

    other_unit = await sign_in(
        browser, base, "procuratorate_staff", agency="天津市西青区人民检察院"
    )
    response = await other_unit.goto(f"/procuratorate/cases/{case_id}")
    assert response is not None and response.status == 404  # the API's answer, passed on
    await other_unit.goto("/procuratorate/today")
    await expect(other_unit.get_by_text("没有待办期限。")).to_be_visible()
    await other_unit.context.close()

    other_center = await sign_in(
        browser, base, "aid_center_staff", agency="天津市西青区法律援助中心"
    )
    await expect(other_center.get_by_role("cell", name="暂无。")).to_be_visible()
    await other_center.context.close()

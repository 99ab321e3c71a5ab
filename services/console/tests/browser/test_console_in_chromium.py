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


async def _lawyer_on_roster(platform: Platform, firm_id: str, **fields: Any) -> str:
    body = {
        "firm_id": firm_id,
        "contact": "13900000001",
        "gender": "female",
        "max_concurrent_cases": 5,
        **fields,
    }
    lawyer = await platform.aid_center.client.post("/lawyers", json=body)
    assert lawyer.status_code == 201, lawyer.text
    return str(lawyer.json()["lawyer_id"])


async def _firm(platform: Platform, name: str) -> str:
    firm = await platform.aid_center.client.post("/firms", json={"name": name, "contact": "022-1"})
    assert firm.status_code == 201, firm.text
    return str(firm.json()["firm_id"])


async def _roster(platform: Platform) -> dict[str, str]:
    """赵 (a juvenile specialist taking one case at a time) of one firm; 钱 (one year of
    practice: never for a possible life sentence) and 孙 (serving 西青区 only) of another; a
    duty-lawyer work station in 河东区."""
    first, second = (
        await _firm(platform, "天津甲律师事务所"),
        await _firm(platform, "天津乙律师事务所"),
    )
    lawyers = {
        "赵律师": await _lawyer_on_roster(
            platform,
            first,
            name="赵律师",
            license_number="11201200000001",
            criminal_practice_years=6,
            specialties=["juvenile"],
            max_concurrent_cases=1,
        ),
        "钱律师": await _lawyer_on_roster(
            platform,
            second,
            name="钱律师",
            license_number="11201200000002",
            criminal_practice_years=1,
        ),
        "孙律师": await _lawyer_on_roster(
            platform,
            second,
            name="孙律师",
            license_number="11201200000003",
            criminal_practice_years=8,
            districts=["西青区"],
        ),
    }
    station = await platform.aid_center.client.post(
        "/work-stations",
        json={
            "name": "河东区人民检察院法律援助工作站",
            "district": "河东区",
            "host_kind": "procuratorate",
            "host_name": HEDONG,
        },
    )
    assert station.status_code == 201, station.text
    # The district's subsidy standards: a claim opens at the standard in force when the
    # lawyer's work on the stage ends.
    for case_kind, amount in (("ordinary", 150000), ("major_or_complex", 300000)):
        standard = await platform.aid_center.client.post(
            "/subsidy-standards",
            json={
                "region": "河东区",
                "case_kind": case_kind,
                "valid_from": "2026-01-01",
                "amount_fen": amount,
            },
        )
        assert standard.status_code == 201, standard.text
    return lawyers


@needs_chromium
async def test_each_role_does_its_part_in_the_browser(
    service_settings: Callable[..., Any], chromium: Browser
) -> None:
    async with (
        running_platform(service_settings, "console") as platform,
        serving_console(platform) as base,
    ):
        browser = chromium
        lawyers = await _roster(platform)
        lawyer_id = lawyers["赵律师"]
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
        await _aid_officer_forms(browser, base, platform, case_id, lawyers)
        await _operator_edits_a_template(browser, base)
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
    # The assignment, and the same case among those the procuratorate has them defending in.
    await expect(page.get_by_role("cell", name=transfer_number).first).to_be_visible()
    await expect(page.get_by_test_id("defended-cases")).to_contain_text("王小明（通知辩护）")
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
    ready = page.get_by_text("就绪", exact=True)

    async def all_four() -> bool:
        return await ready.count() == 4  # the console and the three services

    # A service busy with the shared broker may answer 503 for a moment: the page tells it.
    await reload_until(page, all_four, "every service to report ready")
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


def _adult_facing_life(transfer_number: str) -> dict[str, Any]:
    """An adult in 河东区 who may be sentenced to life: only a lawyer of three years' practice
    or more (LAL Art. 26)."""
    body = _minor_case()
    suspect = body["suspects"][0]
    suspect.pop("guardian")
    body["transfer_number"] = transfer_number
    body["charges"] = suspect["charges"] = ["故意杀人罪"]
    body["suspects"] = [
        {
            **suspect,
            "suspect_id": str(uuid.uuid4()),
            "name": "李大壮",
            "birth_date": "1980-05-05",
            "likely_sentence": "life_or_death",
        }
    ]
    return body


async def _letter_for_an_adult(platform: Platform) -> str:
    """The procuratorate's part by its API: the case, the rights notification, the decision
    not to retain counsel (the letter goes to the center). Returns the case id."""
    procuratorate = platform.procuratorate.client
    body = _adult_facing_life(f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号")
    case = await procuratorate.post("/cases", json=body)
    assert case.status_code == 201, case.text
    case_id, suspect_id = case.json()["case_id"], body["suspects"][0]["suspect_id"]
    suspect_url = f"/cases/{case_id}/suspects/{suspect_id}"
    moment = {h: (RECEIVED + timedelta(hours=h)).isoformat() for h in (1, 2)}
    notified = await procuratorate.post(
        f"{suspect_url}/rights-notification",
        json={"informed": [{"role": "suspect", "name": "李大壮"}], "notified_at": moment[1]},
    )
    assert notified.status_code == 200, notified.text
    decided = await procuratorate.post(
        f"{suspect_url}/defense-decision",
        json={"choice": "no_counsel", "decided_at": moment[2], "materials": ["起诉意见书"]},
    )
    assert decided.status_code == 200, decided.text
    return str(case_id)


async def _application(platform: Platform) -> str:
    """An adult outside the mandatory scope whose father applies for legal aid (申请指派); the
    procuratorate forwards the application to the center. Returns the application id."""
    body = _minor_case()
    body["transfer_number"] = f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号"
    suspect = body["suspects"][0]
    suspect |= {"suspect_id": str(uuid.uuid4()), "name": "周大", "birth_date": "1990-01-01"}
    suspect.pop("guardian")
    case = await platform.procuratorate.client.post("/cases", json=body)
    assert case.status_code == 201, case.text
    applied = await platform.procuratorate.client.post(
        f"/cases/{case.json()['case_id']}/suspects/{suspect['suspect_id']}/defense-decision",
        json={
            "choice": "apply_for_legal_aid",
            "decided_by": "close_relative",
            "application": {
                "applicant_name": "周父",
                "relationship": "父亲",
                "contact": "13700000007",
                "economic_hardship_statement": "家庭收入微薄",
                "materials": ["法律援助申请表"],
            },
        },
    )
    assert applied.status_code == 200, applied.text
    return str(applied.json()["legal_aid_application_id"])


async def _duty_lawyer_requested(platform: Platform) -> str:
    """An adult outside the mandatory scope who retains no one: the procuratorate asks the
    center for a duty lawyer (Art. 15). Returns the case id."""
    body = _minor_case()
    body["transfer_number"] = f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号"
    suspect = body["suspects"][0]
    suspect |= {"suspect_id": str(uuid.uuid4()), "name": "吴二", "birth_date": "1992-02-02"}
    suspect.pop("guardian")
    case = await platform.procuratorate.client.post("/cases", json=body)
    assert case.status_code == 201, case.text
    case_id = case.json()["case_id"]
    decided = await platform.procuratorate.client.post(
        f"/cases/{case_id}/suspects/{suspect['suspect_id']}/defense-decision",
        json={"choice": "no_counsel"},
    )
    assert decided.status_code == 200, decided.text
    assert decided.json().get("duty_lawyer_request_id"), decided.text
    return str(case_id)


async def _notice_of(platform: Platform, case_id: str, status: str) -> str | None:
    found = await platform.aid_center.client.get("/notices", params={"case_id": case_id})
    items = found.json().get("items") or []
    return str(items[0]["notice_id"]) if items and items[0]["status"] == status else None


async def _aid_officer_forms(
    browser: Browser, base: str, platform: Platform, first_case: str, lawyers: dict[str, str]
) -> None:
    """The aid officer's forms, each result asserted on the page: a manual assignment the law
    refuses (its reason at the field) and one within the rules, a conflict report and a
    replacement, a quality review, the previous stage's lawyer, a leave and a duty shift."""
    # 赵 holds the minor's case (at capacity), 钱 lacks the years, 孙 serves another district:
    # the engine finds nobody for the adult, and staff may waive the district, not the law.
    second_case = await _letter_for_an_adult(platform)
    application_id = await _application(platform)
    found: dict[str, str | None] = {}

    async def unassignable() -> bool:
        found["second"] = await _notice_of(platform, second_case, "unassignable")
        return found["second"] is not None

    await eventually(unassignable, timeout=45, what="the adult's notice to be unassignable")
    first = await _notice_of(platform, first_case, "assigned")
    assert first is not None
    page = await sign_in(browser, base, "aid_center_staff", agency=HEDONG_CENTER)

    await page.goto(f"/aid-center/notices/{found['second']}")
    assign = page.locator("section", has=page.get_by_role("heading", name="指派律师", exact=True))
    await assign.get_by_label("律师", exact=True).select_option(lawyers["钱律师"])
    await assign.get_by_label("人工指派理由").fill("熟悉案情")
    await assign.get_by_role("button", name="指派").click()
    await expect(assign.get_by_label("律师", exact=True)).to_have_attribute("aria-invalid", "true")
    await expect(assign.locator("#err-lawyer_id")).to_contain_text("钱律师")
    await shot(page, "aid-center-manual-assignment-refused")
    await assign.get_by_label("律师", exact=True).select_option(lawyers["孙律师"])
    await assign.get_by_label("人工指派理由").fill("唯一具有三年以上执业经历的可用律师")
    await assign.get_by_role("button", name="指派").click()
    await expect(page.get_by_role("status")).to_have_text("已指派。")
    await expect(page.get_by_test_id("notice-status")).to_have_text("已指派")
    await expect(page.get_by_test_id("assignment-active")).to_contain_text("孙律师")

    # The conflict ends 赵's appointment on the minor's case and reassigns it to the other firm.
    await page.goto(f"/aid-center/notices/{first}")
    conflict = page.get_by_test_id("assignment-active").locator(
        "details", has_text="律所报告利益冲突"
    )
    await conflict.get_by_text("律所报告利益冲突（第13条）").click()
    await conflict.get_by_label("冲突类型").select_option("other_conflict")
    await conflict.get_by_label("说明").fill("律所发现与被害人存在委托关系")
    await conflict.get_by_role("button", name="报告并另行指派他所律师").click()
    await expect(page.get_by_role("status")).to_have_text("已记录利益冲突并另行指派。")
    await expect(page.get_by_test_id("assignment-active")).to_contain_text("钱律师")
    await expect(page.get_by_test_id("assignment-ended")).to_contain_text("赵律师")
    await shot(page, "aid-center-conflict")
    await page.get_by_role("link", name="本案通知送达记录").click()
    await expect(page.get_by_role("heading", name="通知送达记录")).to_be_visible()
    await expect(page.get_by_test_id("delivery-counts")).to_contain_text("已送达")
    await shot(page, "notifier-deliveries")

    # Replacing 孙 on the adult's case: 钱 is refused by the law, 赵 (free again) is not.
    await page.goto(f"/aid-center/notices/{found['second']}")
    active = page.get_by_test_id("assignment-active")
    await active.get_by_text("更换律师（第5、14条）").click()
    await active.get_by_label("更换理由").select_option("lawyer_unavailable")
    await active.get_by_label("新律师").select_option(lawyers["钱律师"])
    await active.get_by_role("button", name="更换").click()
    active = page.get_by_test_id("assignment-active")
    await expect(active.get_by_label("新律师")).to_have_attribute("aria-invalid", "true")
    await active.get_by_label("新律师").select_option(lawyers["赵律师"])
    await active.get_by_role("button", name="更换").click()
    await expect(page.get_by_role("status")).to_have_text("已更换律师。")
    await expect(page.get_by_test_id("assignment-active")).to_contain_text("赵律师")

    # The previous stage's lawyer (Art. 13 continuity) of the adult.
    previous = page.locator("section", has=page.get_by_role("heading", name="前一阶段的律师"))
    await previous.get_by_text("记录前一阶段的律师").click()
    await previous.get_by_label("律师", exact=True).select_option(lawyers["孙律师"])
    await previous.get_by_label("说明").fill("侦查阶段的辩护人")
    await previous.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_have_text("已记录前一阶段的律师。")
    await expect(page.get_by_test_id("previous-stage")).to_contain_text("孙律师")
    await shot(page, "aid-center-notice-forms")

    # A quality review of 赵's appointment: without a measure it is refused at the field.
    await page.get_by_test_id("assignment-active").get_by_role("link", name="赵律师").click()
    await expect(page.get_by_role("heading", name="指派与质量评估")).to_be_visible()
    await page.get_by_label("评估人").fill("质量监督员")
    await page.get_by_role("button", name="记录评估").click()
    await expect(page.locator("#err-measures")).to_be_visible()
    await page.get_by_label("检查案卷").check()
    await page.get_by_label("回访受援人").check()
    await page.get_by_label("结论").select_option("satisfactory")
    await page.get_by_label("评估人").fill("质量监督员")
    await page.get_by_role("button", name="记录评估").click()
    await expect(page.get_by_role("status")).to_have_text("已记录质量评估。")
    await expect(page.get_by_test_id("quality-reviews")).to_contain_text("合格")
    await shot(page, "aid-center-assignment")

    # 钱's leave from tomorrow, and 孙 on duty at the station today.
    on = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    await page.get_by_role("link", name="律师名册").click()
    row = page.get_by_role("row", name=re.compile("钱律师"))
    await row.get_by_text("登记休假").click()
    await row.get_by_label("开始日期").fill((on + timedelta(days=1)).isoformat())
    await row.get_by_label("结束日期").fill((on + timedelta(days=3)).isoformat())
    await row.get_by_role("button", name="登记").click()
    await expect(page.get_by_role("status")).to_have_text("已记录休假。")
    await expect(page.get_by_role("row", name=re.compile("钱律师"))).to_contain_text(
        f"{on + timedelta(days=1)} 至 {on + timedelta(days=3)}"
    )
    await page.get_by_role("link", name="值班工作站").click()
    await page.get_by_text("安排值班律师").click()
    await page.get_by_label("律师", exact=True).select_option(lawyers["孙律师"])
    await page.get_by_label("开始日期").fill(on.isoformat())
    await page.get_by_label("方式").select_option("on_site")
    await page.get_by_role("button", name="排班").click()
    await expect(page.get_by_role("status")).to_have_text("已排班。")
    await expect(page.get_by_role("cell", name="孙律师")).to_be_visible()
    # With 孙 on the rota, a duty-lawyer request is answered by the rota: the page names him.
    duty_case = await _duty_lawyer_requested(platform)

    async def duty_assigned() -> bool:
        got = await platform.aid_center.client.get("/duty-requests", params={"case_id": duty_case})
        items = got.json().get("items") or []
        return bool(items) and items[0]["status"] == "assigned"

    await eventually(duty_assigned, what="the duty-lawyer request to be answered by the rota")
    await page.get_by_role("link", name="值班律师申请").click()
    await expect(page.get_by_role("cell", name=re.compile("孙律师"))).to_be_visible()
    await shot(page, "aid-center-duty-requests")

    # The pages of the center's other work, and the notifier's deadline board.
    for label, name in (
        ("法律援助申请", "aid-center-applications"),
        ("办案补贴", "aid-center-subsidies"),
    ):
        await page.get_by_role("link", name=label).click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(label)
        await shot(page, name)

    # An application: refused without reasons (at the field), material asked for once, then
    # refused in writing.
    async def under_review() -> bool:
        got = await platform.aid_center.client.get(f"/applications/{application_id}")
        return got.status_code == 200 and got.json()["status"] == "under_review"

    await eventually(under_review, what="the application to reach the center")
    await page.get_by_role("link", name="法律援助申请").click()
    await page.get_by_role("link", name="周父").click()
    await expect(page.get_by_test_id("application-status")).to_have_text("审查中")
    request = page.locator("details", has_text="一次性告知补充材料")
    await request.get_by_text("一次性告知补充材料").click()
    await request.get_by_label("需补充的材料").fill("户籍证明\n收入证明")
    await request.get_by_role("button", name="告知申请人").click()
    await expect(page.get_by_role("status")).to_have_text("已一次性告知申请人补充材料。")
    await expect(page.get_by_test_id("application-status")).to_have_text("已一次性告知补充材料")
    decision = page.locator("section", has=page.get_by_role("heading", name="审查决定"))
    await decision.get_by_label("决定", exact=True).select_option("refused")
    await decision.get_by_role("button", name="作出决定").click()
    await expect(decision.get_by_label("理由")).to_have_attribute("aria-invalid", "true")
    await decision.get_by_label("决定", exact=True).select_option("refused")
    await decision.get_by_label("理由").fill("申请人家庭经济状况不符合经济困难标准")
    await decision.get_by_role("button", name="作出决定").click()
    await expect(page.get_by_role("status")).to_have_text("已决定不予法律援助。")
    await expect(page.get_by_test_id("application-decision")).to_contain_text("经济困难标准")
    await shot(page, "aid-center-application")
    await page.get_by_role("link", name="办案补贴").click()

    # The conflict ended 赵's appointment on the minor's case: its subsidy claim. The closing
    # materials, a reduced approval (first without its reason, refused at the field), the
    # payment.
    await page.get_by_role("link", name="办案补贴").click()
    await page.locator("tbody a").first.click()
    await expect(page.get_by_test_id("claim-status")).to_have_text("待提交结案材料")
    await page.get_by_label("结案材料", exact=True).fill("结案报告\n会见笔录")
    await page.get_by_role("button", name="提交").click()
    await expect(page.get_by_role("status")).to_have_text("已提交结案材料。")
    await page.get_by_label("核定金额（元）").fill("1,000")
    await page.get_by_role("button", name="核定").click()
    await expect(page.get_by_label("核减理由")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("核定金额（元）").fill("1,000")
    await page.get_by_label("核减理由").fill("律所利益冲突，未完成本阶段工作")
    await page.get_by_role("button", name="核定").click()
    await expect(page.get_by_role("status")).to_have_text("已核定办案补贴。")
    await expect(page.get_by_test_id("claim-approved")).to_contain_text("1,000.00 元")
    await page.get_by_label("支付凭证号").fill("津河东财付〔2026〕1号")
    await page.get_by_role("button", name="记录发放").click()
    await expect(page.get_by_role("status")).to_have_text("已记录发放。")
    await expect(page.get_by_test_id("claim-paid")).to_contain_text("1,000.00 元")
    await shot(page, "aid-center-subsidy")
    await page.get_by_role("link", name="办案补贴").click()
    # The finance office's workbook (aid center API), passed through with the officer's token.
    async with page.expect_download() as download:
        await page.get_by_role("button", name="下载 XLSX").click()
    assert (await download.value).suggested_filename.endswith(".xlsx")
    await page.get_by_role("link", name="期限看板").click()
    await page.get_by_label("包括已完成、已撤销的期限").check()
    await page.get_by_role("button", name="筛选").click()
    await expect(page.get_by_test_id("clock-assignment").first).to_contain_text("指派律师（3日）")
    await shot(page, "notifier-deadlines")
    await page.context.close()


async def _operator_edits_a_template(browser: Browser, base: str) -> None:
    page = await sign_in(browser, base, "operator")
    await page.get_by_role("link", name="通知模板").click()
    await shot(page, "ops-templates")
    await page.locator("tbody a").first.click()
    await expect(page.get_by_test_id("template-version")).to_be_visible()
    version = await page.get_by_test_id("template-version").inner_text()
    # A template that does not render is refused at its field.
    await page.get_by_label("标题").fill("{{ unclosed")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_label("标题")).to_have_attribute("aria-invalid", "true")
    await page.get_by_label("标题").fill("法律援助通知")
    await page.get_by_role("button", name="保存").click()
    await expect(page.get_by_role("status")).to_have_text("已保存模板。")
    await expect(page.get_by_test_id("template-version")).not_to_have_text(version)
    await shot(page, "ops-template")
    await page.context.close()

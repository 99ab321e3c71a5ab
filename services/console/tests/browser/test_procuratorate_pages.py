"""The procuratorate's side of the console in headless Chromium against the real services,
broker and database: a clerk works a two-suspect case through its forms — today's work, the
letter's supplement, file review, written opinion, sentencing consultation, the plea's
witness, a refusal and the written request for another lawyer, a correction of facts (and a
conflicting one refused with the 412 shown), the expedited procedure, a procedural decision —
and each step's result is asserted on the page. The API's refusals land at their fields."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, expect

from tests.e2e.platform import Platform, running_platform

sys.path.insert(0, str(Path(__file__).parent))
from console_browser import (
    BROWSER_ERRORS,
    needs_chromium,
    reload_until,
    serving_console,
    shot,
    sign_in,
)

pytestmark = [pytest.mark.integration, needs_chromium]

HEDONG = "天津市河东区人民检察院"
RECEIVED = datetime.now(UTC) - timedelta(days=2)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local(moment: datetime) -> str:
    """A ``datetime-local`` value, Tianjin time."""
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def _person(name: str, **overrides: Any) -> dict[str, Any]:
    return {
        "suspect_id": str(uuid.uuid4()),
        "name": name,
        "birth_date": "1990-05-01",
        "gender": "male",
        "limited_capacity": False,
        "custody_status": "detained",
        "place_of_detention_or_residence": "天津市河东区看守所",
        "contacts": ["022-12345678"],
        "charges": ["盗窃罪"],
        "likely_sentence": "one_year_or_less",
        "pleads_guilty": True,
        **overrides,
    }


def _case(*people: dict[str, Any]) -> dict[str, Any]:
    return {
        "received_at": RECEIVED.isoformat(),
        "transfer_number": f"津公东诉字〔2026〕{uuid.uuid4().int % 100000}号",
        "transferring_agency": "天津市公安局河东分局",
        "transferring_agency_kind": "public_security",
        "procuratorate_unit": HEDONG,
        "district": "河东区",
        "charges": ["盗窃罪"],
        "suspects": list(people),
        "major_and_complex": False,
        "social_impact": False,
        "prosecutor": {"name": "李检察官", "contact": "022-87654321"},
    }


@pytest.fixture(scope="module")
async def platform(service_settings: Callable[..., Any]) -> AsyncIterator[Platform]:
    async with running_platform(service_settings, "console-procuratorate") as running:
        yield running


@pytest.fixture(scope="module")
async def console(platform: Platform) -> AsyncIterator[str]:
    async with serving_console(platform) as base:
        yield base


async def _roster(platform: Platform) -> None:
    center = platform.aid_center.client
    firm = await center.post("/firms", json={"name": "天津乙律师事务所", "contact": "022-2"})
    assert firm.status_code == 201, firm.text
    lawyer = await center.post(
        "/lawyers",
        json={
            "firm_id": firm.json()["firm_id"],
            "name": "赵律师",
            "license_number": "11201200000002",
            "contact": "13900000002",
            "gender": "female",
            "criminal_practice_years": 6,
            "specialties": ["juvenile"],
            "max_concurrent_cases": 5,
        },
    )
    assert lawyer.status_code == 201, lawyer.text


async def _opened(details: Locator) -> Locator:
    await details.evaluate("element => { element.open = true; }")
    return details


async def _done(page: Page, message: str) -> None:
    await expect(page.get_by_role("status")).to_contain_text(message)


async def test_a_clerk_works_a_case_through_every_form(
    platform: Platform, console: str, chromium: Browser
) -> None:
    await _roster(platform)
    minor = _person(
        "王小明",
        birth_date="2010-01-01",
        guardian={"name": "王大明", "relationship": "父亲", "contact": "13800000000"},
    )
    adult = _person("李大")
    api = platform.procuratorate.client
    created = await api.post("/cases", json=_case(minor, adult))
    assert created.status_code == 201, created.text
    case_id, s1, s2 = created.json()["case_id"], minor["suspect_id"], adult["suspect_id"]

    page = await sign_in(chromium, console, "procuratorate_staff", agency=HEDONG)
    # Today's work is the API's query over open clocks: the minor's 3 days to be told, and
    # the case's own review period.
    await expect(page.get_by_role("heading", name="今日工作")).to_be_visible()
    await expect(page.get_by_role("row", name="王小明").first).to_contain_text("告知诉讼权利")
    await expect(page.get_by_role("cell", name="（全案）").first).to_be_visible()
    await shot(page, "procuratorate-today-deadlines")

    # The letter goes without the materials the center requires: it asks for a supplement.
    told = await api.post(
        f"/cases/{case_id}/suspects/{s1}/rights-notification",
        json={
            "informed": [
                {"role": "suspect", "name": "王小明"},
                {"role": "guardian", "name": "王大明"},
            ]
        },
    )
    assert told.status_code == 200, told.text
    decided = await api.post(
        f"/cases/{case_id}/suspects/{s1}/defense-decision", json={"choice": "no_counsel"}
    )
    assert decided.status_code == 200, decided.text
    notice_id = decided.json()["notice_id"]
    await page.goto(f"/procuratorate/cases/{case_id}")
    supplement = page.locator(f"#supplement-{notice_id}")
    await reload_until(page, supplement.count, "the center's request for a supplement")
    await expect(supplement.get_by_label("案件材料")).to_be_checked()
    await supplement.get_by_label("补充的材料").fill("起诉意见书")
    await supplement.get_by_role("button", name="提交补充").click()
    await _done(page, "已补充通知辩护公函。")
    defender = page.locator(f"#suspect-{s1}").get_by_test_id("defender")
    await reload_until(
        page, lambda: _has(defender, "赵律师"), "the appointment after the supplement"
    )

    await _file_review(page, s1)
    await _defense_work(page, s1)
    await _refusal_and_another_lawyer(page, s1)
    await _facts(page, platform, case_id, s2)

    # The expedited procedure is refused for a case with a minor, at its field.
    expedited = await _opened(page.locator(f"#expedited-{case_id}"))
    await expedited.get_by_label("李大").check()
    await expedited.get_by_role("button", name="适用速裁程序").click()
    await expect(page.locator("#err-suspect_ids")).to_contain_text("minor")

    # A procedural decision: the case goes to another procuratorate.
    proceedings = await _opened(page.locator(f"#proceedings-{case_id}"))
    await proceedings.get_by_label("程序决定").select_option("jurisdiction_change")
    await proceedings.get_by_label("接收单位（改变管辖时）").fill("天津市河西区人民检察院")
    await proceedings.get_by_role("button", name="记录程序决定").click()
    await _done(page, "已记录程序决定。")
    await expect(page.get_by_test_id("decisions")).to_contain_text("改变管辖")
    await expect(page.locator("dl.facts").first).to_contain_text("已移送管辖")
    await shot(page, "procuratorate-case-forms")

    # An adult's plea case takes the expedited procedure: 10 days from receipt.
    alone = _person("周小")
    other = await api.post("/cases", json=_case(alone))
    assert other.status_code == 201, other.text
    await page.goto(f"/procuratorate/cases/{other.json()['case_id']}")
    expedited = await _opened(page.locator(f"#expedited-{other.json()['case_id']}"))
    await expedited.get_by_label("周小").check()
    await expedited.get_by_role("button", name="适用速裁程序").click()
    await _done(page, "已适用速裁程序。")
    await expect(page.get_by_test_id("expedited")).to_contain_text("已适用速裁程序")

    # Retained counsel linked to their lawyer account, which then reads the suspect's case.
    account, other_id = str(uuid.uuid4()), other.json()["case_id"]
    counsel = await _opened(page.locator(f"#counsel-{alone['suspect_id']}"))
    await counsel.get_by_label("辩护人姓名").fill("周律师")
    await counsel.get_by_label("联系方式").fill("13700000000")
    await counsel.get_by_label("辩护人的平台律师账号").fill(account)
    await counsel.get_by_role("button", name="记录委托").click()
    await _done(page, "已记录委托辩护人。")
    await expect(page.get_by_test_id("defense-status")).to_have_text("委托辩护")
    await page.context.close()
    # The counsel has no assignment at the center, yet finds the case among theirs.
    counsel_page = await sign_in(chromium, console, "lawyer", lawyer_id=account)
    cases = counsel_page.get_by_test_id("defended-cases")
    await expect(cases).to_contain_text("周小（委托辩护）")
    await cases.get_by_role("link").click()
    await expect(counsel_page).to_have_url(f"{console}/lawyer/cases/{other_id}")
    await expect(counsel_page.get_by_test_id("case-info")).to_contain_text("周小")
    await expect(counsel_page.get_by_test_id("case-timeline")).to_contain_text("委托")
    await shot(counsel_page, "lawyer-retained-case")
    await counsel_page.context.close()
    assert BROWSER_ERRORS == []


async def _has(locator: Locator, text: str) -> bool:
    return text in (await locator.inner_text())


async def _file_review(page: Page, s1: str) -> None:
    """The lawyer's request, then its arrangement: a day past the 3 working days is refused
    at its field; at once is accepted."""
    request = await _opened(page.locator(f"#review-request-{s1}"))
    await request.get_by_role("button", name="登记阅卷申请").click()
    await _done(page, "已登记阅卷申请。")
    reviews = page.locator("section", has=page.get_by_role("heading", name="阅卷申请（第8条）"))
    await reviews.get_by_label("阅卷地点或电子阅卷渠道").fill("第一阅卷室")
    later = datetime.now(UTC) + timedelta(days=10)
    await reviews.get_by_label("阅卷开始时间（留空为立即）").fill(_local(later))
    await reviews.get_by_label("不能当日安排的理由").fill("卷宗正在装订")
    await reviews.get_by_role("button", name="安排阅卷").click()
    starts = reviews.locator('[name="review_starts_at"]')
    await expect(starts).to_have_attribute("aria-invalid", "true")
    await expect(reviews.locator("#err-review_starts_at")).to_contain_text("3 working days")
    await shot(page, "procuratorate-file-review-refused")
    await starts.fill("")
    await reviews.get_by_label("不能当日安排的理由").fill("")
    await reviews.get_by_role("button", name="安排阅卷").click()
    await _done(page, "已安排阅卷。")
    await expect(reviews).to_contain_text("已安排：第一阅卷室")


async def _defense_work(page: Page, s1: str) -> None:
    opinion = await _opened(page.locator(f"#opinion-{s1}"))
    await opinion.get_by_label("涉及刑事诉讼法第173条第2款事项").select_option("true")
    await opinion.get_by_role("button", name="登记书面意见").click()
    await _done(page, "已登记书面辩护意见。")
    await expect(page.get_by_test_id(f"opinions-{s1}")).to_contain_text("赵律师")

    consultation = await _opened(page.locator(f"#consultation-{s1}"))
    await consultation.get_by_label("量刑建议").fill("有期徒刑六个月，缓刑一年")
    await consultation.get_by_label("同步录音录像编号").fill("录像-2026-0001")
    await consultation.get_by_label("律师参与方式").select_option("remote_video")
    await consultation.get_by_label("律师意见").fill("系初犯、偶犯")
    await consultation.get_by_role("button", name="记录量刑协商").click()
    await _done(page, "已记录量刑协商。")
    consultations = page.get_by_test_id(f"consultations-{s1}")
    await expect(consultations).to_contain_text("有期徒刑六个月，缓刑一年")
    await expect(consultations).to_contain_text("系初犯、偶犯：采纳")

    # A duty lawyer may not witness where the suspect has a defense lawyer (Art. 11).
    plea = await _opened(page.locator(f"#plea-{s1}"))
    await plea.get_by_label("见证人身份").select_option("duty_lawyer")
    await plea.get_by_label("见证律师姓名").fill("孙值班")
    await plea.get_by_role("button", name="记录见证").click()
    plea = page.locator(f"#plea-{s1}")
    await expect(plea.locator('[name="witness_role"]')).to_have_attribute("aria-invalid", "true")
    await plea.get_by_label("见证人身份").select_option("defense_lawyer")
    await plea.get_by_label("见证律师姓名").fill("赵律师")
    await plea.get_by_role("button", name="记录见证").click()
    await _done(page, "已记录认罪认罚具结书的见证。")
    await expect(page.get_by_test_id(f"pleas-{s1}")).to_contain_text("赵律师")


async def _refusal_and_another_lawyer(page: Page, s1: str) -> None:
    refusal = await _opened(page.locator(f"#refusal-{s1}"))
    await refusal.get_by_label("拒绝理由").fill("认为律师不熟悉未成年人案件")
    await refusal.get_by_label("处理结果").select_option("allowed_must_retain_counsel")
    await refusal.get_by_role("button", name="记录处理结果").click()
    await _done(page, "已记录对拒绝辩护的处理。")
    await expect(page.locator(f"#suspect-{s1}").get_by_test_id("defense-status")).to_have_text(
        "尚无辩护人"
    )
    # No counsel retained after all: the center is asked in writing for another lawyer.
    another = await _opened(page.locator(f"#reappointment-{s1}"))
    await another.get_by_role("button", name="通知另行指派").click()
    await _done(page, "已书面通知法律援助机构另行指派律师。")
    await expect(page.get_by_test_id(f"reappointments-{s1}")).to_contain_text(
        "拒绝获准后未另行委托"
    )


async def _facts(page: Page, platform: Platform, case_id: str, s2: str) -> None:
    """A correction finds a new ground; a correction of what someone else changed meanwhile
    is refused (412) and shown as such, with what is there now."""
    await page.locator(f"#suspect-{s2}").get_by_role("link", name="更正犯罪嫌疑人事实").click()
    await page.get_by_label("可能判处的刑罚").select_option("3_years_or_more")
    await page.get_by_role("button", name="提交更正").click()
    await _done(page, "新发现的情形：可能判处三年以上有期徒刑")
    await expect(page.locator(f"#suspect-{s2}")).to_contain_text("可能判处三年以上有期徒刑")

    await page.locator(f"#suspect-{s2}").get_by_role("link", name="更正犯罪嫌疑人事实").click()
    meanwhile = await platform.procuratorate.client.patch(
        f"/cases/{case_id}/suspects/{s2}", json={"custody_status": "bail"}
    )
    assert meanwhile.status_code == 200, meanwhile.text
    await page.get_by_label("强制措施").select_option("not_restricted")
    response_status: list[int] = []
    page.once("response", lambda r: response_status.append(r.status))
    await page.get_by_role("button", name="提交更正").click()
    conflict = page.get_by_test_id("conflict")
    await expect(conflict).to_contain_text("已被他人修改")
    await expect(conflict).to_contain_text("强制措施 → 未采取强制措施")
    assert response_status == [412]
    await expect(page.get_by_label("强制措施")).to_have_value("bail")
    await shot(page, "procuratorate-facts-conflict")
    await page.get_by_role("link", name="返回案件").click()

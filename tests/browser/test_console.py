"""The web console in headless Chromium, on the running services: a caseworker imports a campaign list and
sees every bad row by number, the registrant's own approval is refused, an approver approves a selection,
finance creates and tops up the budget and sees the payments settle and the bank day reconciled, an auditor
reads a case's history; summer cooling's coverage by site; Chinese by default, English on request."""

from __future__ import annotations

import asyncio
import csv
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from eligibility.policy import HardshipLevel
from siji_cli.cooling_season import CoolingSeason
from siji_cli.services import Deployment
from siji_cli.synthetic import members
from siji_shared.auth import Role
from siji_shared.pii import mask_national_id
from support.api import Api
from support.service import hardship_file

CASE_ID = re.compile(r"^[0-9a-f-]{36}$")


def write_roster(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


async def until(page: Page, check: Callable[[], Awaitable[bool]], *, timeout: float = 60.0) -> None:
    """Reload the page until `check` holds: what Kafka carries between the services arrives a moment later."""
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"{page.url}: not reached within {timeout}s"
        await asyncio.sleep(1.0)
        await page.reload()


async def test_signing_in_shows_the_roles_work_in_chinese_or_english_and_signing_out_ends_it(
        browser: Browser, deployment: Deployment, sign_in) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(f"{deployment.url('console')}/cases?status=eligible")
    await expect(page).to_have_url(re.compile(r"/signin\?next=%2Fcases%3Fstatus%3Deligible$"))
    await page.get_by_label("访问令牌").fill("not-a-token")
    await page.get_by_role("button", name="登录").click()
    await expect(page.get_by_role("alert")).to_contain_text("JWT")
    await context.close()

    approver = await sign_in("ap-taicang-52", Role.APPROVER)
    nav = approver.page.get_by_role("navigation", name="主导航")
    await expect(nav.get_by_role("link", name="待审批")).to_be_visible()
    await expect(nav.get_by_role("link", name="导入名单")).to_have_count(0)
    await expect(approver.page.get_by_test_id("who")).to_have_text("ap-taicang-52 · 审批人 · taicang")
    await approver.shot("01-dashboard-approver")

    await approver.page.get_by_role("link", name="English").click()
    await expect(approver.page.locator("html")).to_have_attribute("lang", "en")
    await expect(approver.page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    await approver.open("/cases")  # the cookie keeps the language
    await expect(approver.page.get_by_role("heading", level=1)).to_have_text("Case queue")
    await approver.shot("02-case-queue-english")
    await approver.open("/budgets?campaign=ww-any")  # the API refuses the role, and the page says why
    await expect(approver.page.get_by_role("heading", level=1)).to_have_text("That did not work")
    await expect(approver.page.get_by_test_id("reason")).to_have_text("role approver may not do this; needs finance, "
                                                                      "auditor")
    await approver.shot("03-refused-by-the-api")

    await approver.page.get_by_role("button", name="Sign out").click()
    await expect(approver.page.get_by_role("heading", level=1)).to_have_text("Sign in")
    await approver.open("/")
    await expect(approver.page).to_have_url(re.compile(r"/signin"))


async def test_a_campaign_list_through_the_console_from_upload_to_a_reconciled_bank_day(
        sign_in, api: Api, tmp_path: Path) -> None:
    campaign = f"ww-web-{uuid.uuid4().hex[:6]}"
    maker = f"cw-taicang-{uuid.uuid4().hex[:4]}"
    people = members(5, region="taicang", seed=uuid.uuid4().int % 10**6)
    levels = [HardshipLevel.DEEP, HardshipLevel.RELATIVE, HardshipLevel.DEEP, HardshipLevel.RELATIVE,
              HardshipLevel.DEEP]
    files = [hardship_file(m, level) for m, level in zip(people, levels, strict=True)]
    hardship_roster = write_roster(tmp_path / "困难职工建档.csv", ["姓名", "身份证号", "家庭人口", "家庭月收入", "致困原因"],
                                   [[f.name, f.national_id, f.household_size, f.income_fen_per_month / 100, ""]
                                    for f in files])
    wrong_check = people[3].national_id[:17] + ("1" if people[3].national_id[17] != "1" else "2")
    campaign_list = write_roster(tmp_path / "冬送温暖花名册.csv", ["序号", "姓名", "身份证号", "银行账号"], [
        [1, people[0].name, people[0].national_id, people[0].account],  # row 2: deep, ¥800
        [2, people[1].name, people[1].national_id, people[1].account],  # row 3: relative, ¥500
        [3, people[2].name, people[2].national_id, people[2].account],  # row 4: deep, ¥800
        [4, people[3].name, wrong_check, people[3].account],            # row 5: the ID's check digit
        [5, people[4].name, people[4].national_id, "12-34"],            # row 6: the account
    ])

    # finance budgets ¥1,000 for a list worth ¥2,100: some payments will wait for a top-up
    finance = await sign_in("fin-taicang-51", Role.FINANCE)
    await finance.open(f"/budgets?campaign={campaign}")
    await expect(finance.page.get_by_text(f"活动 {campaign} 尚无预算")).to_be_visible()
    await finance.page.get_by_label("项目", exact=True).select_option("winter-warmth")
    await finance.page.get_by_label("预算总额（元）").fill("1000")
    await finance.page.get_by_role("button", name="建立预算").click()
    await expect(finance.page.get_by_role("status")).to_have_text("预算已建立。")

    caseworker = await sign_in(maker, Role.CASEWORKER)
    await caseworker.open("/imports/new")
    await caseworker.page.get_by_label("困难职工建档名单").check()
    await caseworker.page.get_by_label("文件（CSV 或 XLSX）").set_input_files(hardship_roster)
    await caseworker.page.get_by_role("button", name="上传并导入").click()
    await expect(caseworker.page.get_by_test_id("accepted")).to_have_text("5")

    await caseworker.open("/imports/new")
    page = caseworker.page
    await page.get_by_label("活动编号").fill(campaign)
    await page.get_by_label("项目", exact=True).select_option("winter-warmth")
    await page.get_by_label("年度").fill("2026")
    await page.get_by_label("文件（CSV 或 XLSX）").set_input_files(campaign_list)
    await page.get_by_role("button", name="上传并导入").click()
    await expect(page.get_by_role("status")).to_have_text("已导入。")
    for figure, value in {"rows_read": "5", "accepted": "3", "rejected": "2", "eligible": "3"}.items():
        await expect(page.get_by_test_id(figure)).to_have_text(value)
    bad_rows = page.get_by_test_id("bad-rows").locator("tbody tr")
    await expect(bad_rows).to_have_count(2)
    await expect(bad_rows.nth(0).locator("th")).to_have_text("5")
    await expect(bad_rows.nth(0)).to_contain_text("GB 11643")
    await expect(bad_rows.nth(1).locator("th")).to_have_text("6")
    await expect(bad_rows.nth(1)).to_contain_text("12 到 30 位数字")
    await caseworker.shot("04-import-with-bad-rows")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="下载错误报告（CSV）").click()
    report = Path(await (await download.value).path()).read_text(encoding="utf-8-sig")
    assert [line[0] for line in csv.reader(report.splitlines())][1:] == ["5", "6"]
    import_id = page.url.split("/imports/")[1].split("?")[0]

    await page.get_by_role("link", name="查看本批案件").click()
    case_links = page.get_by_test_id("cases").locator("tbody th a")
    await expect(case_links).to_have_count(3)
    case_ids = await case_links.all_inner_texts()
    assert all(CASE_ID.match(i) for i in case_ids)
    await caseworker.shot("05-case-queue")
    await case_links.first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(case_ids[0])
    await expect(page.get_by_test_id("reasons").locator("li").first).not_to_have_text("—")
    await expect(page.get_by_test_id("history")).to_contain_text(maker)
    assert people[0].account not in await page.content(), "the payee's account is masked"
    await caseworker.shot("06-case")

    # the queue searched by national ID: eligibility turns it into the member reference registration stored
    await caseworker.open("/cases")
    search = page.get_by_role("search", name="搜索")
    await search.get_by_label("案件编号或身份证号").fill(people[2].national_id)
    await search.get_by_role("button", name="搜索").click()
    await expect(page.get_by_test_id("cases").locator("tbody tr")).to_have_count(1)
    found = await page.get_by_test_id("cases").locator("tbody th a").inner_text()
    assert found in case_ids
    assert people[2].national_id not in page.url, "the ID is posted, never in a URL"
    await caseworker.shot("06a-queue-search")
    await page.get_by_test_id("cases").locator("tbody th a").click()
    await expect(page.get_by_role("region", name="受助人（已脱敏）")).to_contain_text(
        mask_national_id(people[2].national_id))
    assert people[2].national_id not in await page.content(), "the national ID is masked"
    await caseworker.shot("06b-case-masked-national-id")
    await caseworker.open("/cases")
    await search.get_by_label("案件编号或身份证号").fill("12345")
    await search.get_by_role("button", name="搜索").click()
    await expect(page.get_by_test_id("search-error")).to_contain_text("national ID")

    # maker-checker: the caseworker who registered the cases, now with an approver's token, is refused
    registrant = await sign_in(maker, Role.APPROVER)
    await registrant.open(f"/cases?campaign={campaign}&import_id={import_id}&status=eligible")
    own = registrant.page.get_by_role("checkbox", name=f"选择案件 {case_ids[0]}")
    await expect(own).to_be_disabled()
    await expect(registrant.page.get_by_test_id("blocked").first).to_have_text(
        "您登记了此案：登记人不能审批或驳回自己登记的案件。")
    await own.evaluate("box => { box.disabled = false; }")  # a page drawn before, or a forged form: still refused
    await own.check()
    await registrant.page.get_by_role("button", name="批准所选案件").click()
    await expect(registrant.page.get_by_test_id("summary")).to_have_text("批准 0 件，待第二名审批人 0 件，被拒绝 1 件。")
    await expect(registrant.page.get_by_test_id("answers")).to_contain_text("登记人不能审批自己登记的案件")
    await registrant.shot("07-self-approval-refused")

    approver = await sign_in("ap-taicang-51", Role.APPROVER)
    await approver.open(f"/cases?campaign={campaign}&import_id={import_id}&status=eligible")
    await approver.page.get_by_label("全选本页").check()
    for case_id in case_ids:
        await expect(approver.page.get_by_role("checkbox", name=f"选择案件 {case_id}")).to_be_checked()
    await approver.shot("08-approval-queue")
    await approver.page.get_by_role("button", name="批准所选案件").click()
    await expect(approver.page.get_by_test_id("summary")).to_have_text("批准 3 件，待第二名审批人 0 件，被拒绝 0 件。")
    await approver.shot("09-approved")

    # finance: a payment waits for the budget; the top-up releases it; every payment settles or fails
    payments = finance.page.get_by_test_id("payments").locator("tbody tr")

    async def statuses() -> set[str]:
        if not await payments.count():
            return set()
        return set(await payments.evaluate_all("rows => rows.map(row => row.dataset.status)"))

    async def waiting() -> bool:
        return "waiting" in await statuses()

    await finance.open(f"/budgets?campaign={campaign}")
    await until(finance.page, waiting)
    await expect(finance.page.get_by_test_id("queue").locator("tbody tr").first).to_be_visible()
    await finance.shot("10-budget-waiting")
    await finance.page.get_by_label("追加金额（元）").fill("1,100")
    await finance.page.get_by_role("button", name="追加预算").click()
    await expect(finance.page.get_by_role("status")).to_contain_text("已追加预算")

    async def all_paid() -> bool:
        found = await statuses()
        return "settled" in found and found <= {"settled", "failed"}

    await until(finance.page, all_paid)
    await expect(finance.page.get_by_role("img", name="预算使用情况")).to_be_visible()
    await expect(finance.page.get_by_role("img", name="各状态付款笔数")).to_be_visible()
    await expect(finance.page.get_by_test_id("paid")).not_to_have_text("¥0.00")
    await finance.shot("11-budget-settled")

    await finance.open(f"/funds?campaign={campaign}")  # every budget is also a fund the loans service tracks
    await until(finance.page, lambda: _visible(finance.page, "fund", "¥2,100.00"))
    await finance.shot("12-fund")

    day = (await api.close_bank_days(1))[0]  # the bank closes its day; reconciliation takes its statement
    await finance.open(f"/reconciliation?day={day}")
    await until(finance.page, lambda: finance.page.get_by_test_id("day").is_visible(), timeout=90)
    await expect(finance.page.get_by_test_id("classes")).to_contain_text("MATCHED")
    await finance.shot("13-reconciliation")

    auditor = await sign_in("au-taicang-51", Role.AUDITOR)
    await auditor.open("/findings")
    await expect(auditor.page.get_by_role("heading", level=1)).to_have_text("审计发现")
    await auditor.shot("14-findings")
    lookup = auditor.page.get_by_role("form", name="查看案件审计轨迹")
    await lookup.get_by_label("案件编号").fill(case_ids[1])
    await lookup.get_by_role("button", name="查看").click()
    trail = auditor.page.get_by_test_id("trail")
    await expect(trail.locator("tbody tr", has_text="case.approved")).to_contain_text("ap-taicang-51")
    await expect(trail.locator("tbody tr", has_text="case.registered")).to_contain_text(maker)
    await expect(trail).to_contain_text(re.compile(r"payment\.(settled|failed)"))
    assert people[1].account not in await auditor.page.content(), "the trail masks personal data"
    await auditor.shot("15-case-trail-for-the-auditor")


async def _visible(page: Page, test_id: str, text: str) -> bool:
    table = page.get_by_test_id(test_id)
    return await table.count() > 0 and text in await table.inner_text()


async def test_summer_cooling_coverage_by_site_in_a_table_and_a_chart(deployment: Deployment, sign_in,
                                                                      api: Api) -> None:
    season = await CoolingSeason(deployment, region="taicang", workers=60, stations=5, show_progress=False).run()
    caseworker = await sign_in("cw-taicang-53", Role.CASEWORKER)
    await caseworker.open(f"/cooling?campaign={season['campaign']}")
    await expect(caseworker.page.get_by_test_id("sites").locator("tbody tr")).to_have_count(season["sites"])
    await expect(caseworker.page.get_by_role("img", name="各站点覆盖率")).to_be_visible()
    report = (await api.get("cooling", f"/campaigns/{season['campaign']}/report", user="cw-taicang-53",
                            role=Role.CASEWORKER)).json()
    stock = [" ".join(f"{item}: {n}" for item, n in sorted(site["stock"].items())) for site in report["sites"]]
    assert stock and all(stock), "every site has its stock by item"
    await expect(caseworker.page.get_by_test_id("site-stock")).to_have_text(stock)
    await caseworker.shot("16-cooling-coverage")


async def test_an_approver_rejects_with_a_reason_the_caseworker_appeals_and_corrects_a_returned_account(
        sign_in, api: Api) -> None:
    """Maker-checker on the case page: each button it forbids is disabled with the reason beside it. A
    rejection with its reason; the appeal; the second approver; the bank returns the payment; finance signs
    the day with the open return off; the caseworker corrects the account (a bad one refused readably)."""
    campaign = f"ww-case-{uuid.uuid4().hex[:6]}"
    maker = f"cw-taicang-{uuid.uuid4().hex[:4]}"
    first, second = f"ap-taicang-{uuid.uuid4().hex[:4]}", f"ap-taicang-{uuid.uuid4().hex[:4]}"
    person = members(1, region="taicang", seed=uuid.uuid4().int % 10**6)[0]
    assert (await api.post("eligibility", "/hardship-files", hardship_file(person, HardshipLevel.RELATIVE)
                           .model_dump(mode="json"), user=maker, role=Role.CASEWORKER)).status_code == 201
    assert (await api.post("disbursement", "/budgets", {"campaign": campaign, "programme": "winter-warmth",
                                                        "total_fen": 80000}, user="fin-taicang-54",
                           role=Role.FINANCE)).status_code == 201
    registered = await api.post("eligibility", "/cases", {
        "programme": "winter-warmth", "campaign": campaign, "year": 2026, "national_id": person.national_id,
        "payee_name": person.name, "payee_account": person.account}, user=maker, role=Role.CASEWORKER)
    case = f"/cases/{registered.json()['case_id']}"

    registrant = await sign_in(maker, Role.APPROVER)
    await registrant.open(case)
    await expect(registrant.page.get_by_role("button", name="批准此案")).to_be_disabled()
    await expect(registrant.page.get_by_test_id("approve-blocked")).to_have_text(
        "您登记了此案：登记人不能审批或驳回自己登记的案件。")
    await expect(registrant.page.get_by_role("button", name="驳回此案")).to_be_disabled()
    await registrant.shot("17-case-approve-disabled-for-its-registrant")

    checker = await sign_in(first, Role.APPROVER)
    await checker.open(case)
    await checker.page.get_by_label("驳回理由").fill("家庭收入核实后超标")
    await checker.page.get_by_role("button", name="驳回此案").click()
    await expect(checker.page.get_by_role("status")).to_have_text("已驳回此案。")
    await expect(checker.page.get_by_role("region", name="概况")).to_contain_text("已驳回")
    await expect(checker.page.get_by_role("region", name="审批")).to_contain_text("家庭收入核实后超标")
    await expect(checker.page.get_by_test_id("approve-blocked")).to_have_text("此案不在待审批状态。")
    await checker.shot("18-case-rejected-with-a-reason")

    caseworker = await sign_in(maker, Role.CASEWORKER)
    await caseworker.open(case)
    await expect(caseworker.page.get_by_role("form", name="更正收款账户")).to_have_count(0)
    await caseworker.page.get_by_label("申诉理由").fill("收入证明有误，已补交")
    await caseworker.page.get_by_role("button", name="提交申诉").click()
    await expect(caseworker.page.get_by_role("status")).to_have_text("已提交申诉，此案已重新评估。")
    await expect(caseworker.page.get_by_test_id("history")).to_contain_text("appealed")
    await expect(caseworker.page.get_by_role("form", name="申诉")).to_have_count(0)
    await caseworker.shot("19-case-appealed")

    await checker.open(case)
    await expect(checker.page.get_by_test_id("approve-blocked")).to_have_text(
        "您在申诉前已处理过此案，须由其他审批人决定。")
    def payment_shows(status: str) -> Callable[[], Awaitable[bool]]:
        return lambda: _visible(caseworker.page, "payment", status)

    await api.set_bank(failure_rate=0.0, return_rate=1.0)
    try:
        other = await sign_in(second, Role.APPROVER)
        await other.open(case)
        await other.page.get_by_role("button", name="批准此案").click()
        await expect(other.page.get_by_role("status")).to_have_text("已记录您的审批。")
        await expect(other.page.get_by_role("region", name="概况")).to_contain_text("已批准")
        await other.shot("20-case-approved-after-the-appeal")

        await caseworker.open(case)
        await until(caseworker.page, payment_shows("已到账"))
    finally:
        await api.set_bank(failure_rate=0.0)
    days = await api.close_bank_days(4)  # the return comes one to three business days after the booking

    await until(caseworker.page, payment_shows("已退回"), timeout=90)

    finance = await sign_in("fin-taicang-54", Role.FINANCE)

    async def return_open(day: str) -> bool:
        answer = await api.get("reconciliation", f"/days/{day}", user="fin-taicang-54", role=Role.FINANCE)
        return answer.status_code == 200 and any(i["classification"] == "RETURNED" for i in answer.json()["open_items"])

    day = [d for d in days if await return_open(d)][0]
    await finance.open(f"/reconciliation?day={day}")
    await expect(finance.page.get_by_test_id("open-items")).to_contain_text("RETURNED")
    await expect(finance.page.get_by_test_id("closed")).to_have_text("尚未关账。")
    await finance.page.get_by_label("理由").fill("退回款项待经办人更正账户后重新支付")
    await finance.page.get_by_role("button", name="签署关账").click()
    await expect(finance.page.get_by_role("status")).to_have_text("已签署关账。")
    await expect(finance.page.get_by_test_id("closed")).to_contain_text("已关账：fin-taicang-54")
    await expect(finance.page.get_by_role("button", name="签署关账")).to_have_count(0)
    await finance.shot("21-reconciliation-signed-off")

    payee = caseworker.page.get_by_role("form", name="更正收款账户")
    await payee.get_by_label("收款人姓名").fill(person.name)
    await payee.get_by_label("更正后的收款账户").fill("6222-02")
    await payee.get_by_role("button", name="更正并重新支付").click()
    await expect(caseworker.page.get_by_test_id("refusal")).to_contain_text("更正后的收款账户")
    await caseworker.shot("22-payee-correction-refused")
    await payee.get_by_label("收款人姓名").fill(person.name)
    await payee.get_by_label("更正后的收款账户").fill("6222 0202 0019 9887 766")
    await payee.get_by_role("button", name="更正并重新支付").click()
    await expect(caseworker.page.get_by_role("status")).to_have_text("收款账户已更正，将重新支付一次。")
    await expect(caseworker.page.get_by_test_id("history")).to_contain_text("payee_corrected")
    assert "6222020200199887766" not in await caseworker.page.content(), "the corrected account is masked"
    await caseworker.shot("23-payee-corrected")

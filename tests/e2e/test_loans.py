"""Interest-subsidised loans through the running services, Kafka, PostgreSQL and the bank simulator:
enterprises apply, are approved (maker-checker), the bank lends, and its business date runs on; one
loan is repaid early in the middle of a quarter, one defaults after its second period, one runs on."""

import asyncio
import time
import uuid
from datetime import date, timedelta

from stdnum.cn import uscc

from siji_shared.auth import Role
from siji_shared.loan_interest import BankConventions, period_ends

REGION = "fuzhou"


def enterprise(n: int, amount_fen: int) -> dict:
    body = f"91350100MA{n:07d}"
    return {"borrower_kind": "enterprise", "credit_code": body + uscc.calc_check_digit(body),
            "name": f"福州测试企业{n}有限公司", "payee_account": f"6217{n:015d}", "staff_count": 30, "new_hires": 5,
            "wage_arrears": False, "social_insurance_arrears": False, "amount_fen": amount_fen, "term_months": 24,
            "method": "interest_only"}


async def eventually(probe, *, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        found = await probe()
        if found:
            return found
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.3)


async def business_date(api) -> date:
    answer = await api.http.get(f"{api.deployment.url('bank_sim')}/v1/business-date")
    return date.fromisoformat(answer.json()["business_date"])


async def close_days_past(api, day: date) -> None:
    """Close the bank's days until one on or after `day` is closed (its events are out then)."""
    today = await business_date(api)
    closed = today - timedelta(days=1)
    while closed < day:
        closed = date.fromisoformat((await api.close_bank_days(min(31, max(1, (day - today).days * 5 // 7))))[-1])
        today = await business_date(api)


async def loan(api, loan_id: str) -> dict:
    answer = await api.get("loans", f"/loans/{loan_id}", region=REGION)
    return answer.json() if answer.status_code == 200 else {}


async def test_early_repayment_mid_quarter_and_a_default_after_the_second_period(api):
    await api.set_bank(failure_rate=0.0)
    fund = f"fz-loan-{uuid.uuid4().hex[:8]}"
    finance = {"user": "fin-fz-1", "role": Role.FINANCE, "region": REGION}
    created = await api.post("disbursement", "/budgets", {"campaign": fund, "programme": "loan-subsidy",
                                                          "total_fen": 50_000_000}, **finance)
    assert created.status_code == 201, created.text
    seed = int(uuid.uuid4().int % 10_000_000)
    registered = await api.post("eligibility", "/loan-applications", {
        "programme": "loan-subsidy", "campaign": fund, "year": 2026,
        "applications": [enterprise(seed + n, 30_000_000) for n in range(3)]},
        user="cw-fz-1", role=Role.CASEWORKER, region=REGION)
    assert registered.status_code == 201, registered.text
    ids = [a["case_id"] for a in registered.json()["applications"]]
    assert [a["status"] for a in registered.json()["applications"]] == ["eligible"] * 3
    approved = await api.post("eligibility", f"/campaigns/{fund}/approvals", {"case_ids": ids},
                              user="ap-fz-1", role=Role.APPROVER, region=REGION)
    assert approved.json()["approved"] == 3, approved.text

    lent = await eventually(lambda: _all(api, ids, lambda x: x.get("status") == "active"))
    repaying, defaulting, running = lent
    first_end, second_end = period_ends(date.fromisoformat(repaying["start_date"]), date(2099, 1, 1),
                                        BankConventions())[:2]

    await close_days_past(api, first_end)
    await eventually(lambda: _all(api, ids, lambda x: _paid(x) == 1))
    mid_quarter = first_end.toordinal() + (second_end - first_end).days // 2
    await close_days_past(api, date.fromordinal(mid_quarter))
    bank = api.deployment.url("bank_sim")
    acted = await api.http.post(f"{bank}/admin/loans/{repaying['bank_loan_id']}/events", json={"type": "repay_early"})
    assert acted.status_code == 200, acted.text
    await close_days_past(api, second_end)
    await eventually(lambda: _all(api, [defaulting["loan_id"]], lambda x: _paid(x) == 2))  # both paid, then default
    acted = await api.http.post(f"{bank}/admin/loans/{defaulting['bank_loan_id']}/events", json={"type": "default"})
    assert acted.status_code == 200, acted.text

    repaid = await eventually(lambda: _settled(api, repaying["loan_id"], "repaid_early"))
    last = repaid["periods"][-1] if repaid["periods"][-1]["status"] == "paid" else [
        p for p in repaid["periods"] if p["status"] == "paid"][-1]
    assert first_end < date.fromisoformat(last["period_end"]) < second_end, "the subsidy stops at the repayment day"
    assert repaid["reserved_fen"] == 0 and not [p for p in repaid["periods"] if p["status"] == "projected"]

    defaulted = await eventually(lambda: _settled(api, defaulting["loan_id"], "defaulted"))
    paid = [p for p in defaulted["periods"] if p["status"] == "paid"]
    assert len(paid) == 2 and defaulted["clawback_fen"] == sum(p["subsidy_fen"] for p in paid) > 0
    assert defaulted["reserved_fen"] == 0

    ongoing = await eventually(lambda: _settled(api, running["loan_id"], "active"))
    shown = (await api.get("loans", f"/funds/{fund}", region=REGION)).json()
    budget = (await api.get("disbursement", f"/budgets/{fund}", user="fin-fz-1", role=Role.FINANCE,
                            region=REGION)).json()
    subsidies = sum(p["subsidy_fen"] for x in (repaid, defaulted, ongoing) for p in x["periods"] if p["status"] == "paid")
    assert shown["paid_fen"] == subsidies == budget["paid_fen"], "what the loans service paid is what the ledger paid"
    assert shown["reserved_fen"] == ongoing["reserved_fen"] > 0 and shown["available_fen"] >= 0


def _paid(shown: dict) -> int:
    return sum(p["status"] == "paid" for p in shown.get("periods", []))


async def _all(api, ids: list[str], test) -> list[dict] | None:
    shown = [await loan(api, i) for i in ids]
    return shown if all(test(x) for x in shown) else None


async def _settled(api, loan_id: str, status: str) -> dict | None:
    """The loan in `status` with nothing owed still unpaid."""
    shown = await loan(api, loan_id)
    return shown if shown.get("status") == status and not [p for p in shown["periods"] if p["status"] == "due"] else None

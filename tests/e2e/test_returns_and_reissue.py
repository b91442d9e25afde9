"""A payment the payee's bank returns, through every service: the bank's statement shows the return,
reconciliation names it, disbursement reverses it, the case asks for a corrected account, the
caseworker enters it, and the entitlement is paid again once; the day then reconciles."""

import uuid

from audit.verify import verify
from eligibility.policy import HardshipLevel
from siji_cli.synthetic import members
from siji_shared.auth import Role
from support.kafka import eventually
from support.service import hardship_file

MAKER = dict(user="cw-taicang-21", role=Role.CASEWORKER)
CHECKER = dict(user="ap-taicang-21", role=Role.APPROVER)
FINANCE = dict(user="fin-taicang-21", role=Role.FINANCE)


async def test_a_returned_payment_is_reversed_corrected_and_paid_again_once(api, infra, deployment):
    campaign = f"ww-return-{uuid.uuid4().hex[:8]}"
    person = members(1, region="taicang", seed=uuid.uuid4().int % 10**6)[0]
    assert (await api.post("eligibility", "/hardship-files", hardship_file(person, HardshipLevel.RELATIVE)
                           .model_dump(mode="json"), **MAKER)).status_code == 201
    assert (await api.post("disbursement", "/budgets", {"campaign": campaign, "programme": "winter-warmth",
                                                        "total_fen": 80000}, **FINANCE)).status_code == 201
    case = (await api.post("eligibility", "/cases", {
        "programme": "winter-warmth", "campaign": campaign, "year": 2026, "national_id": person.national_id,
        "payee_name": person.name, "payee_account": person.account}, **MAKER)).json()
    case_id = case["case_id"]

    async def payment(status: str):
        async def check():
            page = (await api.get("eligibility", f"/cases/{case_id}")).json()
            return page if page["payment"]["status"] == status else None
        return await eventually(check, timeout=60)

    await api.set_bank(failure_rate=0.0, return_rate=1.0)
    try:
        assert (await api.post("eligibility", f"/cases/{case_id}/approve", None, **CHECKER)).json()["status"] == \
            "approved"
        first = (await payment("settled"))["payment"]["id"]
    finally:
        await api.set_bank(failure_rate=0.0)
    refused = await api.post("eligibility", f"/cases/{case_id}/payee",
                             {"payee_name": person.name, "payee_account": "6222020200199887766"}, **MAKER)
    assert refused.status_code == 409, "not while the payment stands"

    await api.close_bank_days(4)  # the return comes one to three business days after the booking
    returned = await payment("returned")
    assert "corrected account" in returned["payment"]["reason"]
    view = (await api.get("disbursement", f"/budgets/{campaign}")).json()
    assert (view["paid_fen"], view["available_fen"]) == (0, 80000), "the ledger reversed the payment"

    corrected = await api.post("eligibility", f"/cases/{case_id}/payee",
                               {"payee_name": person.name, "payee_account": "6222020200199887766"}, **MAKER)
    assert corrected.status_code == 200, corrected.text
    settled = await payment("settled")
    assert settled["payment"]["id"] != first, "paid again as a new payment"
    again = await api.post("eligibility", f"/cases/{case_id}/payee",
                           {"payee_name": person.name, "payee_account": "6222020200155554444"}, **MAKER)
    assert again.status_code == 409, "never twice"
    assert [h["action"] for h in settled["history"]][-1] == "payee_corrected"

    day = (await api.close_bank_days(1))[0]

    async def reconciled():
        answer = await api.get("reconciliation", f"/days/{day}", user="fin-1", role=Role.FINANCE)
        return answer.json() if answer.status_code == 200 and answer.json()["closed"] else None

    report = await eventually(reconciled, timeout=60)
    assert report["unexplained"] == 0
    payments = (await api.get("disbursement", f"/campaigns/{campaign}/payments", **FINANCE)).json()["payments"]
    assert sorted(p["status"] for p in payments) == ["returned", "settled"]
    view = (await api.get("disbursement", f"/budgets/{campaign}")).json()
    assert (view["paid_fen"], view["available_fen"], view["reserved_fen"]) == (50000, 30000, 0), "paid once"
    audit = await verify(infra.kafka, infra.database_url, campaign=campaign)
    assert audit.clean, audit.violations  # returned and paid again: no double payment, for the case or the member
    assert audit.streams.campaigns[campaign].returned == 1

"""Finance's week, through every process: a 2,000-case campaign paid while the bank rejects 5 % of the
lines, books 5 % after the cut-off, books 1 % twice and returns 2 % days later. Over the business days
that follow, every payment ends matched or explained, every returned case is paid again once after its
account is corrected, nothing is paid twice, the ledger balances, and `siji reconcile` exits 0 for every
day."""

import json
import uuid

from audit.verify import verify
from siji_cli.campaign import CampaignRun
from siji_shared.auth import Role
from support.cli import siji
from support.kafka import eventually

MAKER = dict(user="cw-taicang-31", role=Role.CASEWORKER)


async def test_a_campaign_reconciles_over_several_business_days_with_a_misbehaving_bank(api, infra, deployment):
    await api.close_bank_days(1)  # start on a fresh business day: earlier tests' lines are on earlier days
    await api.set_bank(failure_rate=0.05, late_rate=0.05, duplicate_rate=0.01, return_rate=0.02, lump_rate=0.5)
    try:
        run = CampaignRun(deployment, recipients=2000, show_progress=False, autumn_aid_share=0.0,
                          close_bank_day=False, reject_share=0.0)
        report = await run.run(settle_timeout=300)
    finally:
        await api.set_bank(failure_rate=0.0)  # what is paid again is not returned again
    assert report["failed"] > 0, "the bank rejected some lines"
    days = await api.close_bank_days(5)  # late bookings a day on, returns one to three business days after
    elig = deployment.url("eligibility")
    headers = api.auth(MAKER["user"], MAKER["role"])

    async def returned_cases() -> list[str]:
        found, after = [], None
        while True:
            page = (await api.http.get(f"{elig}/cases", headers=headers, params={
                "campaign": report["campaign"], "status": "approved", "limit": 1000,
                **({"after": after} if after else {})})).json()
            found += [c["case_id"] for c in page["cases"] if c["payment_status"] == "returned"]
            if not (after := page["next_after"]):
                return found

    async def reconciled(day: str):
        answer = await api.get("reconciliation", f"/days/{day}", user="fin-1", role=Role.FINANCE)
        return answer.json() if answer.status_code == 200 else None

    async def every_return_reached_its_case():
        """Every payment the statements show returned is shown returned on its case."""
        reports = [await reconciled(day) for day in days]
        if not all(reports):
            return None
        found = sum(1 for r in reports for i in r["open_items"]
                    if i["classification"] == "RETURNED" and i["item_id"].startswith("payment:"))
        cases = await returned_cases()
        return cases if found and len(cases) == found else None

    returned = await eventually(every_return_reached_its_case, timeout=90)
    assert 10 < len(returned) < 100, "about 2 % of the paid lines"
    for case_id in returned:
        corrected = await api.post("eligibility", f"/cases/{case_id}/payee", {
            "payee_name": "王收款", "payee_account": f"62220{uuid.UUID(case_id).int % 10**14:014d}"}, **MAKER)
        assert corrected.status_code == 200, corrected.text

    async def all_paid_again():
        left = await returned_cases()
        return not left

    await eventually(all_paid_again, timeout=90)
    days += await api.close_bank_days(1)  # the lines paid again are booked and matched

    async def all_closed():
        reports = [await reconciled(day) for day in days]
        return reports if all(r and r["closed"] for r in reports) else None

    reports = await eventually(all_closed, timeout=90)
    classes = {name for r in reports for name in r["classes"]}
    assert {"MATCHED", "RETURNED", "DUPLICATE_AT_BANK"} <= classes
    assert sum(len(r["recovery_items"]) for r in reports) > 0, "double bookings are recovery items for finance"
    page = await api.http.get(f"{deployment.url('reconciliation')}/days/{days[0]}/page",
                              headers=api.auth("fin-1", Role.FINANCE))
    assert page.status_code == 200 and "<svg" in page.text and page.headers["content-type"].startswith("text/html")
    for day in days:
        done = siji(infra, deployment, "reconcile", "--date", day, "--json")
        assert done.returncode == 0, (day, done.stdout[-1500:], done.stderr[-1500:])
        assert json.loads(done.stdout.strip().splitlines()[-1])["unexplained"] == 0

    audit = await verify(infra.kafka, infra.database_url, campaign=report["campaign"])
    assert audit.clean, audit.violations[:5]
    totals = audit.streams.campaigns[report["campaign"]]
    assert totals.settled + totals.failed == totals.approved and totals.returned == len(returned), "each paid once"
    verified = siji(infra, deployment, "audit", "verify", "--campaign", report["campaign"], "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout.strip().splitlines()[-1])["violations"] == []

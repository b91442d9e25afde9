"""Winter warmth end to end through the bulk path: roster and campaign-list imports -> eligibility ->
batch approval -> Kafka -> disbursement -> the bank's batch files -> Kafka -> eligibility."""

from audit.verify import verify
from siji_cli.campaign import CampaignRun
from siji_shared.pii import redact_text


async def test_5000_cases_each_settled_once_or_shown_failed_and_the_budget_balances(infra, deployment):
    report = await CampaignRun(deployment, recipients=5000, show_progress=False).run(settle_timeout=300)

    imported = report["import"]
    assert report["registered"] == imported["accepted"] == 5000, "every member once"
    assert imported["rows_read"] == 5000 + 50 + 5 and imported["rejected"] == 55, "50 repeated rows, 5 bad ones"
    assert [e["row"] for e in imported["first_errors"]] == list(range(5002, 5052)), "header is row 1"
    assert report["eligible"] + report["ineligible"] == report["registered"]
    assert report["approved"] + report["rejected"] == report["eligible"]
    assert report["settled"] + report["failed"] == report["approved"]
    assert report["settled"] > 0.9 * report["approved"]
    assert report["budget_balanced"]
    assert report["reconciliation"]["unmatched"] == 0
    assert report["reconciliation"]["failed_but_booked_by_bank"] == 0
    assert report["reconciliation"]["bank_booked_fen"] == report["budget_used_fen"]

    audit = await verify(infra.kafka, infra.database_url, campaign=report["campaign"])
    assert audit.clean, audit.violations[:5]
    totals = audit.streams.campaigns[report["campaign"]]
    assert totals.approved == report["approved"] and totals.settled_fen == report["budget_used_fen"]

    aid = report["autumn_aid"]  # 金秋助学 on the same members' children
    assert aid["registered"] == aid["listed"] == 500
    assert 0 < aid["ineligible"] < aid["listed"] - 400, "no hardship file, or no admission letter"
    assert aid["settled"] + aid["failed"] == aid["approved"] == aid["eligible"] and aid["budget_balanced"]
    aid_audit = await verify(infra.kafka, infra.database_url, campaign=aid["campaign"])
    assert aid_audit.clean and aid_audit.streams.campaigns[aid["campaign"]].settled_fen == aid["settled_fen"]

    day = report["bank_day"]  # the bank closed its day; reconciliation took its camt.053 from the bank
    assert day["unexplained"] == day["open"] == 0, day["open_items"]
    assert day["classes"]["MATCHED"]["items"] >= 2 * (report["settled"] + aid["settled"]), "each payment and its entry"


async def test_no_service_log_line_holds_a_national_id_or_account_number(deployment):
    await CampaignRun(deployment, recipients=20, show_progress=False, close_bank_day=False).run(settle_timeout=120)
    lines = [line for spec in ("eligibility", "disbursement", "bank_sim")
             for line in deployment.log_file(spec).read_text(encoding="utf-8").splitlines()]
    assert any('"cases registered"' in line for line in lines), "the campaign was logged"
    leaking = [line for line in lines if redact_text(line) != line]
    assert not leaking, leaking[:3]

"""What an auditor checks after a campaign, reading every service's books and the bank's:
every fen went to an eligible, approved case, exactly once, and the budget balances."""

from __future__ import annotations

import asyncpg
import httpx

from siji_cli.services import Deployment


async def audit_campaign(database_url: str, deployment: Deployment, campaign: str) -> dict:
    conn = await asyncpg.connect(database_url)
    try:
        cases = await conn.fetch(
            "SELECT case_id, status, amount_fen, payment_status FROM eligibility.cases WHERE campaign = $1", campaign)
        payments = await conn.fetch(
            "SELECT payment_id, case_id, amount_fen, status, failure_stage FROM disbursement.payments "
            "WHERE campaign = $1", campaign)
        entries = await conn.fetch(
            "SELECT payment_id, kind, amount_fen FROM disbursement.ledger_entries WHERE campaign = $1", campaign)
        accounts = {r["kind"]: r["balance_fen"] for r in await conn.fetch(
            "SELECT CASE kind WHEN 'cleared' THEN 'reserved' ELSE kind END AS kind, "  # cleared: reserved's contra
            "sum(balance_fen)::bigint AS balance_fen FROM disbursement.accounts WHERE campaign = $1 GROUP BY 1", campaign)}
        budget = await conn.fetchval("SELECT total_fen FROM disbursement.budgets WHERE campaign = $1", campaign)
    finally:
        await conn.close()
    async with httpx.AsyncClient() as http:
        bank = {t["instruction_id"]: t for t in
                (await http.get(f"{deployment.url('bank_sim')}/v1/statement")).json()["entries"]}

    approved = {r["case_id"]: r for r in cases if r["status"] == "approved"}
    by_case, returned = {}, []
    for p in payments:
        if p["status"] == "returned":  # paid, sent back by the payee's bank, paid again to a corrected account
            returned.append(p)
            continue
        assert p["case_id"] not in by_case, f"case {p['case_id']} has two live payments"
        by_case[p["case_id"]] = p
    assert set(by_case) == set(approved), "every approved case, and only those, has a payment"
    kinds: dict = {}
    for e in entries:
        if e["payment_id"]:
            kinds.setdefault(e["payment_id"], []).append(e["kind"])
    settled_fen = 0
    for case_id, p in by_case.items():
        pid = str(p["payment_id"])
        assert p["amount_fen"] == approved[case_id]["amount_fen"], "paid what was approved"
        assert approved[case_id]["payment_status"] == p["status"], "the case shows the payment's outcome"
        if p["status"] == "settled":
            assert pid in bank and bank[pid]["amount_fen"] == p["amount_fen"], "settled payments are on the statement"
            assert sorted(kinds[p["payment_id"]]) == ["reserve", "settle"]
            settled_fen += p["amount_fen"]
        elif p["failure_stage"] == "bank":
            assert pid not in bank, "a payment the bank refused is not on the statement"
            assert sorted(kinds[p["payment_id"]]) == ["release", "reserve"]
        else:
            assert p["status"] == "failed" and p["failure_stage"] == "budget"
            assert p["payment_id"] not in kinds, "a payment the budget could not cover moved no money"
    for p in returned:
        assert sorted(kinds[p["payment_id"]]) == ["reserve", "return", "settle"], "a return reverses the payment"
        assert p["case_id"] in by_case, "a returned case is paid again (once its account is corrected)"
    assert accounts["paid"] == settled_fen == sum(bank[str(p["payment_id"])]["amount_fen"]
                                                   for p in by_case.values() if str(p["payment_id"]) in bank)
    assert accounts["reserved"] == 0, "nothing left half-way"
    assert budget == accounts["available"] + accounts["reserved"] + accounts["paid"] == -accounts["funding"]
    return {"approved": len(approved), "payments": len(payments), "returned": len(returned), "settled_fen": settled_fen,
            "settled": sum(p["status"] == "settled" for p in payments),
            "failed": sum(p["status"] == "failed" for p in payments)}

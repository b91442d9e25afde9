"""The caseworker API's rules, through the running services: maker-checker, regions, validation,
Idempotency-Key, once per member per campaign, and budgets that never go negative."""

import uuid

from audit.verify import verify
from eligibility.policy import HardshipLevel
from siji_cli.synthetic import members
from siji_shared.auth import Role
from siji_shared.dead_letters import describe, redrive
from siji_shared.kafka import read_all
from support.api import Api
from support.kafka import eventually, read_topic
from support.service import hardship_file

MAKER = dict(user="cw-taicang-07", role=Role.CASEWORKER)
CHECKER = dict(user="ap-taicang-01", role=Role.APPROVER)
SECOND_CHECKER = dict(user="ap-taicang-02", role=Role.APPROVER)
FINANCE = dict(user="fin-taicang-01", role=Role.FINANCE)


def campaign() -> str:
    return f"ww-test-{uuid.uuid4().hex[:8]}"


async def registered_member(api: Api, *, level: str = "relative", seed: int = 1):
    member = members(1, region="taicang", seed=seed + uuid.uuid4().int % 10**6)[0]
    response = await api.post("eligibility", "/hardship-files", hardship_file(
        member, HardshipLevel(level)).model_dump(mode="json"), **MAKER)
    assert response.status_code == 201, response.text
    assert response.json()["level"] == level
    return member


def case_body(member, campaign_id: str) -> dict:
    return {"programme": "winter-warmth", "campaign": campaign_id, "year": 2026, "national_id": member.national_id,
            "payee_name": member.name, "payee_account": member.account}


async def test_registration_is_idempotent_per_key(api):
    member, c = await registered_member(api), campaign()
    first = await api.post("eligibility", "/cases", case_body(member, c), key="retry-me-1", **MAKER)
    again = await api.post("eligibility", "/cases", case_body(member, c), key="retry-me-1", **MAKER)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    summary = (await api.get("eligibility", f"/campaigns/{c}/summary")).json()
    assert summary["registered"] == 1

    other = await api.post("eligibility", "/cases", {**case_body(member, c), "year": 2025}, key="retry-me-1", **MAKER)
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    missing = await api.post("eligibility", "/cases", case_body(member, c), key=None, **MAKER)
    assert missing.status_code == 422


async def test_assessment_explains_itself_and_allows_one_award_per_member(api):
    member, c = await registered_member(api, level="deep"), campaign()
    first = (await api.post("eligibility", "/cases", case_body(member, c), **MAKER)).json()
    assert first["status"] == "eligible" and first["amount_fen"] == 80000 and first["tier"] == "hardship:deep"
    assert first["rule_set"] == {"id": "winter-warmth/taicang/2026", "version": 1}
    assert any("深度困难" in reason for reason in first["reasons"])
    second = (await api.post("eligibility", "/cases", case_body(member, c), **MAKER)).json()
    assert second["status"] == "ineligible" and second["amount_fen"] == 0
    assert "already awarded 1 time(s)" in second["reasons"][1]


async def test_maker_checker_and_second_approver_for_large_awards(api):
    member, c = await registered_member(api, level="accident"), campaign()
    case = (await api.post("eligibility", "/cases", case_body(member, c), **MAKER)).json()
    assert case["approvals_required"] == 2
    path = f"/cases/{case['case_id']}/approve"

    as_maker = await api.post("eligibility", path, None, user=MAKER["user"], role=Role.APPROVER)
    assert as_maker.status_code == 409 and "registered a case may not approve" in as_maker.json()["detail"]
    caseworker = await api.post("eligibility", path, None, **MAKER)
    assert caseworker.status_code == 403
    first = await api.post("eligibility", path, None, **CHECKER)
    assert first.json()["status"] == "awaiting_second_approval"
    repeat = await api.post("eligibility", path, None, **CHECKER)
    assert repeat.status_code == 409
    unkeyed = await api.post("eligibility", path, None, key=None, **SECOND_CHECKER)
    assert unkeyed.status_code == 422
    second = await api.post("eligibility", path, None, key="second-approval", **SECOND_CHECKER)
    assert second.json()["status"] == "approved"
    replayed = await api.post("eligibility", path, None, key="second-approval", **SECOND_CHECKER)
    assert replayed.status_code == 200 and replayed.json() == second.json()


async def test_caseworkers_act_only_in_their_region(api):
    member, c = await registered_member(api), campaign()
    case = (await api.post("eligibility", "/cases", case_body(member, c), **MAKER)).json()
    elsewhere = await api.post("eligibility", f"/cases/{case['case_id']}/approve", None,
                               user="ap-fuzhou-01", role=Role.APPROVER, region="fuzhou")
    assert elsewhere.status_code == 403 and "region fuzhou" in elsewhere.json()["detail"]
    shown = await api.get("eligibility", f"/cases/{case['case_id']}", region="fuzhou")
    assert shown.status_code == 403
    assert (await api.get("eligibility", f"/campaigns/{c}/summary")).json()["registered"] == 1
    assert (await api.get("eligibility", f"/campaigns/{c}/summary", region="fuzhou")).json()["registered"] == 0
    await api.post("disbursement", "/budgets", {"campaign": c, "programme": "winter-warmth", "total_fen": 100},
                   **FINANCE)
    assert (await api.get("disbursement", f"/budgets/{c}")).status_code == 200
    for path in (f"/budgets/{c}", f"/campaigns/{c}/payments"):
        assert (await api.get("disbursement", path, region="fuzhou")).status_code == 403


async def test_bad_input_gets_a_clear_4xx_without_echoing_personal_data(api):
    member = members(1, region="taicang")[0]
    bad_id = member.national_id[:-1] + ("0" if member.national_id[-1] != "0" else "1")
    response = await api.post("eligibility", "/cases", {**case_body(member, campaign()), "national_id": bad_id},
                              **MAKER)
    assert response.status_code == 422 and "check digit" in response.json()["detail"]
    response = await api.post("eligibility", "/cases", {**case_body(member, campaign()), "payee_account": "12ab"},
                              **MAKER)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.payee_account"
    assert "12ab" not in response.text
    unauthenticated = await api.http.post(f"{api.deployment.url('eligibility')}/cases", json={})
    assert unauthenticated.status_code == 401
    unknown = await api.get("eligibility", f"/cases/{uuid.uuid4()}")
    assert unknown.status_code == 404


async def test_what_a_budget_cannot_cover_waits_and_a_top_up_pays_it_in_approval_order(api, infra, deployment):
    c = campaign()
    cases = []
    for seed in range(3):
        member = await registered_member(api, level="relative", seed=seed * 7919)
        cases.append((await api.post("eligibility", "/cases", case_body(member, c), **MAKER)).json())
    budget = await api.post("disbursement", "/budgets", {"campaign": c, "programme": "winter-warmth",
                                                          "total_fen": 120000}, **FINANCE)
    assert budget.status_code == 201, budget.text
    await api.set_bank(failure_rate=0.0)
    try:
        for case in cases:
            assert (await api.post("eligibility", f"/cases/{case['case_id']}/approve", None,
                                   **CHECKER)).json()["status"] == "approved"

        async def outcomes(settled: int):
            async def check():
                summary = (await api.get("eligibility", f"/campaigns/{c}/summary")).json()
                return summary if summary["settled"] == settled else None
            return await eventually(check)

        assert (await outcomes(2))["failed"] == 0, "nothing fails for lack of money"
        waiting = (await api.get("disbursement", f"/campaigns/{c}/queue", user="fin-1", role=Role.FINANCE)).json()
        assert (waiting["waiting"], waiting["waiting_fen"]) == (1, 50000)
        # approvals are consumed in the order they reach disbursement (each case is its own Kafka key),
        # so the one that waits is the last to arrive there
        waiting_case = waiting["payments"][0]["case_id"]

        async def shown_waiting():
            case = (await api.get("eligibility", f"/cases/{waiting_case}")).json()
            return case["payment"]["status"] == "waiting"

        assert await eventually(shown_waiting), "the case shows its payment waiting for the budget"
        topped = await api.post("disbursement", f"/budgets/{c}/top-ups", {"amount_fen": 30000}, **FINANCE)
        assert topped.status_code == 200 and topped.json()["released"] == 1, topped.text
        await outcomes(3)
    finally:
        await api.set_bank()
    view = (await api.get("disbursement", f"/budgets/{c}")).json()
    assert (view["total_fen"], view["paid_fen"], view["available_fen"], view["reserved_fen"]) == (150000, 150000, 0, 0)
    audit = await verify(infra.kafka, infra.database_url, campaign=c)
    assert audit.clean, audit.violations[:5]


async def test_an_approval_without_a_budget_is_dead_lettered_then_redriven_once_the_budget_exists(api, infra):
    without_budget, with_budget = campaign(), campaign()
    stuck = await registered_member(api)
    stuck_case = (await api.post("eligibility", "/cases", case_body(stuck, without_budget), **MAKER)).json()
    await api.post("disbursement", "/budgets", {"campaign": with_budget, "programme": "winter-warmth",
                                                "total_fen": 50000}, **FINANCE)
    fine = await registered_member(api)
    fine_case = (await api.post("eligibility", "/cases", case_body(fine, with_budget), **MAKER)).json()
    for case in (stuck_case, fine_case):
        await api.post("eligibility", f"/cases/{case['case_id']}/approve", None, **CHECKER)

    dead = await read_topic(infra.kafka, "eligibility.cases.dlt",
                            until=lambda rs: any(stuck_case["case_id"].encode() in r.value for r in rs))
    record = next(r for r in dead if stuck_case["case_id"].encode() in r.value)
    headers = dict(record.headers)
    assert b"has no budget" in headers["dlt-reason"]
    assert headers["dlt-consumer-group"] == b"disbursement"

    async def paid():
        shown = (await api.get("eligibility", f"/cases/{fine_case['case_id']}")).json()
        return shown["payment"]["status"] in ("settled", "failed") and shown
    shown = await eventually(paid)
    assert shown["payee_account"].endswith(fine.account[-4:]) and fine.account not in str(shown)

    stuck_before = (await api.get("eligibility", f"/cases/{stuck_case['case_id']}")).json()
    assert stuck_before["payment"]["status"] is None, "nothing was paid while the event sat in the dead letters"
    await api.post("disbursement", "/budgets", {"campaign": without_budget, "programme": "winter-warmth",
                                                "total_fen": 50000}, **FINANCE)
    sent, _ = await redrive(infra.kafka, "eligibility.cases", consumer_group="disbursement")
    assert sent >= 1

    async def stuck_paid():
        shown = (await api.get("eligibility", f"/cases/{stuck_case['case_id']}")).json()
        return shown["payment"]["status"] in ("settled", "failed") and shown
    await eventually(stuck_paid)

    # Dead letters of other tests' unbudgeted campaigns go round again and come back; ours does not.
    await redrive(infra.kafka, "eligibility.cases", consumer_group="disbursement")
    letters = await read_all(infra.kafka, "eligibility.cases.dlt")
    ours = [describe(r) for r in letters if r.key == stuck_case["case_id"].encode()]
    assert len(ours) == 1, "re-driven once, handled, never dead-lettered again"

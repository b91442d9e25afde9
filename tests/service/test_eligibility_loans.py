"""Interest-subsidised loan applications (贴息贷款) on a real schema: a batch registered and assessed under
Fuzhou's loan programme, maker-checker approval announcing LoanApprovedV1 (never CaseApprovedV1, which
disbursement pays), a repeat borrower, an invalid credit code refused by index, and the kinds of rule
set kept apart."""

import json
import uuid

import httpx
import pytest
from fastapi import FastAPI
from stdnum.cn import uscc

from contracts.eligibility import (
    CaseApprovedV1,
    CaseRegisteredV1,
    CaseRejectedV1,
    EligibilityAssessedV1,
    LoanApprovedV2,
)
from eligibility import policies, service
from eligibility.api import router
from eligibility.policy import parse, read_dir
from eligibility.service import (
    AppealIn,
    Applicant,
    ApplicationsInvalid,
    ApprovalsIn,
    LoanApplicationIn,
    NotFound,
    RejectionIn,
)
from siji_cli.synthetic import members
from siji_shared.auth import Role, issue_token
from siji_shared.http import install_error_handlers
from support.service import VAULT, principal

REGION = "fuzhou"
CW = principal("cw-1", Role.CASEWORKER, region=REGION)
AP_1, AP_2 = principal("ap-1", Role.APPROVER, region=REGION), principal("ap-2", Role.APPROVER, region=REGION)
SHIPPED = {d.rule_set_id: d for _, d in read_dir()}


def code(n: int) -> str:
    """A valid unified social credit code of a Fuzhou (350100) enterprise, the n-th."""
    first17 = f"91350100MA{n:06d}X"
    return first17 + uscc.calc_check_digit(first17)


def enterprise(n: int, **fields) -> dict:
    return {"borrower_kind": "enterprise", "credit_code": code(n), "name": f"福州小微企业{n}有限公司",
            "payee_account": f"62220202{n:010d}", "staff_count": 20, "new_hires": 2, "wage_arrears": False,
            "social_insurance_arrears": False, "amount_fen": 30_000_000, "term_months": 24,
            "method": "equal_instalment", **fields}


def individual(person, **fields) -> dict:
    return {"borrower_kind": "individual", "national_id": person.national_id, "name": person.name,
            "payee_account": person.account, "amount_fen": 20_000_000, "term_months": 36, "method": "interest_only",
            **fields}


async def in_tx(elig, work):
    async with elig.pool.acquire() as conn, conn.transaction():
        return await work(conn)


async def register(elig, applications: list[dict], *, campaign="fund-fz-2026", programme="loan-subsidy"):
    applicants = service.loan_applicants([LoanApplicationIn.model_validate(a) for a in applications])
    return await in_tx(elig, lambda conn: service.register_loans(
        conn, elig.vault, CW, programme=programme, campaign=campaign, year=2026, applicants=applicants))


async def approve(elig, who, case_ids, campaign="fund-fz-2026"):
    return await in_tx(elig, lambda conn: service.approve_cases(conn, elig.vault, who, campaign=campaign,
                                                                selection=ApprovalsIn(case_ids=case_ids)))


async def test_a_batch_is_assessed_and_approved_with_maker_checker_as_loans_never_as_payments(elig):
    person, capped = members(2, region=REGION, seed=41)
    done = await register(elig, [
        enterprise(1),                                                     # 300,000: one approver
        enterprise(2, amount_fen=500_000_000, term_months=36),             # cut to 4,000,000 for 24 months
        enterprise(3, wage_arrears=True),                                  # ineligible
        individual(person),                                                # 200,000 for 36 months
        individual(capped, amount_fen=40_000_000, term_months=48),         # cut to 300,000 for 36 months
    ])
    body = done.body
    assert [a["index"] for a in body] == [0, 1, 2, 3, 4]
    assert [a["status"] for a in body] == ["eligible", "eligible", "ineligible", "eligible", "eligible"]
    assert [a["amount_fen"] for a in body] == [30_000_000, 400_000_000, 0, 20_000_000, 30_000_000]
    assert [a["term_months"] for a in body] == [24, 24, None, 36, 36]
    assert [a["approvals_required"] for a in body] == [1, 2, 1, 1, 1], "a second approver above CNY 500,000"
    assert any("cut to the cap" in r for r in body[1]["reasons"])
    assert any("wage arrears" in r for r in body[2]["reasons"])
    assert all(a["rule_set"] == {"id": "loan-subsidy/fuzhou/2026", "version": 1} for a in body)
    assert [type(e.payload) for e in done.events] == [CaseRegisteredV1, EligibilityAssessedV1] * 5
    assert done.events[3].payload.amount_fen == 400_000_000 and done.events[3].payload.tier == "loan:enterprise"

    cases = [uuid.UUID(a["case_id"]) for a in body]
    async with elig.pool.acquire() as conn:
        rows = {r["case_id"]: r for r in await conn.fetch("SELECT * FROM cases WHERE case_id = ANY($1)", cases)}
    stored = rows[cases[3]]
    assert stored["member_ref"] == elig.vault.lookup_hash(person.national_id)
    assert stored["household_ref"] is None, "a loan is outside the yearly award caps"
    assert person.national_id not in stored["application"] and person.name.encode() not in stored["payee_name_enc"]
    assert json.loads(rows[cases[0]]["application"])["loan"]["credit_code"] == code(1), "public, kept in clear"
    assert "credit_code" not in json.loads(stored["application"])["loan"]
    async with elig.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM award_totals") == 0

    eligible = [cases[i] for i in (0, 1, 3, 4)]
    by_maker = await approve(elig, CW.model_copy(update={"role": Role.APPROVER}), eligible[:1])
    assert by_maker.body[0]["status"] == "refused" and not by_maker.events

    first = await approve(elig, AP_1, eligible)
    statuses = {a["case_id"]: a["status"] for a in first.body}
    assert [statuses[str(c)] for c in eligible] == ["approved", "awaiting_second_approval", "approved", "approved"]
    assert [type(e.payload) for e in first.events] == [LoanApprovedV2] * 3
    assert not any(isinstance(e.payload, CaseApprovedV1) for e in first.events), "disbursement never pays a loan"
    loans = {e.payload.case_id: e.payload for e in first.events}
    company, founder = loans[cases[0]], loans[cases[3]]
    assert (company.borrower_kind, company.borrower_ref, *payee(company)) == (
        "enterprise", code(1), "福州小微企业1有限公司", "622202020000000001")
    assert (company.principal_fen, company.term_months, company.method, company.staff_count, company.new_hires) == (
        30_000_000, 24, "equal_instalment", 20, 2)
    assert (founder.borrower_kind, founder.borrower_ref, *payee(founder)) == (
        "individual", elig.vault.lookup_hash(person.national_id), person.name, person.account)
    assert (founder.principal_fen, founder.term_months, founder.method) == (20_000_000, 36, "interest_only")
    assert (founder.campaign, founder.programme, founder.region, founder.year) == ("fund-fz-2026", "loan-subsidy",
                                                                                    REGION, 2026)
    assert (founder.rule_set_id, founder.rule_set_version, founder.approved_by) == (
        "loan-subsidy/fuzhou/2026", 1, ("ap-1",))

    again = await approve(elig, AP_1, [cases[1]])
    assert again.body[0]["status"] == "refused" and "already approved this case" in again.body[0]["reason"]
    second = await approve(elig, AP_2, [cases[1]])
    assert second.body[0]["status"] == "approved"
    [event] = [e.payload for e in second.events]
    assert isinstance(event, LoanApprovedV2)
    assert (event.principal_fen, event.term_months, event.approved_by) == (400_000_000, 24, ("ap-1", "ap-2"))


async def test_a_repeat_borrower_is_already_registered_in_the_campaign(elig):
    person = members(1, region=REGION, seed=42)[0]
    first = await register(elig, [enterprise(7), individual(person)])
    spaced = " ".join([code(7)[:9].lower(), code(7)[9:]])
    again = await register(elig, [enterprise(8), enterprise(7, credit_code=spaced), individual(person),
                                  enterprise(8)])
    assert [a["status"] for a in again.body] == ["eligible", "already_registered", "already_registered",
                                                 "already_registered"]
    assert again.body[1]["case_id"] == first.body[0]["case_id"], "the credit code, normalised, is the borrower"
    assert again.body[2]["case_id"] == first.body[1]["case_id"]
    assert again.body[3]["case_id"] == again.body[0]["case_id"], "twice in one batch: registered once"
    assert len(again.events) == 2
    elsewhere = await register(elig, [enterprise(7)], campaign="fund-fz-2027")
    assert elsewhere.body[0]["status"] == "eligible", "another fund is another campaign"


async def test_an_invalid_credit_code_is_refused_with_its_index_and_nothing_is_registered(elig):
    wrong = code(9)[:-1] + ("1" if code(9)[-1] != "1" else "2")
    with pytest.raises(ApplicationsInvalid) as refused:
        await register(elig, [enterprise(10), enterprise(9, credit_code=wrong)])
    assert refused.value.errors == [{"index": 1, "field": "credit_code", "reason": (
        "applications[1].credit_code: 统一社会信用代码校验位错误（the unified social credit code's check character is "
        "wrong, GB 32100）")}]

    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app, {})
    app.state.container = elig
    secret = elig.settings.token_secret.get_secret_value()

    def headers(role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(secret, user='cw-1', role=role, region=REGION)}",
                "Idempotency-Key": str(uuid.uuid4())}

    batch = {"programme": "loan-subsidy", "campaign": "fund-fz-2026", "year": 2026,
             "applications": [enterprise(10), enterprise(9, credit_code=wrong)]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://eligibility") as http:
        invalid = await http.post("/loan-applications", json=batch, headers=headers(Role.CASEWORKER))
        malformed = await http.post("/loan-applications", headers=headers(Role.CASEWORKER), json={
            **batch, "applications": [enterprise(10), enterprise(11, payee_account="12ab")]})
        forbidden = await http.post("/loan-applications", json=batch, headers=headers(Role.APPROVER))
        async with elig.pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM cases") == 0, "nothing registered"
        valid = await http.post("/loan-applications", headers=headers(Role.CASEWORKER),
                                json={**batch, "applications": [enterprise(10), enterprise(10)]})
    assert invalid.status_code == 422
    assert invalid.json()["errors"] == [{"index": 1, "field": "credit_code",
                                         "reason": refused.value.errors[0]["reason"]}]
    assert malformed.status_code == 422
    assert [e["field"] for e in malformed.json()["errors"]] == ["body.applications.1.payee_account"]
    assert forbidden.status_code == 403
    assert valid.status_code == 201, valid.text
    answer = valid.json()
    assert (answer["eligible"], answer["ineligible"], answer["already_registered"], answer["region"]) == (1, 0, 1,
                                                                                                          REGION)
    assert set(answer["applications"][0]) >= {"index", "case_id", "status", "amount_fen", "term_months", "reasons",
                                              "approvals_required"}
    async with elig.pool.acquire() as conn:
        staged = await conn.fetch("SELECT event_type FROM outbox ORDER BY id")
    assert [r["event_type"] for r in staged] == ["case.registered", "case.assessed"]


async def test_a_loan_programme_and_a_member_programme_are_never_mixed_up(elig):
    person = members(1, region=REGION, seed=43)[0]
    with pytest.raises(NotFound, match="loan-subsidy is a loan programme, not a case programme: register its applications with POST "
                                       "/loan-applications"):
        await in_tx(elig, lambda conn: service.register_cases(
            conn, elig.vault, CW, programme="loan-subsidy", campaign="fund-fz-2026", year=2026,
            applicants=[Applicant(person.national_id, person.name, person.account)]))
    with pytest.raises(NotFound, match="winter-warmth is a case programme, not a loan programme"):
        await register(elig, [enterprise(12)], programme="winter-warmth")
    with pytest.raises(NotFound, match="no loan-subsidy loan programme for region fuzhou in 2025"):
        await in_tx(elig, lambda conn: service.register_loans(conn, elig.vault, CW, programme="loan-subsidy",
                                                              campaign="x", year=2025, applicants=[]))

    loan = SHIPPED["loan-subsidy/fuzhou/2026"]
    winter = SHIPPED["winter-warmth/fuzhou/2026"]
    disguised = parse({**winter.model_dump(mode="json"), "programme": "loan-subsidy", "version": 2,
                       "rule_set_id": "loan-subsidy/fuzhou/2026"})
    with pytest.raises(policies.VersionConflict, match="is a loan-programme rule set; a programme document cannot"):
        await in_tx(elig, lambda conn: policies.load(conn, [("disguised.json", disguised)], loaded_by="admin"))
    v2 = parse({**loan.model_dump(mode="json"), "version": 2, "second_approval_above_fen": 10_000_000})
    loaded = await in_tx(elig, lambda conn: policies.load(conn, [("v2.json", v2)], loaded_by="admin"))
    assert loaded[0].status == "loaded"
    done = await register(elig, [enterprise(13)])
    assert (done.body[0]["rule_set"]["version"], done.body[0]["approvals_required"]) == (2, 2)


async def test_a_rejected_loan_leaves_the_award_caps_alone_and_an_appeal_reassesses_it(elig):
    done = await register(elig, [enterprise(14, amount_fen=500_000_000, term_months=30)])
    case_id = uuid.UUID(done.body[0]["case_id"])
    rejected = await in_tx(elig, lambda conn: service.reject_case(conn, AP_1, case_id,
                                                                  RejectionIn(reason="guarantee missing")))
    assert rejected.body["status"] == "rejected" and isinstance(rejected.events[0].payload, CaseRejectedV1)
    async with elig.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM award_totals") == 0

    appealed = await in_tx(elig, lambda conn: service.appeal_case(conn, elig.vault, CW, case_id,
                                                                  AppealIn(grounds="guarantee now provided")))
    assert (appealed.body["status"], appealed.body["amount_fen"], appealed.body["term_months"]) == (
        "eligible", 400_000_000, 24)
    assert appealed.body["excluded_approvers"] == ["ap-1"]
    refused = await approve(elig, AP_1, [case_id])
    assert refused.body[0]["status"] == "refused"
    await approve(elig, AP_2, [case_id])
    final = await approve(elig, principal("ap-3", Role.APPROVER, region=REGION), [case_id])
    [event] = [e.payload for e in final.events]
    assert isinstance(event, LoanApprovedV2) and (event.principal_fen, event.term_months) == (400_000_000, 24)
    async with elig.pool.acquire() as conn:
        shown = await service.show_case(conn, elig.vault, CW, case_id)
    assert shown["status"] == "approved" and shown["assessment"]["application"]["loan"]["term_months"] == 24


def payee(loan: LoanApprovedV2) -> tuple[str, str]:
    """The borrower's name and account as the loans service opens them (sealed in the event)."""
    return (VAULT.events.open(loan.borrower_name_sealed, recipient="loans"),
            VAULT.events.open(loan.payee_account_sealed, recipient="loans"))

"""Policy as data, caps across programmes, expiry on the service's own schedule, withdrawal and appeal,
on a real schema."""

import asyncio
import json
import uuid
from datetime import date, timedelta

import pytest

from contracts.eligibility import CaseAppealedV1, EligibilityAssessedV1, HardshipFileExpiredV1, HardshipFileGradedV1
from eligibility import jobs, policies, service
from eligibility.domain import DecisionRefused, HardshipLevel, Inputs, assess
from eligibility.policy import HardshipStandards, ProgrammeRules, parse, read_dir
from eligibility.service import AppealIn, Applicant, ApprovalsIn, MemberIn, RejectionIn
from siji_cli.synthetic import members
from siji_shared.auth import Role
from support.service import hardship_file, principal

CW = principal("cw-1", Role.CASEWORKER)
AP_1, AP_2 = principal("ap-1", Role.APPROVER), principal("ap-2", Role.APPROVER)
SHIPPED = dict((d.rule_set_id, d) for _, d in read_dir())


async def in_tx(elig, work):
    async with elig.pool.acquire() as conn, conn.transaction():
        return await work(conn)


async def open_files(elig, files):
    return await in_tx(elig, lambda conn: service.open_hardship_files(conn, elig.vault, CW, files))


async def register(elig, member, *, programme="winter-warmth", campaign="c-1", **facts):
    done = await in_tx(elig, lambda conn: service.register_cases(
        conn, elig.vault, CW, programme=programme, campaign=campaign, year=2026,
        applicants=[Applicant(member.national_id, member.name, member.account,
                              facts=service.ApplicationFacts(**facts))]))
    return done.body[0], done.events


def next_version(document, **changes):
    return parse({**document.model_dump(mode="json"), "version": document.version + 1, **changes})


async def test_a_loaded_version_never_changes_and_a_new_one_leaves_old_decisions_as_they_were(elig):
    person = members(2, region="taicang", seed=11)
    await open_files(elig, [hardship_file(person[0], HardshipLevel.DEEP)])
    old, _ = await register(elig, person[0])
    assert (old["amount_fen"], old["rule_set"]) == (80000, {"id": "winter-warmth/taicang/2026", "version": 1})

    again = await in_tx(elig, lambda conn: policies.load(conn, read_dir(), loaded_by="admin"))
    assert {item.status for item in again} == {"unchanged"}
    winter = SHIPPED["winter-warmth/taicang/2026"]
    tampered = parse({**winter.model_dump(mode="json"), "hardship_tiers": {"deep": 1, "relative": 1, "accident": 1}})
    with pytest.raises(policies.VersionConflict, match="give the new rules version 2"):
        await in_tx(elig, lambda conn: policies.load(conn, [("tampered.json", tampered)], loaded_by="admin"))
    async with elig.pool.acquire() as conn:
        with pytest.raises(Exception, match="cannot change"):
            await conn.execute("UPDATE rule_sets SET rules = '{}' WHERE version = 1")

    v2 = next_version(winter, hardship_tiers={"deep": 90000, "relative": 55000, "accident": 110000})
    loaded = await in_tx(elig, lambda conn: policies.load(conn, [("v2.json", v2)], loaded_by="admin"))
    assert loaded[0].status == "loaded"
    new, _ = await register(elig, person[0], campaign="c-2")
    assert (new["amount_fen"], new["rule_set"]["version"]) == (90000, 2)

    async with elig.pool.acquire() as conn:
        case = await service.show_case(conn, elig.vault, CW, uuid.UUID(old["case_id"]))
        changes = await policies.compare(conn, "winter-warmth/taicang/2026", 1, 2)
    assert (case["amount_fen"], case["rule_set"]["version"], case["assessment"]["decision_hash"]) == (
        80000, 1, old["decision_hash"]), "the past decision stands under the version it used"
    stored = case["assessment"]["inputs"]
    rederived = assess(winter, Inputs(hardship_level=HardshipLevel(stored["hardship_level"]),
                                      hardship_valid_until=date.fromisoformat(stored["hardship_valid_until"]),
                                      member_cap_left_fen=stored["member_cap_left_fen"],
                                      household_cap_left_fen=stored["household_cap_left_fen"]))
    assert (rederived.amount_fen, rederived.decision_hash) == (80000, old["decision_hash"]), "re-derivable"
    assert {c["path"] for c in changes["changes"]} >= {"hardship_tiers.deep", "version"}


async def test_the_household_cap_holds_when_two_cases_are_decided_at_once(elig):
    """Two members of one household, two programmes, two transactions at the same moment: the cap
    that only one award fits is not passed by both."""
    standards = SHIPPED["hardship-standards/taicang/2026"]
    tight = next_version(standards, caps={"per_member_per_year_fen": 3_000_000, "per_household_per_year_fen": 100_000})
    assert isinstance(tight, HardshipStandards)
    await in_tx(elig, lambda conn: policies.load(conn, [("tight.json", tight)], loaded_by="admin"))
    wife, husband = members(2, region="taicang", seed=12)
    await open_files(elig, [hardship_file(wife, HardshipLevel.DEEP, household_id="H-12"),
                            hardship_file(husband, HardshipLevel.DEEP, household_id="H-12")])

    answers = await asyncio.gather(register(elig, wife, programme="winter-warmth", campaign="ww"),
                                   register(elig, husband, programme="living-relief", campaign="lr"))
    amounts = sorted(a["amount_fen"] for a, _ in answers)
    assert sum(amounts) == 100_000, "the household's yearly cap, not 80,000 + 100,000"
    assert amounts in ([0, 100_000], [20_000, 80_000])
    assert sum(any("household's yearly cap" in reason for reason in a["reasons"]) for a, _ in answers) == 1

    rejected = next(a for a, _ in answers if a["amount_fen"] > 0 and a["status"] == "eligible")
    await in_tx(elig, lambda conn: service.reject_case(conn, AP_1, uuid.UUID(rejected["case_id"]),
                                                       RejectionIn(reason="duplicate application")))
    third = members(3, region="taicang", seed=12)[2]
    await open_files(elig, [hardship_file(third, HardshipLevel.DEEP, household_id="H-12")])
    after, _ = await register(elig, third, campaign="ww")
    assert after["amount_fen"] > 0, "a rejection gives its award back under the cap"


async def test_the_service_expires_files_on_its_own_schedule(elig):
    person = members(1, region="taicang", seed=13)[0]
    graded = await open_files(elig, [hardship_file(person, HardshipLevel.RELATIVE)])
    valid_until = date.fromisoformat(graded.body[0]["valid_until"])
    assert 365 <= (valid_until - date.today()).days <= 366, "the standards' twelve months"
    assert [type(e.payload) for e in graded.events] == [HardshipFileGradedV1]
    async with elig.pool.acquire() as conn:
        await conn.execute("UPDATE hardship_files SET valid_until = $1", date.today() - timedelta(days=1))
    elig.settings.expiry_interval_seconds = 0.1
    loop = asyncio.create_task(jobs.background(elig)[0])
    try:
        async with asyncio.timeout(10):
            while True:
                async with elig.pool.acquire() as conn:
                    if await conn.fetchval("SELECT status FROM hardship_files") == "expired":
                        break
                await asyncio.sleep(0.05)
    finally:
        loop.cancel()
    async with elig.pool.acquire() as conn:
        staged = await conn.fetchval("SELECT event_type FROM outbox WHERE event_type LIKE 'hardship_file.%' "
                                     "ORDER BY id DESC LIMIT 1")
    assert staged == HardshipFileExpiredV1.event_type
    answer, _ = await register(elig, person)
    assert answer["status"] == "ineligible" and "expired" in answer["reasons"][1]

    reviewed = await open_files(elig, [hardship_file(person, HardshipLevel.DEEP)])
    assert reviewed.body[0]["opened"] is False and reviewed.events[0].payload.level_before == "relative"
    assert (await register(elig, person, campaign="c-after-review"))[0]["status"] == "eligible"


async def test_an_appeal_is_reassessed_and_decided_by_another_approver_with_the_whole_trail(elig):
    person = members(1, region="taicang", seed=14)[0]
    await open_files(elig, [hardship_file(person, HardshipLevel.RELATIVE)])
    case, _ = await register(elig, person)
    case_id = uuid.UUID(case["case_id"])
    await in_tx(elig, lambda conn: service.reject_case(conn, AP_1, case_id, RejectionIn(reason="资料不全 papers missing")))

    appeal = AppealIn(grounds="补交了收入证明 income papers now supplied")
    appealed = await in_tx(elig, lambda conn: service.appeal_case(conn, elig.vault, CW, case_id, appeal))
    assert appealed.body["status"] == "eligible" and appealed.body["excluded_approvers"] == ["ap-1"]
    assert [type(e.payload) for e in appealed.events] == [CaseAppealedV1, EligibilityAssessedV1]

    with pytest.raises(DecisionRefused, match="only an ineligible or rejected case"):
        await in_tx(elig, lambda conn: service.appeal_case(conn, elig.vault, CW, case_id, appeal))
    refused = await in_tx(elig, lambda conn: service.approve_cases(conn, elig.vault, AP_1, campaign=None,
                                                                   selection=ApprovalsIn(case_ids=[case_id])))
    assert refused.body[0]["status"] == "refused" and "different approver" in refused.body[0]["reason"]
    approved = await in_tx(elig, lambda conn: service.approve_cases(conn, elig.vault, AP_2, campaign=None,
                                                                    selection=ApprovalsIn(case_ids=[case_id])))
    assert approved.body[0]["status"] == "approved"

    async with elig.pool.acquire() as conn:
        page = await service.show_case(conn, elig.vault, CW, case_id)
    assert [(h["action"], h["by"]) for h in page["history"]] == [
        ("registered", "cw-1"), ("rejected", "ap-1"), ("appealed", "cw-1"), ("reassessed", "cw-1"), ("approved", "ap-2")]
    assert page["history"][1]["reason"] == "资料不全 papers missing" and "income papers" in page["history"][2]["grounds"]
    assert page["member"]["name"].startswith(person.name[0]) and "*" in page["member"]["name"]
    assert page["member"]["payee_account"].endswith(person.account[-4:]) and person.account not in json.dumps(page)
    assert page["assessment"]["rule_set"] == {"id": "winter-warmth/taicang/2026", "version": 1}
    assert all(r["zh"] and r["en"] for r in page["assessment"]["rules_fired"])


async def test_an_ineligible_case_appealed_after_its_file_is_opened_becomes_eligible(elig):
    person = members(1, region="taicang", seed=15)[0]
    case, _ = await register(elig, person)
    assert case["status"] == "ineligible"
    await open_files(elig, [hardship_file(person, HardshipLevel.DEEP)])
    appealed = await in_tx(elig, lambda conn: service.appeal_case(
        conn, elig.vault, CW, uuid.UUID(case["case_id"]), AppealIn(grounds="file opened since")))
    assert (appealed.body["status"], appealed.body["amount_fen"]) == ("eligible", 80000)


async def test_categories_from_the_member_registry_and_withdrawal(elig):
    nurse, courier = members(2, region="taicang", seed=16)
    await in_tx(elig, lambda conn: service.upsert_members(conn, elig.vault, CW, [
        MemberIn(national_id=nurse.national_id, name=nurse.name, union_name="太仓市第一人民医院工会",
                 occupation="medical"),
        MemberIn(national_id=courier.national_id, name=courier.name, union_name="快递行业工会", occupation="gig",
                 model_worker=True)]))
    as_nurse, _ = await register(elig, nurse)
    as_courier, _ = await register(elig, courier)
    assert (as_nurse["tier"], as_nurse["amount_fen"]) == ("category:medical", 30000)
    assert (as_courier["tier"], as_courier["amount_fen"]) == ("category:model_worker", 50000), "the highest tier"
    withdrawn = await in_tx(elig, lambda conn: service.withdraw_case(
        conn, CW, uuid.UUID(as_nurse["case_id"]), RejectionIn(reason="applied twice by mistake")))
    assert withdrawn.body["status"] == "withdrawn"
    async with elig.pool.acquire() as conn:
        left = await conn.fetchval("SELECT awarded_fen FROM award_totals WHERE subject LIKE 'member:%' "
                                   "ORDER BY awarded_fen LIMIT 1")
    assert left == 0, "a withdrawn award no longer counts against the caps"


async def test_a_household_above_the_line_gets_no_file_and_is_told_why(elig):
    person = members(1, region="taicang", seed=17)[0]
    graded = await open_files(elig, [service.HardshipFileIn(
        national_id=person.national_id, name=person.name, household_size=2, income_fen_per_month=900_000)])
    assert graded.body[0]["status"] == "refused" and "150%" in graded.body[0]["reason"] and not graded.events
    assert isinstance(SHIPPED["autumn-education-aid/taicang/2026"], ProgrammeRules)

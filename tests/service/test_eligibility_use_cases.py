"""Eligibility's use cases on a real schema: set-based registration and batch approval with mixed outcomes."""

import uuid

import asyncpg
import pytest

from contracts.eligibility import CaseApprovedV2, CaseRegisteredV1, CaseRejectedV1, EligibilityAssessedV1
from eligibility import service
from eligibility.domain import HardshipLevel
from eligibility.service import Applicant, ApprovalsIn
from siji_cli.synthetic import members
from siji_shared.auth import Role
from support.service import VAULT, hardship_file, principal

CASEWORKER = principal("cw-1", Role.CASEWORKER)
APPROVER_1, APPROVER_2 = principal("ap-1", Role.APPROVER), principal("ap-2", Role.APPROVER)
ELSEWHERE = principal("ap-fz", Role.APPROVER, region="fuzhou")
LEVELS = [HardshipLevel.DEEP, HardshipLevel.RELATIVE, HardshipLevel.ACCIDENT, None]


async def register(elig, people, *, import_id=None, campaign="c-1"):
    async with elig.pool.acquire() as conn, conn.transaction():
        return await service.register_cases(
            conn, elig.vault, CASEWORKER, programme="winter-warmth", campaign=campaign, year=2026,
            import_id=import_id, applicants=[Applicant(m.national_id, m.name, m.account, row=i + 2)
                                             for i, m in enumerate(people)])


async def open_files(elig, people):
    files = [hardship_file(m, LEVELS[i % 4]) for i, m in enumerate(people) if LEVELS[i % 4]]
    async with elig.pool.acquire() as conn, conn.transaction():
        await service.open_hardship_files(conn, elig.vault, CASEWORKER, files)


async def approve(elig, who, selection, campaign="c-1"):
    async with elig.pool.acquire() as conn, conn.transaction():
        return await service.approve_cases(conn, elig.vault, who, campaign=campaign, selection=selection)


async def test_a_batch_is_registered_and_assessed_in_one_go_with_two_events_per_case(elig):
    people = members(40, region="taicang", seed=1)
    await open_files(elig, people)
    done = await register(elig, people)

    statuses = [a["status"] for a in done.body]
    assert statuses == ["ineligible" if LEVELS[i % 4] is None else "eligible" for i in range(40)]
    assert [a["amount_fen"] for a in done.body[:3]] == [80000, 50000, 100000], "taicang's tiers"
    assert [a["approvals_required"] for a in done.body[:3]] == [1, 1, 2], "second approver above 80,000 fen"
    assert "no valid hardship file" in done.body[3]["reasons"][1]
    assert [type(e.payload) for e in done.events] == [CaseRegisteredV1, EligibilityAssessedV1] * 40
    assert all(e.payload.member_ref and len(e.payload.member_ref) == 64 for e in done.events[::2])


async def test_a_repeat_by_hand_is_assessed_but_a_list_row_is_not_registered_twice(elig):
    people = members(3, region="taicang", seed=2)
    await open_files(elig, people)
    first = await register(elig, people[:1])
    again = await register(elig, people[:1])
    assert first.body[0]["status"] == "eligible"
    assert again.body[0]["status"] == "ineligible" and "already awarded 1 time(s)" in again.body[0]["reasons"][1]

    async with elig.pool.acquire() as conn:
        await conn.execute("INSERT INTO imports (import_id, kind, region, campaign, filename, file_sha256, status, "
                           "rows_read, accepted, rejected, imported_by) VALUES ($1, 'cases', 'taicang', 'c-1', 'f', "
                           "'x', 'completed', 0, 0, 0, 'cw-1')", import_id := uuid.uuid4())
    listed = await register(elig, people, import_id=import_id)
    assert [a["status"] for a in listed.body] == ["already_registered", "eligible", "eligible"]
    assert listed.body[0]["case_id"] == first.body[0]["case_id"]
    assert len(listed.events) == 4, "two cases registered, two events each"


async def test_cases_and_imports_are_kept_for_good(elig):
    """History rows name their case, and cases their import, without a foreign key: deleting is refused."""
    people = members(1, region="taicang", seed=3)
    await open_files(elig, people)
    await register(elig, people)
    async with elig.pool.acquire() as conn:
        await conn.execute("INSERT INTO imports (import_id, kind, region, campaign, filename, file_sha256, status, "
                           "rows_read, accepted, rejected, imported_by) VALUES ($1, 'cases', 'taicang', 'c-1', 'f', "
                           "'x', 'completed', 0, 0, 0, 'cw-1')", uuid.uuid4())
        for table in ("cases", "imports"):
            with pytest.raises(asyncpg.RestrictViolationError, match=f"{table} rows are kept for good"):
                await conn.execute(f"DELETE FROM {table}")
        assert await conn.fetchval("SELECT count(*) FROM case_history h JOIN cases USING (case_id)") >= 1


async def test_batch_approval_answers_per_case_and_checks_each(elig):
    people = members(8, region="taicang", seed=3)
    await open_files(elig, people)
    cases = [uuid.UUID(a["case_id"]) for a in (await register(elig, people)).body]
    eligible = [c for i, c in enumerate(cases) if LEVELS[i % 4]]  # 6: amounts 80000, 50000, 100000 twice each
    unknown = uuid.uuid4()

    by_maker = await approve(elig, CASEWORKER.model_copy(update={"role": Role.APPROVER}),
                             ApprovalsIn(case_ids=eligible[:1]))
    assert by_maker.body[0]["status"] == "refused"
    assert "registered a case may not approve" in by_maker.body[0]["reason"]

    first = await approve(elig, APPROVER_1, ApprovalsIn(case_ids=[*eligible, unknown]))
    answers = {a["case_id"]: a for a in first.body}
    assert answers[str(unknown)]["status"] == "refused" and answers[str(unknown)]["refusal"] == "not_found"
    assert [answers[str(c)]["status"] for c in eligible] == ["approved", "approved", "awaiting_second_approval"] * 2
    assert [type(e.payload) for e in first.events] == [CaseApprovedV2] * 4
    accounts = {VAULT.events.open(e.payload.payee_account_sealed, recipient="disbursement") for e in first.events}
    assert accounts <= {m.account for m in people}, "sealed for disbursement, never in clear"
    assert not {m.account for m in people} & {e.payload.payee_account_sealed for e in first.events}

    again = await approve(elig, APPROVER_1, ApprovalsIn(case_ids=[eligible[2]]))
    assert again.body[0]["status"] == "refused" and "already approved this case" in again.body[0]["reason"]
    wrong_region = await approve(elig, ELSEWHERE, ApprovalsIn(case_ids=[eligible[2]]))
    assert wrong_region.body[0]["refusal"] == "forbidden"
    second = await approve(elig, APPROVER_2, ApprovalsIn(case_ids=[eligible[2], eligible[5], eligible[0]]))
    assert [a["status"] for a in sorted(second.body, key=lambda a: eligible.index(uuid.UUID(a["case_id"])))] == \
        ["refused", "approved", "approved"]
    assert [e.payload.approved_by for e in second.events] == [("ap-1", "ap-2")] * 2


async def test_batch_rejection_answers_per_case_and_gives_the_awards_back(elig):
    people = members(8, region="taicang", seed=4)
    await open_files(elig, people)
    cases = [uuid.UUID(a["case_id"]) for a in (await register(elig, people)).body]
    eligible = [c for i, c in enumerate(cases) if LEVELS[i % 4]]
    ineligible = [c for i, c in enumerate(cases) if not LEVELS[i % 4]]
    await approve(elig, APPROVER_1, ApprovalsIn(case_ids=eligible[:1]))

    async def reject(who, case_ids):
        async with elig.pool.acquire() as conn, conn.transaction():
            return await service.reject_cases(conn, who, campaign="c-1", case_ids=case_ids, reason="收入超标 income")

    async def awarded():
        async with elig.pool.acquire() as conn:
            return await conn.fetchval("SELECT sum(awarded_fen) FROM award_totals WHERE subject LIKE 'member:%'")

    before = await awarded()
    by_maker = await reject(CASEWORKER.model_copy(update={"role": Role.APPROVER}), eligible[1:2])
    assert by_maker.body[0]["refusal"] == "rules" and "registered a case may not decide" in by_maker.body[0]["reason"]
    assert (await reject(ELSEWHERE, eligible[1:2])).body[0]["refusal"] == "forbidden"

    done = await reject(APPROVER_2, [*eligible, ineligible[0], unknown := uuid.uuid4()])
    answers = {a["case_id"]: a for a in done.body}
    assert answers[str(unknown)]["refusal"] == "not_found"
    assert answers[str(eligible[0])]["status"] == "refused" and "approved" in answers[str(eligible[0])]["reason"]
    assert answers[str(ineligible[0])]["status"] == "refused"
    assert [answers[str(c)]["status"] for c in eligible[1:]] == ["rejected"] * 5
    assert [(type(e.payload), e.payload.case_id) for e in done.events] == [(CaseRejectedV1, c) for c in eligible[1:]]
    assert before - await awarded() == 50000 + 100000 * 2 + 80000 + 50000, "the five awards back under the caps"
    async with elig.pool.acquire() as conn:
        rows = await conn.fetch("SELECT status, decided_by, decision_reason FROM cases WHERE case_id = ANY($1)",
                                eligible[1:])
        trail = await conn.fetchval("SELECT count(*) FROM case_history WHERE action = 'rejected' AND case_id = ANY($1)",
                                    eligible[1:])
    assert {tuple(r) for r in rows} == {("rejected", "ap-2", "收入超标 income")} and trail == 5

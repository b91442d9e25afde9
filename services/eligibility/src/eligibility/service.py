"""Eligibility use cases. Each takes a batch (a list of one for the single-case routes) and its
collaborators, runs inside the caller's transaction with one statement per step, and returns what it
answers and the events it emits; the caller (an HTTP route through `idempotent`, the import driver,
the consumer) stages the events."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, Field, model_validator
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength, ValidationError
from uuid_utils.compat import uuid7

from contracts import Envelope, new_envelope
from contracts.disbursement import (
    PaymentFailedV1,
    PaymentInstructedV1,
    PaymentReturnedV1,
    PaymentSettledV1,
    PaymentWaitingV1,
)
from contracts.eligibility import (
    CaseAppealedV1,
    CaseApprovedV2,
    CasePayeeCorrectedV2,
    CaseRegisteredV1,
    CaseRejectedV1,
    CaseWithdrawnV1,
    EligibilityAssessedV1,
    HardshipFileExpiredV1,
    HardshipFileGradedV1,
    LoanApprovedV2,
    WorkerRegisteredV1,
)
from contracts.types import Code
from eligibility import repository as repo
from eligibility.domain import (
    Assessment,
    CaseForDecision,
    DecisionRefused,
    Inputs,
    LoanFacts,
    RegistrationFacts,
    add_approval,
    assess,
    assess_loan,
    assess_registration,
    check_appeal,
    check_rejection,
    check_withdrawal,
    file_in_force,
    grade_hardship,
)
from eligibility.policy import (
    BorrowerKind,
    Cause,
    Channel,
    HardshipStandards,
    LoanProgrammeRules,
    Occupation,
    ProgrammeRules,
    RegistrationRules,
    SchoolLevel,
)
from siji_shared.auth import Principal
from siji_shared.dates import add_months
from siji_shared.db import together
from siji_shared.pii import (
    InvalidNationalId,
    PiiVault,
    mask_account,
    mask_name,
    mask_national_id,
    normalise_national_id,
    validate_national_id,
)
from siji_shared.usecase import Done

PRODUCER = "eligibility"
log = structlog.get_logger(__name__)
ACCOUNT_PATTERN = r"^[0-9]{12,30}$"
MAX_SELECTION = 100_000
MAX_LOAN_APPLICATIONS = 5_000
EVENT_SLICE = 500  # approvals' events made between turns of the event loop, so their statements go on meanwhile
RuleSet = ProgrammeRules | LoanProgrammeRules | RegistrationRules


def national_id(value: str) -> str:
    """Normalised (full-width digits, spaces, lowercase x) and checked (GB 11643), or InvalidNationalId."""
    return validate_national_id(normalise_national_id(value))


class InvalidCreditCode(ValueError):
    """Not a unified social credit code (统一社会信用代码, GB 32100-2015); the message says why."""


def credit_code(value: str) -> str:
    """Normalised (full-width characters, spaces and hyphens, lowercase) and checked (GB 32100-2015:
    18 characters, the last a check character), or InvalidCreditCode."""
    try:
        return uscc.validate("".join(unicodedata.normalize("NFKC", value).split()).upper())
    except InvalidLength as exc:
        raise InvalidCreditCode("统一社会信用代码应为 18 位（a unified social credit code has 18 characters）") from exc
    except InvalidChecksum as exc:
        raise InvalidCreditCode("统一社会信用代码校验位错误（the unified social credit code's check character is wrong, "
                                "GB 32100）") from exc
    except ValidationError as exc:
        raise InvalidCreditCode("统一社会信用代码含不允许的字符（a unified social credit code has 8 digits, then digits "
                                "and capital letters other than I, O, S, V, Z）") from exc


class MemberIn(BaseModel):
    """A union member in the registry (会员): who, which grassroots union, which groups they belong to."""

    national_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    union_name: str = Field(min_length=1, max_length=200, description="the grassroots union (基层工会), the employer's")
    occupation: str = Field(pattern="^(frontline|gig|medical|other)$",
                            description="frontline (一线/户外), gig (新就业形态), medical (医务人员), other")
    model_worker: bool = False
    hardship_cadre: bool = False
    household_id: str | None = Field(None, max_length=40, description="户号: members of one household share it")


class HardshipFileIn(BaseModel):
    """A household's circumstances; the hardship level is graded from them under the region's standards."""

    national_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    household_size: int = Field(ge=1, le=30)
    income_fen_per_month: int = Field(ge=0, le=10**12, description="the household's income per month, in fen")
    causes: frozenset[Cause] = frozenset()
    household_id: str | None = Field(None, max_length=40)


class ApplicationFacts(BaseModel):
    """What an application brings besides the member: the school a child enters (autumn aid), its
    admission record, out-of-pocket medical costs (serious-illness relief)."""

    school_level: SchoolLevel | None = None
    admission_ref: str | None = Field(None, max_length=100, description="the admission letter's number")
    out_of_pocket_fen: int | None = Field(None, ge=0, le=10**12)


class CaseIn(ApplicationFacts):
    programme: Code
    campaign: Code
    year: int = Field(ge=2000, le=2100)
    national_id: str = Field(min_length=1, max_length=40)
    payee_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=ACCOUNT_PATTERN)


@dataclass(frozen=True)
class Applicant:
    """One application: from the single-case route, or a valid row of a campaign list."""

    national_id: str  # validated and normalised
    payee_name: str
    payee_account: str
    row: int | None = None
    facts: ApplicationFacts = field(default_factory=ApplicationFacts)


@dataclass(frozen=True)
class Registrant:
    """A worker registering for help in kind (summer cooling): a valid row of a registration roster."""

    national_id: str  # validated and normalised
    name: str
    occupation: Occupation
    site: str         # the worksite or union station (工会驿站) serving them, a code
    channel: Channel
    row: int | None = None


class ApprovalsIn(BaseModel):
    """A reviewed selection: listed case ids, or every eligible case of an import."""

    case_ids: list[UUID] = Field(default_factory=list, max_length=MAX_SELECTION)
    import_id: UUID | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> ApprovalsIn:
        if bool(self.case_ids) == (self.import_id is not None):
            raise ValueError("give either case_ids or import_id")
        return self


class RejectionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class RejectionsIn(RejectionIn):
    """A reviewed selection turned down for one reason."""

    case_ids: list[UUID] = Field(min_length=1, max_length=MAX_SELECTION)


class CaseSearchIn(BaseModel):
    q: str = Field(min_length=1, max_length=64, description="a case id, or a member's national ID")
    limit: int = Field(100, ge=1, le=1000)


class PayeeIn(BaseModel):
    """The payee's corrected account after the bank returned a payment."""

    payee_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=ACCOUNT_PATTERN)


class AppealIn(BaseModel):
    grounds: str = Field(min_length=1, max_length=2000, description="the member's grounds (申诉理由)")


class LoanApplicationIn(BaseModel):
    """One borrower's application for an interest-subsidised loan (贴息贷款). An enterprise (小微企业)
    gives its unified social credit code, its staff, its new hires on contracts of a year or more and
    whether it is in wage or social-insurance arrears; an individual (个人创业者) gives a national ID."""

    borrower_kind: BorrowerKind
    credit_code: str | None = Field(None, max_length=40, description="统一社会信用代码: an enterprise's")
    national_id: str | None = Field(None, max_length=40, description="an individual's")
    name: str = Field(min_length=1, max_length=100, description="the enterprise's or the person's name")
    payee_account: str = Field(pattern=ACCOUNT_PATTERN)
    staff_count: int | None = Field(None, ge=0, le=10_000_000)
    new_hires: int | None = Field(None, ge=0, le=10_000_000, description="on contracts of a year or more")
    wage_arrears: bool | None = None
    social_insurance_arrears: bool | None = None
    amount_fen: int = Field(ge=1, le=1_000_000_000_000, description="the requested principal")
    term_months: int = Field(ge=1, le=120, description="the requested term")
    method: Literal["equal_instalment", "equal_principal", "interest_only"]


class LoanApplicationsIn(BaseModel):
    programme: Code
    campaign: Code = Field(description="the subsidy fund's code")
    year: int = Field(ge=2000, le=2100)
    applications: list[LoanApplicationIn] = Field(min_length=1, max_length=MAX_LOAN_APPLICATIONS)


@dataclass(frozen=True)
class LoanApplicant:
    """A valid loan application: `borrower_id` is the normalised credit code or national ID."""

    index: int
    borrower_id: str
    name: str
    payee_account: str
    method: str
    facts: LoanFacts


class ApplicationsInvalid(ValueError):
    """Loan applications that cannot be registered: one entry per problem, naming the application's
    index in the list (from 0), its field and the reason. Nothing is registered."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        super().__init__("; ".join(e["reason"] for e in errors))


def loan_applicants(applications: Sequence[LoanApplicationIn]) -> list[LoanApplicant]:
    """Each application checked and normalised, or ApplicationsInvalid naming every problem by index.
    Never echoes a national ID."""
    errors: list[dict[str, Any]] = []
    valid: list[LoanApplicant] = []
    for index, a in enumerate(applications):
        problems: list[tuple[str, str]] = []
        borrower_id = ""
        if a.borrower_kind is BorrowerKind.ENTERPRISE:
            if a.national_id is not None:
                problems.append(("national_id", "企业以统一社会信用代码申请，不填身份证号（an enterprise is known by its "
                                                "unified social credit code; give no national ID）"))
            if a.credit_code is None:
                problems.append(("credit_code", "企业须填统一社会信用代码（an enterprise gives its unified social credit "
                                                "code）"))
            else:
                try:
                    borrower_id = credit_code(a.credit_code)
                except InvalidCreditCode as exc:
                    problems.append(("credit_code", str(exc)))
            for name, label in (("staff_count", "在职职工人数"), ("new_hires", "新招用人数"),
                                ("wage_arrears", "是否拖欠工资"), ("social_insurance_arrears", "是否拖欠社保费")):
                if getattr(a, name) is None:
                    problems.append((name, f"企业须填{label}（an enterprise gives {name}）"))
            if a.staff_count == 0:
                problems.append(("staff_count", "企业在职职工人数至少为 1（an enterprise has at least 1 staff）"))
        else:
            if a.credit_code is not None:
                problems.append(("credit_code", "个人以身份证号申请，不填统一社会信用代码（an individual is known by a "
                                                "national ID; give no credit code）"))
            if a.national_id is None:
                problems.append(("national_id", "个人须填身份证号（an individual gives a national ID）"))
            else:
                try:
                    borrower_id = national_id(a.national_id)
                except InvalidNationalId as exc:
                    problems.append(("national_id", f"身份证号无效（{exc}）"))
        if a.staff_count is not None and a.new_hires is not None and a.new_hires > a.staff_count:
            problems.append(("new_hires", "新招用人数不能多于在职职工人数（new hires are part of the staff: no more than "
                                          "staff_count）"))
        if problems:
            errors += [{"index": index, "field": name, "reason": f"applications[{index}].{name}: {reason}"}
                       for name, reason in problems]
            continue
        valid.append(LoanApplicant(
            index=index, borrower_id=borrower_id, name=a.name, payee_account=a.payee_account, method=a.method,
            facts=LoanFacts(borrower_kind=a.borrower_kind, amount_fen=a.amount_fen, term_months=a.term_months,
                            staff_count=a.staff_count or 0, new_hires=a.new_hires or 0,
                            wage_arrears=bool(a.wage_arrears),
                            social_insurance_arrears=bool(a.social_insurance_arrears))))
    if errors:
        raise ApplicationsInvalid(errors)
    return valid


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


async def upsert_members(conn: asyncpg.Connection, vault: PiiVault, who: Principal,
                         members: Sequence[MemberIn]) -> Done:
    """Register or update members in the caller's region, one statement for the lot. Emits nothing:
    the registry is eligibility's own reference data."""
    new = [repo.NewMember(member_ref=(ref := vault.lookup_hash(m.national_id)), national_id_enc=vault.encrypt(m.national_id),
                          name_enc=vault.encrypt(m.name), union_name=m.union_name, occupation=m.occupation,
                          model_worker=m.model_worker, hardship_cadre=m.hardship_cadre,
                          household_ref=household_ref(vault, m.household_id, ref)) for m in members]
    if new:
        await repo.upsert_members(conn, new, region=who.region, updated_by=who.user)
    log.info("members registered", members=len(new), region=who.region, by=who.user)
    return Done([{"member_ref": m.member_ref, "occupation": m.occupation} for m in new])


def household_ref(vault: PiiVault, household_id: str | None, member_ref: str) -> str:
    """A keyed hash of the household number (户号), or the member alone as a household of one."""
    return vault.lookup_hash(f"household:{household_id.strip()}") if household_id else f"member:{member_ref}"


async def open_hardship_files(conn: asyncpg.Connection, vault: PiiVault, who: Principal,
                              files: Sequence[HardshipFileIn], *, today: date | None = None) -> Done:
    """Open or review members' hardship files in the caller's region, graded under the region's
    standards for the year; a household that grades as no hardship gets no file and is answered so.
    One statement for the lot."""
    if not files:
        return Done([])
    today = today or datetime.now(UTC).date()
    standards = await _standards(conn, who.region, today.year)
    graded = [(f, grade_hardship(standards, household_size=f.household_size,
                                 income_fen_per_month=f.income_fen_per_month, causes=f.causes)) for f in files]
    valid_until = add_months(today, standards.file_valid_months)
    new = []
    answers: list[dict[str, Any]] = []
    for f, grading in graded:
        ref = vault.lookup_hash(f.national_id)
        reasons = [vars(r) for r in grading.reasons]
        if grading.level is None:
            answers.append({"member_ref": ref, "status": "refused", "refusal": "rules", "level": None,
                            "reason": f"{grading.reasons[-1].zh}（{grading.reasons[-1].en}）", "grading": reasons})
            continue
        new.append(repo.NewHardshipFile(
            file_id=uuid7(), member_ref=ref, level=grading.level, national_id_enc=vault.encrypt(f.national_id),
            name_enc=vault.encrypt(f.name), valid_until=valid_until,
            household_ref=household_ref(vault, f.household_id, ref), household_size=f.household_size,
            income_fen_per_month=f.income_fen_per_month, causes=tuple(sorted(f.causes)),
            grading=json.dumps(reasons, ensure_ascii=False)))
        answers.append({"member_ref": ref, "status": "graded", "level": grading.level.value,
                        "valid_until": valid_until.isoformat(), "grading": reasons})
    rows = await repo.upsert_hardship_files(conn, new, region=who.region, opened_by=who.user, standards=standards) \
        if new else []
    by_ref = {r["member_ref"]: r for r in rows}
    events: list[Envelope] = []
    for answer in answers:
        row = by_ref.get(answer["member_ref"])
        if row is None:
            continue
        answer["file_id"] = str(row["file_id"])
        answer["region"] = who.region
        answer["opened"] = row["level_before"] is None
        events.append(new_envelope(HardshipFileGradedV1(
            file_id=row["file_id"], member_ref=row["member_ref"], region=who.region, level=row["level"],
            level_before=row["level_before"], valid_until=valid_until, standards_id=standards.rule_set_id,
            standards_version=standards.version, graded_by=who.user), producer=PRODUCER))
    log.info("hardship files graded", files=len(new), refused=len(answers) - len(new), region=who.region,
             standards=f"{standards.rule_set_id} v{standards.version}", by=who.user)
    return Done(answers, events)


async def expire_hardship_files(conn: asyncpg.Connection, *, today: date, limit: int = 5000) -> Done:
    """Files past their period stop new eligibility (dynamic management); run on the service's schedule."""
    rows = await repo.expire_hardship_files(conn, today=today, limit=limit)
    if rows:
        log.info("hardship files expired", files=len(rows))
    return Done(len(rows), [new_envelope(HardshipFileExpiredV1(
        file_id=r["file_id"], member_ref=r["member_ref"], region=r["region"], level=r["level"],
        valid_until=r["valid_until"]), producer=PRODUCER) for r in rows])


async def _standards(conn: asyncpg.Connection, region: str, year: int) -> HardshipStandards:
    standards = await repo.latest_hardship_standards(conn, region=region, year=year)
    if standards is None:
        raise NotFound(f"no hardship standards for region {region} in {year}; load the policies "
                       f"(siji policies load)")
    return standards


REGISTRATION_ROUTE = "import its registration roster with POST /campaigns/{campaign}/imports"


# The three kinds of rule set, each with where a caseworker takes its applications.
RULE_SET_KINDS: dict[str, tuple[Callable[..., Awaitable[Any]], str]] = {
    "case": (repo.latest_programme_rules, "register its cases with POST /cases or import its campaign list"),
    "loan": (repo.latest_loan_rules, "register its applications with POST /loan-applications"),
    "registration": (repo.latest_registration_rules, REGISTRATION_ROUTE),
}


async def _rule_set(conn: asyncpg.Connection, kind: str, programme: str, region: str, year: int) -> Any:
    """The programme's rule set of `kind` in force; else a 404 saying which kind the programme is and
    where its applications go, or that no rule set is loaded."""
    where = {"programme": programme, "region": region, "year": year}
    rules = await RULE_SET_KINDS[kind][0](conn, **where)
    if rules is not None:
        return rules
    for other, (latest, route) in RULE_SET_KINDS.items():
        if other != kind and await latest(conn, **where) is not None:
            raise NotFound(f"{programme} is a {other} programme, not a {kind} programme: {route}")
    raise NotFound(f"no {programme} {kind} programme for region {region} in {year}; load the policies")


async def _rules(conn: asyncpg.Connection, programme: str, region: str, year: int) -> ProgrammeRules:
    return await _rule_set(conn, "case", programme, region, year)


async def _loan_rules(conn: asyncpg.Connection, programme: str, region: str, year: int) -> LoanProgrammeRules:
    return await _rule_set(conn, "loan", programme, region, year)


async def _registration_rules(conn: asyncpg.Connection, programme: str, region: str,
                              year: int) -> RegistrationRules:
    return await _rule_set(conn, "registration", programme, region, year)


async def is_registration_programme(conn: asyncpg.Connection, *, programme: str, region: str, year: int) -> bool:
    """Whether the programme's rule set in force for the region and year is a registration programme: its
    campaign list is then a registration roster."""
    return await repo.latest_registration_rules(conn, programme=programme, region=region, year=year) is not None


def _cap_subjects(member_ref: str, household_ref: str | None) -> tuple[str, str]:
    """The member's and the household's rows in award_totals; no household (a case from before households
    were recorded) is the member's household of one, as `household_ref` makes it."""
    return f"member:{member_ref}", f"household:{household_ref or f'member:{member_ref}'}"


def _caps_left(standards: HardshipStandards, totals: dict[str, int], subjects: tuple[str, str]) -> tuple[int, int]:
    return (standards.caps.per_member_per_year_fen - totals[subjects[0]],
            standards.caps.per_household_per_year_fen - totals[subjects[1]])


async def register_cases(conn: asyncpg.Connection, vault: PiiVault, who: Principal, *, programme: str,
                         campaign: str, year: int, applicants: Sequence[Applicant], import_id: UUID | None = None,
                         today: date | None = None) -> Done:
    """Register and assess applications against the rule set in force, within the yearly caps across
    programmes (the member's and the household's totals are row-locked here, so two cases decided at
    once cannot both take what only one fits). A repeat application by hand is registered and assessed
    (the rules say how often a member may be paid); a campaign list's row for a member who already has
    a case in the campaign is not registered again and is answered `already_registered`."""
    rules = await _rules(conn, programme, who.region, year)
    standards = await _standards(conn, who.region, year)
    refs = [vault.lookup_hash(a.national_id) for a in applicants]
    from_list = import_id is not None
    await repo.lock_members_in_campaign(conn, campaign=campaign, member_refs=refs)
    existing = await repo.cases_of_members(conn, campaign=campaign, member_refs=refs)
    files = await repo.hardship_files(conn, region=who.region, member_refs=refs)
    members = await repo.members_of(conn, refs)
    households = {ref: _household_of(ref, members, files) for ref in refs}
    totals = await repo.lock_award_totals(conn, region=who.region, year=year, subjects=[
        s for ref in set(refs) for s in _cap_subjects(ref, households[ref])])
    today = today or datetime.now(UTC).date()

    answers: list[dict[str, Any]] = []
    new: list[repo.NewCase] = []
    awarded: dict[str, int] = {}
    added: dict[str, int] = {}
    for applicant, ref in zip(applicants, refs, strict=True):
        earlier = existing.get(ref, [])
        if from_list and earlier:
            answers.append({"row": applicant.row, "case_id": str(earlier[0]["case_id"]),
                            "status": "already_registered"})
            continue
        subjects = _cap_subjects(ref, households[ref])
        assessment = assess(rules, _inputs(
            files.get(ref), members.get(ref), applicant.facts, today=today,
            prior=sum(c["status"] in ("eligible", "approved") for c in earlier) + awarded.get(ref, 0),
            caps_left=_caps_left(standards, totals, subjects)))
        if assessment.eligible:
            awarded[ref] = awarded.get(ref, 0) + 1
            for subject in subjects:
                totals[subject] += assessment.amount_fen
                added[subject] = added.get(subject, 0) + assessment.amount_fen
        case = repo.NewCase(case_id=uuid7(), member_ref=ref, household_ref=households[ref],
                            payee_name_enc=vault.encrypt(applicant.payee_name),
                            payee_account_enc=vault.encrypt(applicant.payee_account), assessment=assessment,
                            application=applicant.facts.model_dump(mode="json", exclude_none=True),
                            import_row=applicant.row)
        new.append(case)
        answers.append({"row": applicant.row, "case_id": str(case.case_id), **_assessment_answer(assessment, rules)})
    events = await _store_registered(conn, new, who, programme=programme, campaign=campaign, year=year, rules=rules,
                                     import_id=import_id)
    await repo.add_award_totals(conn, region=who.region, year=year, amounts=added)
    log.info("cases registered", campaign=campaign, cases=len(new), eligible=sum(c.assessment.eligible for c in new),
             rule_set=f"{rules.rule_set_id} v{rules.version}", import_id=str(import_id) if import_id else None,
             by=who.user)
    return Done(answers, events)


def _registered_before(ref: str, existing: dict[str, list[asyncpg.Record]], in_batch: dict[str, UUID]) -> UUID | None:
    """The case a borrower or worker already has in the campaign (or earlier in this batch), if any."""
    earlier = existing.get(ref)
    return earlier[0]["case_id"] if earlier else in_batch.get(ref)


async def _store_registered(conn: asyncpg.Connection, new: list[repo.NewCase], who: Principal, *, programme: str,
                            campaign: str, year: int, rules: RuleSet, import_id: UUID | None) -> list[Envelope]:
    """Registered and assessed cases stored with their history; their case.registered and case.assessed."""
    await repo.insert_cases(conn, new, programme=programme, campaign=campaign, region=who.region, year=year,
                            rules=rules, registered_by=who.user, import_id=import_id)
    await repo.insert_history(conn, [(c.case_id, "registered", who.user, _assessment_summary(c.assessment, rules))
                                     for c in new])
    events: list[Envelope] = []
    for case in new:
        registered = new_envelope(CaseRegisteredV1(
            case_id=case.case_id, campaign=campaign, programme=programme, region=who.region, year=year,
            member_ref=case.member_ref, registered_by=who.user), producer=PRODUCER)
        events += [registered, _assessed_event(case.case_id, campaign, case.assessment, rules, causation=registered)]
    return events


def _household_of(ref: str, members: dict[str, repo.MemberFacts], files: dict[str, repo.FileFacts]) -> str:
    if ref in members:
        return members[ref].household_ref
    file = files.get(ref)
    return file.household_ref if file and file.household_ref else f"member:{ref}"


def _inputs(file: repo.FileFacts | None, member: repo.MemberFacts | None, facts: ApplicationFacts, *, today: date,
            prior: int, caps_left: tuple[int, int]) -> Inputs:
    valid = file is not None and file_in_force(valid_until=file.valid_until, active=file.active, today=today)
    return Inputs(
        hardship_level=file.level if file and valid else None,
        hardship_valid_until=file.valid_until if file else None,
        hardship_expired=file is not None and not valid,
        categories=member.categories if member else (),
        school_level=facts.school_level, admission_evidence=bool(facts.admission_ref),
        out_of_pocket_fen=facts.out_of_pocket_fen, prior_awards_in_campaign=prior,
        member_cap_left_fen=max(caps_left[0], 0), household_cap_left_fen=max(caps_left[1], 0))


def _assessment_answer(a: Assessment, rules: ProgrammeRules | RegistrationRules) -> dict[str, Any]:
    return {"status": "eligible" if a.eligible else "ineligible", "amount_fen": a.amount_fen, "tier": a.tier,
            "reasons": list(a.reasons), "rule_set": {"id": rules.rule_set_id, "version": rules.version},
            "decision_hash": a.decision_hash, "approvals_required": a.approvals_required}


def _assessment_summary(a: Assessment, rules: RuleSet) -> dict[str, Any]:
    return {"status": "eligible" if a.eligible else "ineligible", "amount_fen": a.amount_fen,
            "rule_set": f"{rules.rule_set_id} v{rules.version}", "decision_hash": a.decision_hash}


def _assessed_event(case_id: UUID, campaign: str, a: Assessment, rules: RuleSet, *,
                    causation: Envelope | None = None) -> Envelope:
    return new_envelope(EligibilityAssessedV1(
        case_id=case_id, campaign=campaign, eligible=a.eligible, amount_fen=a.amount_fen, tier=a.tier,
        rule_set_id=rules.rule_set_id, rule_set_version=rules.version, reasons=a.reasons,
        approvals_required=a.approvals_required, decision_hash=a.decision_hash, inputs=json.loads(a.inputs_json)),
        producer=PRODUCER, causation=causation)


async def register_loans(conn: asyncpg.Connection, vault: PiiVault, who: Principal, *, programme: str,
                         campaign: str, year: int, applicants: Sequence[LoanApplicant]) -> Done:
    """Register and assess loan applications (贴息贷款) under the loan programme in force in the caller's
    region: one statement per step for the batch. Each is a case: `member_ref` the keyed hash of the
    credit code or national ID, the name and account encrypted, the loan facts under "loan" in its
    application (the credit code, public, in clear; never a national ID), its amount the approved
    principal. A borrower who already has a case in the campaign (or earlier in the batch) is answered
    `already_registered` and not registered again. Loans are outside the yearly award caps."""
    rules = await _loan_rules(conn, programme, who.region, year)
    refs = [vault.lookup_hash(a.borrower_id) for a in applicants]
    await repo.lock_members_in_campaign(conn, campaign=campaign, member_refs=refs)
    existing = await repo.cases_of_members(conn, campaign=campaign, member_refs=refs)
    answers: list[dict[str, Any]] = []
    new: list[repo.NewCase] = []
    in_batch: dict[str, UUID] = {}
    for applicant, ref in zip(applicants, refs, strict=True):
        if (case_id := _registered_before(ref, existing, in_batch)) is not None:
            answers.append({"index": applicant.index, "case_id": str(case_id), "status": "already_registered"})
            continue
        assessment = assess_loan(rules, applicant.facts)
        case = repo.NewCase(case_id=uuid7(), member_ref=ref, household_ref=None,
                            payee_name_enc=vault.encrypt(applicant.name),
                            payee_account_enc=vault.encrypt(applicant.payee_account), assessment=assessment,
                            application={"loan": _loan_application(applicant, assessment)})
        in_batch[ref] = case.case_id
        new.append(case)
        answers.append({"index": applicant.index, "case_id": str(case.case_id), **_loan_answer(assessment, rules)})
    events = await _store_registered(conn, new, who, programme=programme, campaign=campaign, year=year, rules=rules,
                                     import_id=None)
    log.info("loan applications registered", campaign=campaign, cases=len(new),
             eligible=sum(c.assessment.eligible for c in new), already_registered=len(applicants) - len(new),
             rule_set=f"{rules.rule_set_id} v{rules.version}", by=who.user)
    return Done(answers, events)


def _loan_application(applicant: LoanApplicant, a: Assessment) -> dict[str, Any]:
    """The loan facts a case keeps (the approval's event is made from them); a credit code is public,
    a national ID is never kept in clear."""
    facts = applicant.facts
    enterprise = facts.borrower_kind is BorrowerKind.ENTERPRISE
    return {**({"credit_code": applicant.borrower_id} if enterprise else {}), **facts.as_json(),
            "term_months": a.term_months, "method": applicant.method}


def _loan_of(case: asyncpg.Record) -> dict[str, Any] | None:
    """A loan case's loan facts; None for a member's case."""
    loan = json.loads(case["application"] or "{}").get("loan")
    return loan if isinstance(loan, dict) else None


def _loan_answer(a: Assessment, rules: LoanProgrammeRules) -> dict[str, Any]:
    return {"status": "eligible" if a.eligible else "ineligible", "amount_fen": a.amount_fen,
            "term_months": a.term_months, "reasons": list(a.reasons), "approvals_required": a.approvals_required,
            "rule_set": {"id": rules.rule_set_id, "version": rules.version}, "decision_hash": a.decision_hash}


async def register_workers(conn: asyncpg.Connection, vault: PiiVault, who: Principal, *, programme: str,
                           campaign: str, year: int, registrants: Sequence[Registrant],
                           import_id: UUID | None = None) -> Done:
    """Register and assess workers for help in kind (summer cooling, 夏送清凉) under the registration
    programme in force in the caller's region: one statement per step for the batch. Each is a case:
    `member_ref` the keyed hash of the national ID, the name encrypted, no account (an empty string,
    encrypted: the column is never empty and a kit is never paid), the amount 0 fen, the occupation, site
    and channel under "registration" in its application (never the national ID). One registration per
    worker per campaign: a worker with any case in the campaign (or earlier in the batch) is answered
    `already_registered` and not registered again. Outside the yearly award caps."""
    rules = await _registration_rules(conn, programme, who.region, year)
    refs = [vault.lookup_hash(r.national_id) for r in registrants]
    await repo.lock_members_in_campaign(conn, campaign=campaign, member_refs=refs)
    existing = await repo.cases_of_members(conn, campaign=campaign, member_refs=refs)
    no_account = vault.encrypt("")
    assessed: dict[RegistrationFacts, Assessment] = {}
    answers: list[dict[str, Any]] = []
    new: list[repo.NewCase] = []
    in_batch: dict[str, UUID] = {}
    for registrant, ref in zip(registrants, refs, strict=True):
        if (case_id := _registered_before(ref, existing, in_batch)) is not None:
            answers.append({"row": registrant.row, "case_id": str(case_id), "status": "already_registered"})
            continue
        facts = RegistrationFacts(registrant.occupation, registrant.channel)
        if (assessment := assessed.get(facts)) is None:  # pure, and a roster has few distinct facts
            assessment = assessed[facts] = assess_registration(rules, facts)
        case = repo.NewCase(case_id=uuid7(), member_ref=ref, household_ref=None,
                            payee_name_enc=vault.encrypt(registrant.name), payee_account_enc=no_account,
                            assessment=assessment, import_row=registrant.row, application={"registration": {
                                "occupation": registrant.occupation.value, "site": registrant.site,
                                "channel": registrant.channel.value}})
        in_batch[ref] = case.case_id
        new.append(case)
        answers.append({"row": registrant.row, "case_id": str(case.case_id),
                        **_assessment_answer(assessment, rules)})
    events = await _store_registered(conn, new, who, programme=programme, campaign=campaign, year=year, rules=rules,
                                     import_id=import_id)
    log.info("workers registered", campaign=campaign, cases=len(new), eligible=sum(c.assessment.eligible for c in new),
             already_registered=len(registrants) - len(new), rule_set=f"{rules.rule_set_id} v{rules.version}",
             import_id=str(import_id) if import_id else None, by=who.user)
    return Done(answers, events)


def _registration_of(case: asyncpg.Record) -> dict[str, Any] | None:
    """A registration's facts (occupation, site, channel); None for any other case."""
    registration = json.loads(case["application"] or "{}").get("registration")
    return registration if isinstance(registration, dict) else None


def _approved_event(vault: PiiVault, case: asyncpg.Record, approvals: tuple[str, ...]) -> Envelope:
    """A member's case is paid (case.approved, disbursement pays it); a loan case is lent by the bank
    (loan.approved, the loans service's): its principal is never paid out as an award; a registration
    is served in kind at its site (WorkerRegisteredV1, the cooling service's): never paid either."""
    registration = _registration_of(case)
    if registration is not None:
        return new_envelope(WorkerRegisteredV1(
            case_id=case["case_id"], campaign=case["campaign"], programme=case["programme"], region=case["region"],
            year=case["year"], worker_ref=case["member_ref"], occupation=registration["occupation"],
            site=registration["site"], approved_by=approvals, rule_set_id=case["rule_set_id"],
            rule_set_version=case["rule_set_version"]), producer=PRODUCER)
    loan = _loan_of(case)
    if loan is None:
        account = vault.decrypt(case["payee_account_enc"])
        return new_envelope(CaseApprovedV2(
            case_id=case["case_id"], campaign=case["campaign"], programme=case["programme"],
            region=case["region"], amount_fen=case["amount_fen"], approved_by=approvals,
            rule_set_id=case["rule_set_id"], rule_set_version=case["rule_set_version"],
            payee_name_sealed=vault.events.seal(vault.decrypt(case["payee_name_enc"]), recipient="disbursement"),
            payee_account_sealed=vault.events.seal(account, recipient="disbursement"),
            payee_account_masked=mask_account(account)), producer=PRODUCER)
    return new_envelope(LoanApprovedV2(
        case_id=case["case_id"], campaign=case["campaign"], programme=case["programme"], region=case["region"],
        year=case["year"], borrower_kind=loan["borrower_kind"],
        borrower_ref=loan.get("credit_code") or case["member_ref"],
        borrower_name_sealed=vault.events.seal(vault.decrypt(case["payee_name_enc"]), recipient="loans"),
        payee_account_sealed=vault.events.seal(vault.decrypt(case["payee_account_enc"]), recipient="loans"),
        principal_fen=case["amount_fen"], term_months=loan["term_months"], method=loan["method"],
        staff_count=loan["staff_count"], new_hires=loan["new_hires"], approved_by=approvals,
        rule_set_id=case["rule_set_id"], rule_set_version=case["rule_set_version"]), producer=PRODUCER)


async def approve_cases(conn: asyncpg.Connection, vault: PiiVault, who: Principal, *, campaign: str | None,
                        selection: ApprovalsIn) -> Done:
    """Approve a reviewed selection, checking each case: the caller's region, not the registrant, a
    second approver where the amount needs one. Answers per case: approved, awaiting a second
    approver, or refused with the reason."""
    rows = await repo.cases_for_decision(conn, campaign=campaign, case_ids=selection.case_ids,
                                         import_id=selection.import_id)
    found = {r["case_id"] for r in rows}
    answers: list[dict[str, Any]] = [_not_found(i, campaign) for i in dict.fromkeys(selection.case_ids)
                                     if i not in found]
    decided: list[UUID] = []
    approved: list[bool] = []
    announced: list[tuple[asyncpg.Record, tuple[str, ...]]] = []
    for case in rows:
        try:
            ensure_region(who, case["region"])
            approvals, done = add_approval(_for_decision(case), who.user)
        except (Forbidden, DecisionRefused) as exc:
            answers.append(_refused(case, exc))
            continue
        decided.append(case["case_id"])
        approved.append(done)
        answers.append({"case_id": str(case["case_id"]), "status": "approved" if done else "awaiting_second_approval",
                        "approvals": list(approvals), "approvals_required": case["approvals_required"]})
        if done:
            announced.append((case, approvals))
    _, events = await together(_record_approvals(conn, who, decided, approved), _approved_events(vault, announced))
    log.info("approvals recorded", campaign=campaign, approved=sum(approved), awaiting=len(approved) - sum(approved),
             refused=len(answers) - len(decided), by=who.user)
    return Done(answers, events)


async def _record_approvals(conn: asyncpg.Connection, who: Principal, decided: list[UUID],
                            approved: list[bool]) -> None:
    await repo.record_approvals(conn, approver=who.user, case_ids=decided, approved=approved)
    await repo.insert_history(conn, [(case_id, "approved" if done else "approval_recorded", who.user, {})
                                     for case_id, done in zip(decided, approved, strict=True)])


async def _approved_events(vault: PiiVault, announced: list[tuple[asyncpg.Record, tuple[str, ...]]]) -> list[Envelope]:
    """The approvals' events, made (decrypting and sealing each payee) a slice at a time, letting the
    approvals' statements go on in PostgreSQL meanwhile."""
    events: list[Envelope] = []
    for start in range(0, len(announced), EVENT_SLICE):
        events += [_approved_event(vault, case, approvals) for case, approvals in announced[start:start + EVENT_SLICE]]
        await asyncio.sleep(0)
    return events


def _not_found(case_id: UUID, campaign: str | None) -> dict[str, Any]:
    return {"case_id": str(case_id), "status": "refused", "refusal": "not_found",
            "reason": f"没有此案件（no case {case_id}" + (f" in campaign {campaign}" if campaign else "") + "）"}


def _refused(case: asyncpg.Record, exc: Forbidden | DecisionRefused) -> dict[str, Any]:
    return {"case_id": str(case["case_id"]), "status": "refused",
            "refusal": "forbidden" if isinstance(exc, Forbidden) else "rules", "reason": str(exc)}


def single_answer(done: Done) -> Done:
    """The single-case routes answer with their case alone, and a refusal as its HTTP error."""
    answer = done.body[0]
    if answer.get("status") == "refused":
        raise {"not_found": NotFound, "forbidden": Forbidden, "rules": DecisionRefused}[answer["refusal"]](
            answer["reason"])
    return Done(answer, done.events)


async def reject_cases(conn: asyncpg.Connection, who: Principal, *, campaign: str | None, case_ids: list[UUID],
                       reason: str) -> Done:
    """An approver turns a selection of eligible cases down, with one reason, checking each case: the
    caller's region, not the registrant, not an approver an appeal excluded. Answers per case: rejected, or
    refused with the reason; the rejected cases' awards go back under the caps."""
    rows = await repo.cases_for_decision(conn, campaign=campaign, case_ids=case_ids, import_id=None)
    found = {r["case_id"] for r in rows}
    answers: list[dict[str, Any]] = [_not_found(i, campaign) for i in dict.fromkeys(case_ids) if i not in found]
    rejected: list[asyncpg.Record] = []
    for case in rows:
        try:
            ensure_region(who, case["region"])
            check_rejection(_for_decision(case), who.user)
        except (Forbidden, DecisionRefused) as exc:
            answers.append(_refused(case, exc))
            continue
        rejected.append(case)
        answers.append({"case_id": str(case["case_id"]), "status": "rejected", "reason": reason})
    events = await _close(conn, who, rejected, "rejected", reason, lambda case: CaseRejectedV1(
        case_id=case["case_id"], campaign=case["campaign"], rejected_by=who.user, reason=reason))
    return Done(answers, events)


async def reject_case(conn: asyncpg.Connection, who: Principal, case_id: UUID, command: RejectionIn) -> Done:
    return single_answer(await reject_cases(conn, who, campaign=None, case_ids=[case_id], reason=command.reason))


async def withdraw_case(conn: asyncpg.Connection, who: Principal, case_id: UUID, command: RejectionIn) -> Done:
    """The caseworker withdraws a case not yet decided (the member moved, applied by mistake)."""
    case = await _case_in_region(conn, who, case_id)
    check_withdrawal(_for_decision(case))
    events = await _close(conn, who, [case], "withdrawn", command.reason, lambda case: CaseWithdrawnV1(
        case_id=case_id, campaign=case["campaign"], withdrawn_by=who.user, reason=command.reason))
    return Done({"case_id": str(case_id), "status": "withdrawn", "reason": command.reason}, events)


async def _close(conn: asyncpg.Connection, who: Principal, cases: list[asyncpg.Record], status: str, reason: str,
                 event_of: Callable[[asyncpg.Record], CaseRejectedV1 | CaseWithdrawnV1]) -> list[Envelope]:
    """Cases that will not be paid: their status and reason, their awards back under the caps, their trail."""
    if not cases:
        return []
    await repo.close_cases(conn, case_ids=[c["case_id"] for c in cases], status=status, by=who.user, reason=reason)
    await _release_awards(conn, cases)
    await repo.insert_history(conn, [(c["case_id"], status, who.user, {"reason": reason}) for c in cases])
    log.info(f"cases {status}", cases=len(cases), by=who.user)
    return [new_envelope(event_of(c), producer=PRODUCER) for c in cases]


async def appeal_case(conn: asyncpg.Connection, vault: PiiVault, who: Principal, case_id: UUID, command: AppealIn, *,
                      today: date | None = None) -> Done:
    """An appeal (申诉) against an ineligible or rejected case: the case is re-assessed on today's facts
    under the rule set in force, and whoever decided it before may not decide it again."""
    case = await _case_in_region(conn, who, case_id)
    check_appeal(_for_decision(case))
    loan, registration = _loan_of(case), _registration_of(case)
    rules: RuleSet
    application = None
    if registration is not None:  # its facts are the roster's; the registration programme in force decides
        rules = await _registration_rules(conn, case["programme"], case["region"], case["year"])
        assessment = assess_registration(rules, RegistrationFacts.from_json(registration))
    elif loan is None:
        rules, assessment = await _reassess_member_case(conn, case, today=today or datetime.now(UTC).date())
    else:  # a loan's facts are its application's; the loan programme in force decides them again
        rules = await _loan_rules(conn, case["programme"], case["region"], case["year"])
        assessment = assess_loan(rules, LoanFacts.from_json(loan))
        application = {**json.loads(case["application"]), "loan": {**loan, "term_months": assessment.term_months}}
    excluded = [case["decided_by"]] if case["decided_by"] else []
    await repo.reassess_case(conn, case_id, assessment=assessment, rules=rules, excluded=excluded,
                             application=application)
    await repo.insert_history(conn, [(case_id, "appealed", who.user, {"grounds": command.grounds}),
                                     (case_id, "reassessed", who.user, _assessment_summary(assessment, rules))])
    log.info("case appealed and re-assessed", case_id=str(case_id), eligible=assessment.eligible, by=who.user)
    appealed = new_envelope(CaseAppealedV1(case_id=case_id, campaign=case["campaign"], appealed_by=who.user,
                                           grounds=command.grounds), producer=PRODUCER)
    answer = _loan_answer(assessment, rules) if isinstance(rules, LoanProgrammeRules) else \
        _assessment_answer(assessment, rules)
    return Done({"case_id": str(case_id), **answer, "excluded_approvers": [*case["excluded_approvers"], *excluded]},
                [appealed, _assessed_event(case_id, case["campaign"], assessment, rules, causation=appealed)])


async def _reassess_member_case(conn: asyncpg.Connection, case: asyncpg.Record, *,
                                today: date) -> tuple[ProgrammeRules, Assessment]:
    """A member's case assessed again on today's facts within the yearly caps; an award goes under them."""
    rules = await _rules(conn, case["programme"], case["region"], case["year"])
    standards = await _standards(conn, case["region"], case["year"])
    ref = case["member_ref"]
    files = await repo.hardship_files(conn, region=case["region"], member_refs=[ref])
    members = await repo.members_of(conn, [ref])
    subjects = _cap_subjects(ref, case["household_ref"] or _household_of(ref, members, files))
    totals = await repo.lock_award_totals(conn, region=case["region"], year=case["year"], subjects=list(subjects))
    others = await repo.cases_of_members(conn, campaign=case["campaign"], member_refs=[ref])
    prior = sum(c["status"] in ("eligible", "approved") for c in others.get(ref, [])
                if c["case_id"] != case["case_id"])
    assessment = assess(rules, _inputs(
        files.get(ref), members.get(ref), ApplicationFacts.model_validate(json.loads(case["application"])),
        today=today, prior=prior, caps_left=_caps_left(standards, totals, subjects)))
    if assessment.eligible:
        await repo.add_award_totals(conn, region=case["region"], year=case["year"],
                                    amounts=dict.fromkeys(subjects, assessment.amount_fen))
    return rules, assessment


async def correct_payee(conn: asyncpg.Connection, vault: PiiVault, who: Principal, case_id: UUID,
                        command: PayeeIn) -> Done:
    """After a return, the caseworker enters the corrected account; disbursement pays the entitlement
    again, once. Refused while the payment is anything but returned (in transit, settled, missing)."""
    case = await _case_in_region(conn, who, case_id)
    if case["payment_status"] != "returned":
        raise DecisionRefused(f"只有被银行退回的款项才能更正收款账户（only a payment the bank returned can be paid "
                              f"again to a corrected account; this one is {case['payment_status'] or 'not paid yet'}）")
    await repo.correct_payee(conn, case_id=case_id, name_enc=vault.encrypt(command.payee_name),
                             account_enc=vault.encrypt(command.payee_account))
    await repo.insert_history(conn, [(case_id, "payee_corrected", who.user,
                                      {"payee_account": mask_account(command.payee_account)})])
    log.info("payee corrected after a return", case_id=str(case_id), by=who.user)
    return Done({"case_id": str(case_id), "payment": {"returned": str(case["payment_id"]), "reissue": "requested"},
                 "payee_account": mask_account(command.payee_account)},
                [new_envelope(CasePayeeCorrectedV2(
                    case_id=case_id, campaign=case["campaign"], returned_payment_id=case["payment_id"],
                    corrected_by=who.user, payee_name_sealed=vault.events.seal(command.payee_name, recipient="disbursement"),
                    payee_account_sealed=vault.events.seal(command.payee_account, recipient="disbursement"),
                    payee_account_masked=mask_account(command.payee_account)), producer=PRODUCER)])


async def _release_awards(conn: asyncpg.Connection, cases: list[asyncpg.Record]) -> None:
    """Cases no longer to be paid give their amounts back to their members' and households' yearly totals;
    a loan case or a registration (0 fen) never counted under them."""
    by_year: dict[tuple[str, int], dict[str, int]] = {}
    for case in cases:
        if case["status"] == "eligible" and case["amount_fen"] > 0 and _loan_of(case) is None \
                and _registration_of(case) is None:
            amounts = by_year.setdefault((case["region"], case["year"]), {})
            for subject in _cap_subjects(case["member_ref"], case["household_ref"]):
                amounts[subject] = amounts.get(subject, 0) - case["amount_fen"]
    for (region, year), amounts in sorted(by_year.items()):
        await repo.lock_award_totals(conn, region=region, year=year, subjects=list(amounts))
        await repo.add_award_totals(conn, region=region, year=year, amounts=amounts)


def queue_search(vault: PiiVault, text: str) -> tuple[UUID | None, str | None]:
    """A queue search as (case id, member reference): a case id finds that case; a national ID finds its
    member's cases by the keyed hash registration stored (the ID itself is never looked up), or
    InvalidNationalId when it is neither."""
    try:
        return UUID(text.strip()), None
    except ValueError:
        return None, vault.lookup_hash(national_id(text))


async def show_case(conn: asyncpg.Connection, vault: PiiVault, who: Principal, case_id: UUID) -> dict:
    """The case page: the member (masked), the assessment with its rule version and reasons, every
    decision with who and when, and the payment's outcome."""
    case = await repo.case_by_id(conn, case_id)
    if case is None:
        raise NotFound(f"没有案件 {case_id}（no case {case_id}）")
    ensure_region(who, case["region"])
    history = await repo.case_history(conn, case_id)
    id_enc = await repo.member_national_id(conn, member_ref=case["member_ref"], region=case["region"])
    return {
        "case_id": str(case_id), "programme": case["programme"], "campaign": case["campaign"],
        "region": case["region"], "year": case["year"], "status": case["status"], "amount_fen": case["amount_fen"],
        "tier": case["tier"],
        "member": {"name": mask_name(vault.decrypt(case["payee_name_enc"])),
                   "payee_account": mask_account(vault.decrypt(case["payee_account_enc"])),
                   "national_id": mask_national_id(vault.decrypt(id_enc)) if id_enc else None,
                   "member_ref": case["member_ref"]},
        "assessment": {"rule_set": {"id": case["rule_set_id"], "version": case["rule_set_version"]},
                       "rules_fired": json.loads(case["reasons"]), "inputs": json.loads(case["inputs"] or "null"),
                       "decision_hash": case["decision_hash"], "application": json.loads(case["application"])},
        "reasons": [f"{r['zh']}（{r['en']}）" if isinstance(r, dict) else r for r in json.loads(case["reasons"])],
        "rule_set": {"id": case["rule_set_id"], "version": case["rule_set_version"]},
        "registered_by": case["registered_by"], "approvals": list(case["approvals"]),
        "approvals_required": case["approvals_required"], "decision_reason": case["decision_reason"],
        "excluded_approvers": list(case["excluded_approvers"]), "appeals": case["appeals"],
        "history": [{"action": h["action"], "by": h["actor"], "at": h["at"].isoformat(), **json.loads(h["detail"])}
                    for h in history],
        "import": {"id": str(case["import_id"]), "row": case["import_row"]} if case["import_id"] else None,
        "payee_account": mask_account(vault.decrypt(case["payee_account_enc"])),
        "payment": {"id": str(case["payment_id"]) if case["payment_id"] else None,
                    "status": case["payment_status"], "reason": case["payment_reason"]},
    }


PAYMENT_STATUS: dict[type, str] = {PaymentWaitingV1: "waiting", PaymentInstructedV1: "instructed",
                                   PaymentSettledV1: "settled", PaymentFailedV1: "failed",
                                   PaymentReturnedV1: "returned"}


async def record_payment_outcomes(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Show each payment's progress on its case (consumer of disbursement.payments). Emits nothing.
    Per case only the latest of the batch counts; the SQL lets a status only move forward."""
    latest = {e.payload.case_id: e.payload for e in envelopes}
    await repo.record_payment_outcomes(
        conn, case_ids=list(latest), payment_ids=[p.payment_id for p in latest.values()],
        statuses=[PAYMENT_STATUS[type(p)] for p in latest.values()],
        reasons=[f"退回，需更正收款账户（returned: needs a corrected account: {p.reason}）"
                 if isinstance(p, PaymentReturnedV1) else getattr(p, "reason", None) for p in latest.values()])
    return []


async def _case_in_region(conn: asyncpg.Connection, who: Principal, case_id: UUID) -> asyncpg.Record:
    rows = await repo.cases_for_decision(conn, campaign=None, case_ids=[case_id], import_id=None)
    if not rows:
        raise NotFound(f"没有案件 {case_id}（no case {case_id}）")
    ensure_region(who, rows[0]["region"])
    return rows[0]


def ensure_region(who: Principal, region: str) -> None:
    if region != who.region:
        raise Forbidden(f"{who.user} 只能办理 {who.region} 的业务，不能办理 {region} 的（{who.user} acts only in region "
                        f"{who.region}, not {region}）")


def _for_decision(case: asyncpg.Record) -> CaseForDecision:
    return CaseForDecision(status=case["status"], registered_by=case["registered_by"],
                           approvals=tuple(case["approvals"]), approvals_required=case["approvals_required"],
                           excluded_approvers=tuple(case["excluded_approvers"]))

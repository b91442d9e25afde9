"""Eligibility use cases. Each takes a batch (a list of one for the single-case routes) and its
collaborators, runs inside the caller's transaction with one statement per step, and returns what it
answers and the events it emits; the caller (an HTTP route through `idempotent`, the import driver,
the consumer) stages the events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, Field, model_validator

from contracts import Envelope, new_envelope
from contracts.disbursement import PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.eligibility import CaseApprovedV1, CaseRegisteredV1, CaseRejectedV1, EligibilityAssessedV1
from contracts.types import Code
from eligibility import repository as repo
from eligibility.domain import CaseForDecision, DecisionRefused, HardshipLevel, add_approval, assess, check_rejection
from siji_shared.auth import Principal
from siji_shared.pii import PiiVault, mask_account, normalise_national_id, validate_national_id
from siji_shared.usecase import Done

PRODUCER = "eligibility"
log = structlog.get_logger(__name__)
ACCOUNT_PATTERN = r"^[0-9]{12,30}$"
MAX_SELECTION = 100_000


def national_id(value: str) -> str:
    """Normalised (full-width digits, spaces, lowercase x) and checked (GB 11643), or InvalidNationalId."""
    return validate_national_id(normalise_national_id(value))


class HardshipFileIn(BaseModel):
    national_id: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    level: HardshipLevel
    valid_until: date


class CaseIn(BaseModel):
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


class NotFound(LookupError):
    pass


class Forbidden(PermissionError):
    pass


async def open_hardship_files(conn: asyncpg.Connection, vault: PiiVault, who: Principal,
                              files: Sequence[HardshipFileIn]) -> Done:
    """Open (or renew) members' hardship files in the caller's region, one statement for the lot."""
    if not files:
        return Done([])
    new = [repo.NewHardshipFile(file_id=uuid.uuid4(), member_ref=vault.lookup_hash(f.national_id), level=f.level,
                                national_id_enc=vault.encrypt(f.national_id), name_enc=vault.encrypt(f.name),
                                valid_until=f.valid_until) for f in files]
    ids = await repo.upsert_hardship_files(conn, new, region=who.region, opened_by=who.user)
    log.info("hardship files opened", files=len(new), region=who.region, by=who.user)
    return Done([{"file_id": str(ids[n.member_ref]), "region": who.region, "level": n.level.value,
                  "valid_until": n.valid_until.isoformat()} for n in new])


async def register_cases(conn: asyncpg.Connection, vault: PiiVault, who: Principal, *, programme: str,
                         campaign: str, year: int, applicants: Sequence[Applicant], import_id: UUID | None = None,
                         today: date | None = None) -> Done:
    """Register and assess applications against the rule set in force. A repeat application by hand is
    registered and assessed (the rules say how often a member may be paid); a campaign list's row for a
    member who already has a case in the campaign is not registered again (importing the same rows
    twice has no second effect) and is answered `already_registered`."""
    rules = await repo.latest_rule_set(conn, programme=programme, region=who.region, year=year)
    if rules is None:
        raise NotFound(f"no {programme} rule set for region {who.region} in {year}")
    refs = [vault.lookup_hash(a.national_id) for a in applicants]
    from_list = import_id is not None
    await repo.lock_campaign_registrations(conn, campaign=campaign, exclusive=from_list)
    if not from_list:
        for ref in sorted(set(refs)):
            await repo.lock_member_in_campaign(conn, campaign=campaign, member_ref=ref)
    existing = await repo.cases_of_members(conn, campaign=campaign, member_refs=refs)
    files = await repo.hardship_files(conn, region=who.region, member_refs=refs)
    today = today or datetime.now(UTC).date()

    answers: list[dict[str, Any]] = []
    new: list[repo.NewCase] = []
    awarded: dict[str, int] = {}
    for applicant, ref in zip(applicants, refs, strict=True):
        earlier = existing.get(ref, [])
        if from_list and earlier:
            answers.append({"row": applicant.row, "case_id": str(earlier[0]["case_id"]),
                            "status": "already_registered"})
            continue
        prior = sum(c["status"] in ("eligible", "approved") for c in earlier) + awarded.get(ref, 0)
        assessment = assess(rules, files.get(ref), prior_awards=prior, today=today)
        awarded[ref] = awarded.get(ref, 0) + assessment.eligible
        case = repo.NewCase(case_id=uuid.uuid4(), member_ref=ref, payee_name_enc=vault.encrypt(applicant.payee_name),
                            payee_account_enc=vault.encrypt(applicant.payee_account), assessment=assessment,
                            import_row=applicant.row)
        new.append(case)
        answers.append({"row": applicant.row, "case_id": str(case.case_id),
                        "status": "eligible" if assessment.eligible else "ineligible",
                        "amount_fen": assessment.amount_fen, "tier": assessment.tier,
                        "reasons": list(assessment.reasons),
                        "rule_set": {"id": rules.rule_set_id, "version": rules.version},
                        "approvals_required": assessment.approvals_required})
    await repo.insert_cases(conn, new, programme=programme, campaign=campaign, region=who.region, year=year,
                            rules=rules, registered_by=who.user, import_id=import_id)
    events: list[Envelope] = []
    for case in new:
        registered = new_envelope(CaseRegisteredV1(
            case_id=case.case_id, campaign=campaign, programme=programme, region=who.region, year=year,
            member_ref=case.member_ref, registered_by=who.user), producer=PRODUCER)
        a = case.assessment
        events += [registered, new_envelope(EligibilityAssessedV1(
            case_id=case.case_id, campaign=campaign, eligible=a.eligible, amount_fen=a.amount_fen, tier=a.tier,
            rule_set_id=rules.rule_set_id, rule_set_version=rules.version, reasons=a.reasons,
            approvals_required=a.approvals_required), producer=PRODUCER, causation=registered)]
    log.info("cases registered", campaign=campaign, cases=len(new), eligible=sum(c.assessment.eligible for c in new),
             rule_set=f"{rules.rule_set_id} v{rules.version}", import_id=str(import_id) if import_id else None,
             by=who.user)
    return Done(answers, events)


async def approve_cases(conn: asyncpg.Connection, vault: PiiVault, who: Principal, *, campaign: str | None,
                        selection: ApprovalsIn) -> Done:
    """Approve a reviewed selection, checking each case: the caller's region, not the registrant, a
    second approver where the amount needs one. Answers per case: approved, awaiting a second
    approver, or refused with the reason."""
    rows = await repo.cases_for_decision(conn, campaign=campaign, case_ids=selection.case_ids,
                                         import_id=selection.import_id)
    found = {r["case_id"] for r in rows}
    answers: list[dict[str, Any]] = [{"case_id": str(i), "status": "refused", "refusal": "not_found",
                "reason": f"no case {i}" + (f" in campaign {campaign}" if campaign else "")} for i in dict.fromkeys(selection.case_ids)
               if i not in found]
    decided: list[UUID] = []
    approved: list[bool] = []
    events: list[Envelope] = []
    for case in rows:
        if case["region"] != who.region:
            answers.append({"case_id": str(case["case_id"]), "status": "refused", "refusal": "forbidden",
                            "reason": f"{who.user} acts only in region {who.region}, not {case['region']}"})
            continue
        try:
            approvals, done = add_approval(_for_decision(case), who.user)
        except DecisionRefused as exc:
            answers.append({"case_id": str(case["case_id"]), "status": "refused", "refusal": "rules",
                            "reason": str(exc)})
            continue
        decided.append(case["case_id"])
        approved.append(done)
        answers.append({"case_id": str(case["case_id"]), "status": "approved" if done else "awaiting_second_approval",
                        "approvals": list(approvals), "approvals_required": case["approvals_required"]})
        if done:
            events.append(new_envelope(CaseApprovedV1(
                case_id=case["case_id"], campaign=case["campaign"], programme=case["programme"],
                region=case["region"], amount_fen=case["amount_fen"], approved_by=approvals,
                rule_set_id=case["rule_set_id"], rule_set_version=case["rule_set_version"],
                payee_name=vault.decrypt(case["payee_name_enc"]), payee_account=vault.decrypt(case["payee_account_enc"]),
            ), producer=PRODUCER))
    await repo.record_approvals(conn, approver=who.user, case_ids=decided, approved=approved)
    log.info("approvals recorded", campaign=campaign, approved=sum(approved), awaiting=len(approved) - sum(approved),
             refused=len(answers) - len(decided), by=who.user)
    return Done(answers, events)


def single_answer(done: Done) -> Done:
    """The single-case routes answer with their case alone, and a refusal as its HTTP error."""
    answer = done.body[0]
    if answer.get("status") == "refused":
        raise {"not_found": NotFound, "forbidden": Forbidden, "rules": DecisionRefused}[answer["refusal"]](
            answer["reason"])
    return Done(answer, done.events)


async def reject_case(conn: asyncpg.Connection, who: Principal, case_id: UUID, command: RejectionIn) -> Done:
    case = await _case_in_region(conn, who, case_id)
    check_rejection(_for_decision(case), who.user)
    await repo.record_rejection(conn, case_id=case_id, rejected_by=who.user, reason=command.reason)
    log.info("case rejected", case_id=str(case_id), by=who.user)
    return Done({"case_id": str(case_id), "status": "rejected", "reason": command.reason},
                [new_envelope(CaseRejectedV1(case_id=case_id, campaign=case["campaign"], rejected_by=who.user,
                                             reason=command.reason), producer=PRODUCER)])


async def show_case(conn: asyncpg.Connection, vault: PiiVault, who: Principal, case_id: UUID) -> dict:
    case = await repo.case_by_id(conn, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    ensure_region(who, case["region"])
    return {
        "case_id": str(case_id), "programme": case["programme"], "campaign": case["campaign"],
        "region": case["region"], "status": case["status"], "amount_fen": case["amount_fen"], "tier": case["tier"],
        "reasons": json.loads(case["reasons"]),
        "rule_set": {"id": case["rule_set_id"], "version": case["rule_set_version"]},
        "registered_by": case["registered_by"], "approvals": list(case["approvals"]),
        "approvals_required": case["approvals_required"], "decision_reason": case["decision_reason"],
        "import": {"id": str(case["import_id"]), "row": case["import_row"]} if case["import_id"] else None,
        "payee_account": mask_account(vault.decrypt(case["payee_account_enc"])),
        "payment": {"id": str(case["payment_id"]) if case["payment_id"] else None,
                    "status": case["payment_status"], "reason": case["payment_reason"]},
    }


PAYMENT_STATUS: dict[type, str] = {PaymentInstructedV1: "instructed", PaymentSettledV1: "settled", PaymentFailedV1: "failed"}


async def record_payment_outcomes(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Show each payment's progress on its case (consumer of disbursement.payments). Emits nothing.
    Per case only the latest of the batch counts; the SQL lets a status only move forward."""
    latest = {e.payload.case_id: e.payload for e in envelopes}
    await repo.record_payment_outcomes(
        conn, case_ids=list(latest), payment_ids=[p.payment_id for p in latest.values()],
        statuses=[PAYMENT_STATUS[type(p)] for p in latest.values()],
        reasons=[getattr(p, "reason", None) for p in latest.values()])
    return []


async def _case_in_region(conn: asyncpg.Connection, who: Principal, case_id: UUID) -> asyncpg.Record:
    rows = await repo.cases_for_decision(conn, campaign=None, case_ids=[case_id], import_id=None)
    if not rows:
        raise NotFound(f"no case {case_id}")
    ensure_region(who, rows[0]["region"])
    return rows[0]


def ensure_region(who: Principal, region: str) -> None:
    if region != who.region:
        raise Forbidden(f"{who.user} acts only in region {who.region}, not {region}")


def _for_decision(case: asyncpg.Record) -> CaseForDecision:
    return CaseForDecision(status=case["status"], registered_by=case["registered_by"],
                           approvals=tuple(case["approvals"]), approvals_required=case["approvals_required"])

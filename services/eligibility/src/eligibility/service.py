"""Eligibility use cases. Each runs inside the caller's transaction; caseworker actions stage the
events they emit, event handlers return theirs for the consumer to stage per batch."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, Field

from contracts import Envelope, new_envelope
from contracts.disbursement import PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.eligibility import CaseApprovedV1, CaseRegisteredV1, CaseRejectedV1, EligibilityAssessedV1
from contracts.types import Code
from eligibility import repository as repo
from eligibility.domain import CaseForDecision, HardshipLevel, add_approval, assess, check_rejection
from siji_shared import outbox
from siji_shared.auth import Principal
from siji_shared.pii import PiiVault, mask_account, validate_national_id

PRODUCER = "eligibility"
log = structlog.get_logger(__name__)
ACCOUNT_PATTERN = r"^[0-9]{12,30}$"


class HardshipFileIn(BaseModel):
    national_id: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=100)
    level: HardshipLevel
    valid_until: date


class CaseIn(BaseModel):
    programme: Code
    campaign: Code
    year: int = Field(ge=2000, le=2100)
    national_id: str = Field(min_length=18, max_length=18)
    payee_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=ACCOUNT_PATTERN)


class RejectionIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class NotFound(LookupError):
    pass


async def open_hardship_file(conn: asyncpg.Connection, vault: PiiVault, who: Principal,
                             command: HardshipFileIn) -> dict:
    national_id = validate_national_id(command.national_id)
    file_id = await repo.save_hardship_file(
        conn, file_id=uuid.uuid4(), member_ref=vault.lookup_hash(national_id), region=who.region,
        level=command.level, national_id_enc=vault.encrypt(national_id), name_enc=vault.encrypt(command.name),
        valid_until=command.valid_until, opened_by=who.user,
    )
    return {"file_id": str(file_id), "region": who.region, "level": command.level.value,
            "valid_until": command.valid_until.isoformat()}


async def register_case(conn: asyncpg.Connection, vault: PiiVault, who: Principal, command: CaseIn,
                        *, today: date | None = None) -> dict:
    national_id = validate_national_id(command.national_id)
    member_ref = vault.lookup_hash(national_id)
    rules = await repo.latest_rule_set(conn, programme=command.programme, region=who.region, year=command.year)
    if rules is None:
        raise NotFound(f"no {command.programme} rule set for region {who.region} in {command.year}")
    await repo.lock_member_in_campaign(conn, campaign=command.campaign, member_ref=member_ref)
    assessment = assess(
        rules,
        await repo.hardship_file(conn, member_ref=member_ref, region=who.region),
        prior_awards=await repo.prior_awards(conn, campaign=command.campaign, member_ref=member_ref),
        today=today or datetime.now(UTC).date(),
    )
    case_id = uuid.uuid4()
    await repo.insert_case(
        conn, case_id=case_id, programme=command.programme, campaign=command.campaign, region=who.region,
        year=command.year, member_ref=member_ref, payee_name_enc=vault.encrypt(command.payee_name),
        payee_account_enc=vault.encrypt(command.payee_account), assessment=assessment, rules=rules,
        registered_by=who.user,
    )
    registered = new_envelope(CaseRegisteredV1(
        case_id=case_id, campaign=command.campaign, programme=command.programme, region=who.region,
        year=command.year, member_ref=member_ref, registered_by=who.user,
    ), producer=PRODUCER)
    assessed = new_envelope(EligibilityAssessedV1(
        case_id=case_id, campaign=command.campaign, eligible=assessment.eligible, amount_fen=assessment.amount_fen,
        tier=assessment.tier, rule_set_id=rules.rule_set_id, rule_set_version=rules.version,
        reasons=assessment.reasons, approvals_required=assessment.approvals_required,
    ), producer=PRODUCER, causation=registered)
    await outbox.stage(conn, [registered, assessed])
    log.info("case registered", case_id=str(case_id), campaign=command.campaign, eligible=assessment.eligible,
             amount_fen=assessment.amount_fen, rule_set=f"{rules.rule_set_id} v{rules.version}", by=who.user)
    return {
        "case_id": str(case_id), "status": "eligible" if assessment.eligible else "ineligible",
        "amount_fen": assessment.amount_fen, "tier": assessment.tier, "reasons": list(assessment.reasons),
        "rule_set": {"id": rules.rule_set_id, "version": rules.version},
        "approvals_required": assessment.approvals_required,
    }


async def approve_case(conn: asyncpg.Connection, vault: PiiVault, who: Principal, case_id: UUID) -> dict:
    case = await _case_in_region(conn, who, case_id)
    approvals, approved = add_approval(_for_decision(case), who.user)
    await repo.record_approval(conn, case_id=case_id, approvals=approvals, approved=approved, approver=who.user)
    if approved:
        await outbox.stage(conn, [new_envelope(CaseApprovedV1(
            case_id=case_id, campaign=case["campaign"], programme=case["programme"], region=case["region"],
            amount_fen=case["amount_fen"], approved_by=approvals, rule_set_id=case["rule_set_id"],
            rule_set_version=case["rule_set_version"], payee_name=vault.decrypt(case["payee_name_enc"]),
            payee_account=vault.decrypt(case["payee_account_enc"]),
        ), producer=PRODUCER)])
    log.info("case approved" if approved else "case awaiting second approval", case_id=str(case_id), by=who.user)
    return {"case_id": str(case_id), "status": "approved" if approved else "awaiting_second_approval",
            "approvals": list(approvals), "approvals_required": case["approvals_required"]}


async def reject_case(conn: asyncpg.Connection, who: Principal, case_id: UUID, command: RejectionIn) -> dict:
    case = await _case_in_region(conn, who, case_id)
    check_rejection(_for_decision(case), who.user)
    await repo.record_rejection(conn, case_id=case_id, rejected_by=who.user, reason=command.reason)
    await outbox.stage(conn, [new_envelope(CaseRejectedV1(
        case_id=case_id, campaign=case["campaign"], rejected_by=who.user, reason=command.reason,
    ), producer=PRODUCER)])
    log.info("case rejected", case_id=str(case_id), by=who.user)
    return {"case_id": str(case_id), "status": "rejected", "reason": command.reason}


async def show_case(conn: asyncpg.Connection, vault: PiiVault, who: Principal, case_id: UUID) -> dict:
    case = await repo.case_by_id(conn, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    who.ensure_region(case["region"])
    return {
        "case_id": str(case_id), "programme": case["programme"], "campaign": case["campaign"],
        "region": case["region"], "status": case["status"], "amount_fen": case["amount_fen"], "tier": case["tier"],
        "reasons": json.loads(case["reasons"]),
        "rule_set": {"id": case["rule_set_id"], "version": case["rule_set_version"]},
        "registered_by": case["registered_by"], "approvals": list(case["approvals"]),
        "approvals_required": case["approvals_required"], "decision_reason": case["decision_reason"],
        "payee_account": mask_account(vault.decrypt(case["payee_account_enc"])),
        "payment": {"id": str(case["payment_id"]) if case["payment_id"] else None,
                    "status": case["payment_status"], "reason": case["payment_reason"]},
    }


async def record_payment_outcome(conn: asyncpg.Connection, envelope: Envelope) -> list[Envelope]:
    """Show the payment's progress on its case (consumer of disbursement.payments). Emits nothing."""
    payment = envelope.payload
    status = {PaymentInstructedV1: "instructed", PaymentSettledV1: "settled", PaymentFailedV1: "failed"}[type(payment)]
    await repo.record_payment_outcome(conn, case_id=payment.case_id, payment_id=payment.payment_id, status=status,
                                      reason=getattr(payment, "reason", None))
    return []


async def _case_in_region(conn: asyncpg.Connection, who: Principal, case_id: UUID) -> asyncpg.Record:
    case = await repo.case_for_update(conn, case_id)
    if case is None:
        raise NotFound(f"no case {case_id}")
    who.ensure_region(case["region"])
    return case


def _for_decision(case: asyncpg.Record) -> CaseForDecision:
    return CaseForDecision(status=case["status"], registered_by=case["registered_by"],
                           approvals=tuple(case["approvals"]), approvals_required=case["approvals_required"])

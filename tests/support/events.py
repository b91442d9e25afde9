"""Builders of valid events for tests, and a batch handler that records their effects."""

from __future__ import annotations

import uuid

from contracts import new_envelope
from contracts.eligibility import CaseApprovedV1, CaseRegisteredV1, EligibilityAssessedV1
from siji_shared.errors import RuleViolation


def case_registered(campaign: str = "test-campaign", **overrides) -> CaseRegisteredV1:
    fields = dict(case_id=uuid.uuid4(), campaign=campaign, programme="winter-warmth", region="taicang", year=2026,
                  member_ref="a" * 64, registered_by="caseworker-1")
    return CaseRegisteredV1(**{**fields, **overrides})


def case_assessed(approval: CaseApprovedV1) -> EligibilityAssessedV1:
    """The eligible assessment an approval rests on, so the streams a test leaves behind pass the audit."""
    return EligibilityAssessedV1(case_id=approval.case_id, campaign=approval.campaign, eligible=True,
                                 amount_fen=approval.amount_fen, rule_set_id=approval.rule_set_id,
                                 rule_set_version=approval.rule_set_version, reasons=("符合条件 (eligible)",),
                                 approvals_required=1)


def case_approved(campaign: str = "test-campaign", amount_fen: int = 50000, **overrides) -> CaseApprovedV1:
    fields = dict(case_id=uuid.uuid4(), campaign=campaign, programme="winter-warmth", region="taicang",
                  amount_fen=amount_fen, approved_by=("approver-1",), rule_set_id="winter-warmth/taicang/2026",
                  rule_set_version=1, payee_name="张三", payee_account="6222020200112233445")
    return CaseApprovedV1(**{**fields, **overrides})


def envelope_of(payload, producer: str = "tests"):
    return new_envelope(payload, producer=producer)


async def record_effects(conn, envelopes):
    """A batch handler for the integration tests' `effects` table: one statement for the batch; a rule
    broken by any event fails the batch (the consumer then isolates it)."""
    if any(e.payload.programme == "forbidden" for e in envelopes):
        raise RuleViolation("programme 'forbidden' is not run by this union")
    await conn.execute("INSERT INTO effects (event_id, case_id, campaign) SELECT * FROM unnest($1::uuid[], "
                       "$2::uuid[], $3::text[])", [e.event_id for e in envelopes],
                       [e.payload.case_id for e in envelopes], [e.payload.campaign for e in envelopes])
    return []

"""The auditor's replay: read the case, subsidy and payment streams from the start and check that every
fen went to an eligible, approved case (or a subsidy period of an eligible, approved loan), in the
approved amount, exactly once. Works from the events
alone, not from any service's tables, so it checks the services rather than trusting them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from contracts import Envelope, decode
from contracts.disbursement import PaymentFailedV1, PaymentReturnedV1, PaymentSettledV1
from contracts.eligibility import CaseApprovedV1, EligibilityAssessedV1, LoanApprovedV1
from contracts.envelope import UndecodableEvent
from contracts.loans import SubsidyDueV1
from contracts.topics import Topic
from siji_shared.kafka import KafkaConnection, read_all


@dataclass
class CampaignTotals:
    approved: int = 0
    approved_fen: int = 0
    settled: int = 0
    settled_fen: int = 0
    failed: int = 0
    returned: int = 0  # paid, sent back by the payee's bank, not counted as settled
    awaiting_outcome: int = 0


@dataclass
class AuditReport:
    events: int = 0
    undecodable: int = 0
    findings: list[str] = field(default_factory=list)
    campaigns: dict[str, CampaignTotals] = field(default_factory=lambda: defaultdict(CampaignTotals))

    @property
    def clean(self) -> bool:
        return not self.findings


def audit(envelopes: list[Envelope], *, campaign: str | None = None) -> AuditReport:
    """Redelivered copies of one event (same event id) count once: delivery is at-least-once."""
    report = AuditReport()
    unique = {e.event_id: e for e in envelopes if campaign is None or e.payload.campaign == campaign}
    report.events = len(unique)
    assessed: dict[UUID, EligibilityAssessedV1] = {}
    approved: dict[UUID, CaseApprovedV1 | SubsidyDueV1] = {}  # what may be paid, by case (or subsidy period)
    loans: dict[UUID, LoanApprovedV1] = {}
    settled: dict[UUID, list[PaymentSettledV1]] = defaultdict(list)
    failed: set[UUID] = set()
    returned: dict[UUID, PaymentReturnedV1] = {}  # by payment id
    for envelope in unique.values():
        event = envelope.payload
        match event:
            case EligibilityAssessedV1():
                assessed[event.case_id] = event
            case CaseApprovedV1():
                if event.case_id in approved:
                    report.findings.append(f"case {event.case_id} approved twice")
                approved[event.case_id] = event
            case LoanApprovedV1():
                if event.case_id in loans:
                    report.findings.append(f"loan {event.case_id} approved twice")
                loans[event.case_id] = event
            case SubsidyDueV1():
                if event.case_id in approved:
                    report.findings.append(f"subsidy period {event.case_id} of loan {event.loan_id} due twice")
                approved[event.case_id] = event
            case PaymentSettledV1():
                settled[event.case_id].append(event)
            case PaymentFailedV1():
                failed.add(event.case_id)
            case PaymentReturnedV1():
                returned[event.payment_id] = event

    for case_id, approval in approved.items():
        totals = report.campaigns[approval.campaign]
        totals.approved += 1
        totals.approved_fen += approval.amount_fen
        if isinstance(approval, SubsidyDueV1):
            if approval.loan_id not in loans:
                report.findings.append(f"subsidy period {case_id} due for loan {approval.loan_id}, never approved")
        else:
            _check_assessment(report, case_id, assessed.get(case_id), approval.amount_fen)
        if case_id not in settled and case_id not in failed:
            totals.awaiting_outcome += 1
    for case_id, all_payments in settled.items():
        payments = [p for p in all_payments if p.payment_id not in returned]
        paid_for = approved.get(case_id)
        if paid_for is None:
            report.findings.append(f"case {case_id} paid without an approval")
            continue
        totals = report.campaigns[paid_for.campaign]
        totals.returned += len(all_payments) - len(payments)
        if len(payments) > 1:
            report.findings.append(f"case {case_id} paid {len(payments)} times")
        if case_id in failed:
            report.findings.append(f"case {case_id} both settled and failed")
        for payment in payments:
            totals.settled += 1
            totals.settled_fen += payment.amount_fen
            if payment.amount_fen != paid_for.amount_fen:
                report.findings.append(f"case {case_id} paid {payment.amount_fen} fen, approved "
                                       f"{paid_for.amount_fen} fen")
    for case_id in failed & approved.keys():
        report.campaigns[approved[case_id].campaign].failed += 1
    for loan_id, loan in loans.items():
        _check_assessment(report, loan_id, assessed.get(loan_id), loan.principal_fen)
    return report


def _check_assessment(report: AuditReport, case_id: UUID, assessment: EligibilityAssessedV1 | None,
                      amount_fen: int) -> None:
    if assessment is None or not assessment.eligible:
        report.findings.append(f"case {case_id} approved without an eligible assessment")
    elif assessment.amount_fen != amount_fen:
        report.findings.append(f"case {case_id} approved {amount_fen} fen, assessed {assessment.amount_fen} fen")


async def replay(kafka: KafkaConnection, *, campaign: str | None = None) -> AuditReport:
    envelopes: list[Envelope] = []
    undecodable = 0
    for topic in (Topic.ELIGIBILITY_CASES, Topic.LOANS_SUBSIDIES, Topic.DISBURSEMENT_PAYMENTS):
        for record in await read_all(kafka, topic):
            try:
                envelopes.append(decode(record.value or b""))
            except UndecodableEvent:
                undecodable += 1  # set aside by the consumers too; the dead-letter tools show them
    report = audit(envelopes, campaign=campaign)
    report.undecodable = undecodable
    return report

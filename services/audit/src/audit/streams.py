"""The invariants over the event streams alone, read from offset 0: every payment went to an eligible,
approved case (or a subsidy period of an eligible, approved loan), in the approved amount, exactly once;
no member paid for more cases of a campaign than its assessments allowed; no budget paid out more than its
allocation; no subsidy for a period the loans service forfeited; every kit kept went to a registered
worker, one per worker and campaign, and every second kit is reported as an over-issue. Works from the events, not from any service's tables, so it checks the services rather
than trusting them. Only the event types a check needs are decoded (the relay labels each record)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from aiokafka.structs import ConsumerRecord

from contracts import Envelope, decode
from contracts.cooling import KitHandedOutV1, OverIssueFoundV1
from contracts.disbursement import BudgetChangedV1, PaymentFailedV1, PaymentReturnedV1, PaymentSettledV1
from contracts.eligibility import (
    CaseApprovedV1,
    CaseApprovedV2,
    CaseRegisteredV1,
    EligibilityAssessedV1,
    LoanApprovedV1,
    LoanApprovedV2,
    WorkerRegisteredV1,
)
from contracts.envelope import UndecodableEvent
from contracts.loans import SubsidyDueV1, SubsidyDueV2, SubsidyForfeitedV1
from contracts.topics import Topic
from siji_shared.kafka import KafkaConnection, event_type_of, read_all

CHECKED = (CaseRegisteredV1, EligibilityAssessedV1, CaseApprovedV1, CaseApprovedV2, LoanApprovedV1, LoanApprovedV2,
           WorkerRegisteredV1, SubsidyDueV1, SubsidyDueV2,
           SubsidyForfeitedV1, PaymentSettledV1, PaymentFailedV1, PaymentReturnedV1, BudgetChangedV1,
           KitHandedOutV1, OverIssueFoundV1)
NEEDED = {t.event_type.encode() for t in CHECKED}
# Assessments last: a case's assessment is published before its approval or in the same relay batch (two
# topics, no order between them), so read after the approvals it is there for every approval read.
TOPICS = (Topic.ELIGIBILITY_CASES, Topic.LOANS_SUBSIDIES, Topic.LOANS_LOANS, Topic.DISBURSEMENT_BUDGETS,
          Topic.DISBURSEMENT_PAYMENTS, Topic.COOLING_HANDOUTS, Topic.ELIGIBILITY_ASSESSMENTS)


@dataclass
class CampaignTotals:
    approved: int = 0
    approved_fen: int = 0
    settled: int = 0
    settled_fen: int = 0
    failed: int = 0
    returned: int = 0  # paid, sent back by the payee's bank, not counted as settled
    awaiting_outcome: int = 0
    kits_kept: int = 0
    over_issues: int = 0


@dataclass
class AuditReport:
    events: int = 0
    undecodable: int = 0
    findings: list[str] = field(default_factory=list)
    campaigns: dict[str, CampaignTotals] = field(default_factory=lambda: defaultdict(CampaignTotals))

    @property
    def clean(self) -> bool:
        return not self.findings


def audit(envelopes: Iterable[Envelope], *, campaign: str | None = None) -> AuditReport:
    """Redelivered copies of one event (same event id) count once: delivery is at-least-once."""
    report = AuditReport()
    unique = {e.event_id: e for e in envelopes if campaign is None or e.payload.campaign == campaign}
    report.events = len(unique)
    assessed: dict[UUID, EligibilityAssessedV1] = {}
    member_of: dict[UUID, str] = {}  # case id -> member_ref
    approved: dict[UUID, Any] = {}  # what may be paid, by case (or subsidy period)
    loans: dict[UUID, LoanApprovedV1 | LoanApprovedV2] = {}
    registered: set[tuple[str, str]] = set()
    forfeited: set[tuple[UUID, date]] = set()
    budgets: dict[str, int] = {}
    settled: dict[UUID, list[PaymentSettledV1]] = defaultdict(list)
    failed: set[UUID] = set()
    returned: dict[UUID, PaymentReturnedV1] = {}  # by payment id
    kits: list[KitHandedOutV1] = []
    over_issued: set[UUID] = set()
    for envelope in unique.values():
        event = envelope.payload
        match event:
            case CaseRegisteredV1():
                member_of[event.case_id] = event.member_ref
            case EligibilityAssessedV1():
                assessed[event.case_id] = event
            case CaseApprovedV1() | CaseApprovedV2():
                if event.case_id in approved:
                    report.findings.append(f"case {event.case_id} approved twice")
                approved[event.case_id] = event
            case LoanApprovedV1() | LoanApprovedV2():
                if event.case_id in loans:
                    report.findings.append(f"loan {event.case_id} approved twice")
                loans[event.case_id] = event
            case WorkerRegisteredV1():
                registered.add((event.campaign, event.worker_ref))
            case SubsidyDueV1() | SubsidyDueV2():
                if event.case_id in approved:
                    report.findings.append(f"subsidy period {event.case_id} of loan {event.loan_id} due twice")
                approved[event.case_id] = event
            case SubsidyForfeitedV1():
                forfeited.add((event.loan_id, event.period_end))
            case BudgetChangedV1():
                budgets[event.campaign] = max(budgets.get(event.campaign, 0), event.total_fen)
            case PaymentSettledV1():
                settled[event.case_id].append(event)
            case PaymentFailedV1():
                failed.add(event.case_id)
            case PaymentReturnedV1():
                returned[event.payment_id] = event
            case KitHandedOutV1():
                kits.append(event)
            case OverIssueFoundV1():
                over_issued.add(event.handout_id)

    for case_id, approval in approved.items():
        totals = report.campaigns[approval.campaign]
        totals.approved += 1
        totals.approved_fen += approval.amount_fen
        if isinstance(approval, SubsidyDueV1 | SubsidyDueV2):
            if approval.loan_id not in loans:
                report.findings.append(f"subsidy period {case_id} due for loan {approval.loan_id}, never approved")
            if (approval.loan_id, approval.period_end) in forfeited:
                report.findings.append(f"subsidy period {case_id} of loan {approval.loan_id} due although forfeited")
        else:
            _check_assessment(report, case_id, assessed.get(case_id), approval.amount_fen)
        if case_id not in settled and case_id not in failed:
            totals.awaiting_outcome += 1
    paid_cases: dict[tuple[str, str], list[UUID]] = defaultdict(list)  # (campaign, member) -> cases paid
    for case_id, all_payments in settled.items():
        payments = [p for p in all_payments if p.payment_id not in returned]
        if payments and case_id in member_of:
            paid_cases[(payments[0].campaign, member_of[case_id])].append(case_id)
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
    _check_members(report, paid_cases, assessed)
    for case_id in failed & approved.keys():
        report.campaigns[approved[case_id].campaign].failed += 1
    for loan_id, loan in loans.items():
        _check_assessment(report, loan_id, assessed.get(loan_id), loan.principal_fen)
    for name, total in budgets.items():
        if report.campaigns[name].settled_fen > total:
            report.findings.append(f"campaign {name} paid {report.campaigns[name].settled_fen} fen, over its budget "
                                   f"of {total} fen")
    _check_kits(report, kits, over_issued, registered)
    return report


def _check_assessment(report: AuditReport, case_id: UUID, assessment: EligibilityAssessedV1 | None,
                      amount_fen: int) -> None:
    if assessment is None or not assessment.eligible:
        report.findings.append(f"case {case_id} approved without an eligible assessment")
    elif assessment.amount_fen != amount_fen:
        report.findings.append(f"case {case_id} approved {amount_fen} fen, assessed {assessment.amount_fen} fen")


def _check_members(report: AuditReport, paid_cases: dict[tuple[str, str], list[UUID]],
                   assessed: dict[UUID, EligibilityAssessedV1]) -> None:
    """A rule set limits how often a member may be paid in a campaign, by counting at each assessment the
    member's awards before it (its inputs' `prior_awards_in_campaign`): so n cases of one member paid need
    one of them assessed knowing of n - 1 awards before it. A case paid, returned and paid again is one
    case; a second case of the member, paid beside the first with no assessment that counted it, is not."""
    for (name, member), cases in paid_cases.items():
        counted = max((int((assessed[c].inputs or {}).get("prior_awards_in_campaign") or 0)
                       for c in cases if c in assessed), default=0)
        if len(cases) > counted + 1:
            report.findings.append(f"member {member[:12]}… paid for {len(cases)} cases in campaign {name} ("
                                   f"{', '.join(sorted(map(str, cases)))}), assessed as allowed {counted + 1}")


def _check_kits(report: AuditReport, kits: list[KitHandedOutV1], over_issued: set[UUID],
                registered: set[tuple[str, str]]) -> None:
    kept = Counter((k.campaign, k.worker_ref) for k in kits if k.handout_id not in over_issued)
    for (name, worker), count in kept.items():
        report.campaigns[name].kits_kept += count
        if count > 1:
            report.findings.append(f"worker {worker[:12]}… kept {count} kits in campaign {name} with no over-issue "
                                   "reported")
        if (name, worker) not in registered:
            report.findings.append(f"worker {worker[:12]}… got a kit in campaign {name} without a registration")
    for k in kits:
        if k.handout_id in over_issued:
            report.campaigns[k.campaign].over_issues += 1


def decode_needed(records: Iterable[ConsumerRecord]) -> tuple[list[Envelope], int]:
    """The records a check reads, decoded; the rest skipped by their event-type label (a record without
    one is decoded, to be sure). Undecodable ones are counted: the consumers set them aside too."""
    envelopes, undecodable = [], 0
    for record in records:
        label = event_type_of(record)
        if label is not None and label not in NEEDED:
            continue
        try:
            envelopes.append(decode(record.value or b""))
        except UndecodableEvent:
            undecodable += 1
    return envelopes, undecodable


async def read_streams(kafka: KafkaConnection) -> tuple[list[Envelope], int]:
    envelopes: list[Envelope] = []
    undecodable = 0
    for topic in TOPICS:
        decoded, bad = decode_needed(await read_all(kafka, topic))
        envelopes += decoded
        undecodable += bad
    return envelopes, undecodable


async def replay(kafka: KafkaConnection, *, campaign: str | None = None) -> AuditReport:
    envelopes, undecodable = await read_streams(kafka)
    report = audit(envelopes, campaign=campaign)
    report.undecodable = undecodable
    return report

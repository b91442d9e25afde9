"""The auditor's checks on event streams, including the ones a broken system would fail."""

import uuid
from datetime import UTC, datetime

from contracts import new_envelope
from contracts.disbursement import FailureStage, PaymentFailedV1, PaymentSettledV1
from contracts.eligibility import EligibilityAssessedV1
from siji_cli.audit import audit
from support.events import case_approved


def assessed(case_id, amount=50000, eligible=True):
    return new_envelope(EligibilityAssessedV1(
        case_id=case_id, campaign="test-campaign", eligible=eligible, amount_fen=amount if eligible else 0,
        tier="relative", rule_set_id="r", rule_set_version=1, reasons=("r v1",), approvals_required=1), producer="t")


def settled(case_id, amount=50000):
    return new_envelope(PaymentSettledV1(
        payment_id=uuid.uuid4(), case_id=case_id, campaign="test-campaign", amount_fen=amount, bank_reference="BK1",
        settled_at=datetime.now(UTC)), producer="t")


def failed(case_id, amount=50000):
    return new_envelope(PaymentFailedV1(
        payment_id=uuid.uuid4(), case_id=case_id, campaign="test-campaign", amount_fen=amount,
        stage=FailureStage.BANK, reason="payee account closed"), producer="t")


def approved(case_id, amount=50000):
    return new_envelope(case_approved(case_id=case_id, amount_fen=amount), producer="t")


def test_a_clean_campaign_with_redelivered_copies():
    paid, refused, pending = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    payment = settled(paid)
    events = [assessed(paid), approved(paid), payment, payment,  # a redelivered copy counts once
              assessed(refused), approved(refused), failed(refused), assessed(pending), approved(pending)]
    report = audit(events)
    assert report.clean, report.findings
    totals = report.campaigns["test-campaign"]
    assert (totals.approved, totals.settled, totals.settled_fen, totals.failed, totals.awaiting_outcome) == \
        (3, 1, 50000, 1, 1)


def test_findings_of_a_broken_system():
    twice, unapproved, wrong_amount, ineligible = (uuid.uuid4() for _ in range(4))
    events = [
        assessed(twice), approved(twice), settled(twice), settled(twice),
        settled(unapproved),
        assessed(wrong_amount), approved(wrong_amount), settled(wrong_amount, amount=60000),
        assessed(ineligible, eligible=False), approved(ineligible),
    ]
    findings = audit(events).findings
    assert f"case {twice} paid 2 times" in findings
    assert f"case {unapproved} paid without an approval" in findings
    assert f"case {wrong_amount} paid 60000 fen, approved 50000 fen" in findings
    assert f"case {ineligible} approved without an eligible assessment" in findings

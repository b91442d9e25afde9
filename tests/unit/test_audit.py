"""The auditor's checks on event streams, including the ones a broken system would fail."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from aiokafka.structs import ConsumerRecord

from audit.rederive import outcome_differences, reassess
from audit.replay import Projections, project
from audit.streams import audit
from contracts import encode, new_envelope
from contracts.disbursement import FailureStage, PaymentFailedV1, PaymentReturnedV1, PaymentSettledV1
from contracts.eligibility import CaseAppealedV1, CaseRejectedV1, EligibilityAssessedV1, LoanApprovedV1
from contracts.loans import SubsidyDueV1
from contracts.topics import Topic
from eligibility.domain import Inputs, assess
from eligibility.policy import ProgrammeRules, read_dir
from siji_shared.kafka import event_headers
from support.events import case_approved, case_registered


def assessed(case_id, amount=50000, eligible=True, at=None, inputs=None):
    return new_envelope(EligibilityAssessedV1(
        case_id=case_id, campaign="test-campaign", eligible=eligible, amount_fen=amount if eligible else 0,
        tier="relative", rule_set_id="r", rule_set_version=1, reasons=("r v1",), approvals_required=1,
        inputs=inputs), producer="t", occurred_at=at)


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


def registered(case_id, member_ref):
    return new_envelope(case_registered(case_id=case_id, member_ref=member_ref), producer="t")


def returned(payment):
    return new_envelope(PaymentReturnedV1(
        payment_id=payment.payload.payment_id, case_id=payment.payload.case_id, campaign="test-campaign",
        amount_fen=payment.payload.amount_fen, reason="account closed"), producer="t")


def test_a_member_paid_in_two_cases_of_a_campaign_unless_an_assessment_counted_the_first():
    member, other = "m" * 64, "o" * 64
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    bounced = settled(third)
    clean = [registered(first, member), assessed(first), approved(first), settled(first),
             registered(third, other), assessed(third), approved(third), bounced, returned(bounced), settled(third)]
    assert audit(clean).clean, audit(clean).findings  # returned and paid again: one case, paid once

    twice = [*clean, registered(second, member), assessed(second), approved(second), settled(second)]
    both = ", ".join(sorted([str(first), str(second)]))
    assert f"member {member[:12]}… paid for 2 cases in campaign test-campaign ({both}), assessed as allowed 1" \
        in audit(twice).findings

    allowed = assessed(second, inputs={"prior_awards_in_campaign": 1})  # a rule set allowing two, as assessed
    assert audit([*clean, registered(second, member), allowed, approved(second), settled(second)]).clean


def subsidy_due(loan_id, period_id, amount=30000):
    return new_envelope(SubsidyDueV1(
        case_id=period_id, loan_id=loan_id, campaign="test-campaign", amount_fen=amount,
        period_start=date(2027, 3, 21), period_end=date(2027, 6, 20), interest_fen=60000, payee_name="福州某公司",
        payee_account="621700000000000001"), producer="t")


def loan_approved(loan_id, principal=20_000_000):
    return new_envelope(LoanApprovedV1(
        case_id=loan_id, campaign="test-campaign", programme="loan-subsidy", region="fuzhou", year=2026,
        borrower_kind="enterprise", borrower_ref="91350100MA0000001X", borrower_name="福州某公司",
        payee_account="621700000000000001", principal_fen=principal, term_months=24, method="interest_only",
        staff_count=30, new_hires=5, approved_by=("ap-1",), rule_set_id="r", rule_set_version=1), producer="t")


def test_subsidy_periods_are_paid_once_and_only_for_approved_loans():
    loan, period, stray, stray_loan = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    clean = [assessed(loan, 20_000_000), loan_approved(loan), subsidy_due(loan, period), settled(period, 30000)]
    assert audit(clean).clean, audit(clean).findings
    assert audit(clean).campaigns["test-campaign"].settled_fen == 30000

    broken = [*clean, settled(period, 30000), subsidy_due(stray_loan, stray), settled(stray, 30000)]
    findings = audit(broken).findings
    assert f"case {period} paid 2 times" in findings
    assert f"subsidy period {stray} due for loan {stray_loan}, never approved" in findings


def records_of(*envelopes):
    """As the relay sends them: on their payload's topic, labelled with their type."""
    return {topic: [ConsumerRecord(topic.value, 0, i, 0, 0, e.key.encode(), encode(e), None, 0, 0,
                                   event_headers(e.event_type)) for i, e in enumerate(envelopes) if e.topic == topic]
            for topic in Topic}


def replayed(*envelopes):
    projections = Projections()
    for records in records_of(*envelopes).values():  # one topic after another, as `siji audit replay` reads them
        project(records, None, projections)
    return projections.cases


def test_replay_takes_a_cases_status_from_whichever_topic_saw_it_last():
    """Assessments and decisions travel on two topics, read one after the other: an appeal's new
    assessment (read first) still outranks the rejection before it, and an approval the assessment before it."""
    start = datetime(2026, 12, 1, 9, tzinfo=UTC)
    paid, appealed, refused = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    rejected = new_envelope(CaseRejectedV1(case_id=appealed, campaign="test-campaign", rejected_by="ap-1",
                                           reason="income above the limit"), producer="t",
                            occurred_at=start + timedelta(minutes=1))
    appeal = new_envelope(CaseAppealedV1(case_id=appealed, campaign="test-campaign", appealed_by="cw-1",
                                         grounds="income fell"), producer="t", occurred_at=start + timedelta(minutes=2))
    refusal = new_envelope(CaseRejectedV1(case_id=refused, campaign="test-campaign", rejected_by="ap-1",
                                          reason="moved away"), producer="t", occurred_at=start + timedelta(minutes=1))
    events = [assessed(paid, at=start), approved(paid),
              assessed(appealed, 40000, at=start), rejected, appeal, assessed(appealed, 60000, at=start + timedelta(minutes=3)),
              assessed(refused, at=start), refusal]
    assert {e.topic for e in events} == {Topic.ELIGIBILITY_ASSESSMENTS, Topic.ELIGIBILITY_CASES}
    assert replayed(*events) == {str(paid): ("test-campaign", "approved", 50000),
                                 str(appealed): ("test-campaign", "eligible", 60000),
                                 str(refused): ("test-campaign", "rejected", 50000)}


def test_replay_counts_poison_on_a_topic_and_goes_on():
    """Bytes the consumers dead-lettered stay on their topic: the replay counts them and folds the rest."""
    case = uuid.uuid4()
    records = records_of(assessed(case), approved(case))
    poison = [ConsumerRecord(Topic.ELIGIBILITY_CASES.value, 0, 9, 0, 0, b"k", body, None, 0, 0, headers)
              for body, headers in ((b"{not json", []), (b"[1, 2]", []),
                                    (b'{"event_type": "case.approved", "payload": {}}', event_headers("case.approved")))]
    projections = Projections()
    for topic, batch in records.items():
        project([*batch, *poison] if topic == Topic.ELIGIBILITY_CASES else batch, None, projections)
    assert projections.undecodable == 3
    assert projections.cases == {str(case): ("test-campaign", "approved", 50000)}


def test_rederive_runs_the_assessment_again_and_names_what_a_stored_outcome_changed():
    rules = next(d for _, d in read_dir() if isinstance(d, ProgrammeRules) and d.hardship_tiers)
    level = next(iter(rules.hardship_tiers))
    first = assess(rules, Inputs(hardship_level=level, hardship_valid_until=date(2027, 1, 1), member_cap_left_fen=10))
    assert reassess(rules, json.loads(first.inputs_json)) == first
    stored = {"status": "approved", "amount_fen": first.amount_fen, "tier": first.tier,
              "reasons": json.dumps([vars(f) for f in first.fired])}
    assert outcome_differences(stored, first) == []
    assert outcome_differences({**stored, "status": "ineligible", "amount_fen": 99_900}, first) == [
        "eligible recorded False, re-derived True", "amount_fen recorded 99900, re-derived 10"]
    assert outcome_differences({**stored, "status": "withdrawn"}, first) == [], "withdrawn: either outcome"

from datetime import date

import pytest

from eligibility.domain import (
    CaseForDecision,
    DecisionRefused,
    HardshipFile,
    HardshipLevel,
    RuleSet,
    add_approval,
    assess,
    check_rejection,
)

TODAY = date(2026, 12, 1)
RULES = RuleSet.from_data("winter-warmth/taicang/2026", 3, {
    "tiers": {"deep": 80000, "relative": 50000, "accident": 100000},
    "max_awards_per_member_per_campaign": 1,
    "second_approval_above_fen": 80000,
})


def file(level: HardshipLevel, valid_until: date = date(2027, 6, 30)) -> HardshipFile:
    return HardshipFile(level=level, valid_until=valid_until)


@pytest.mark.parametrize(("level", "amount", "approvals"), [
    (HardshipLevel.DEEP, 80000, 1),
    (HardshipLevel.RELATIVE, 50000, 1),
    (HardshipLevel.ACCIDENT, 100000, 2),
])
def test_tier_amount_and_approvals_follow_the_rule_set(level, amount, approvals):
    result = assess(RULES, file(level), prior_awards=0, today=TODAY)
    assert (result.eligible, result.amount_fen, result.tier, result.approvals_required) == (True, amount, level.value,
                                                                                             approvals)
    assert result.reasons[0] == "rule set winter-warmth/taicang/2026 v3"
    assert any(level.label in reason for reason in result.reasons)


def test_no_hardship_file_is_ineligible_with_reason():
    result = assess(RULES, None, prior_awards=0, today=TODAY)
    assert not result.eligible and result.amount_fen == 0
    assert "no registered hardship file" in result.reasons[1]


def test_expired_file_is_ineligible():
    result = assess(RULES, file(HardshipLevel.DEEP, date(2026, 11, 30)), prior_awards=0, today=TODAY)
    assert not result.eligible
    assert "expired on 2026-11-30" in result.reasons[1]


def test_file_valid_through_today_still_counts():
    assert assess(RULES, file(HardshipLevel.DEEP, TODAY), prior_awards=0, today=TODAY).eligible


def test_once_per_member_per_campaign():
    result = assess(RULES, file(HardshipLevel.DEEP), prior_awards=1, today=TODAY)
    assert not result.eligible
    assert "already awarded 1 time(s)" in result.reasons[1]


def test_level_without_tier_is_ineligible():
    rules = RuleSet.from_data("r", 1, {"tiers": {"deep": 1000}, "max_awards_per_member_per_campaign": 1,
                                       "second_approval_above_fen": 5000})
    result = assess(rules, file(HardshipLevel.ACCIDENT), prior_awards=0, today=TODAY)
    assert not result.eligible and "no tier" in result.reasons[1]


def pending(approvals=(), required=1, status="eligible") -> CaseForDecision:
    return CaseForDecision(status=status, registered_by="maker", approvals=tuple(approvals),
                           approvals_required=required)


def test_maker_cannot_approve_own_case():
    with pytest.raises(DecisionRefused, match="registered a case may not approve"):
        add_approval(pending(), "maker")


def test_one_approval_completes_a_small_award():
    assert add_approval(pending(), "checker") == (("checker",), True)


def test_large_award_needs_a_second_distinct_approver():
    approvals, done = add_approval(pending(required=2), "checker-1")
    assert not done
    with pytest.raises(DecisionRefused, match="already approved"):
        add_approval(pending(approvals, required=2), "checker-1")
    assert add_approval(pending(approvals, required=2), "checker-2") == (("checker-1", "checker-2"), True)


@pytest.mark.parametrize("status", ["approved", "rejected", "ineligible"])
def test_only_pending_cases_can_be_decided(status):
    with pytest.raises(DecisionRefused):
        add_approval(pending(status=status), "checker")
    with pytest.raises(DecisionRefused):
        check_rejection(pending(status=status), "checker")


def test_maker_cannot_reject_own_case():
    with pytest.raises(DecisionRefused):
        check_rejection(pending(), "maker")
    check_rejection(pending(), "checker")

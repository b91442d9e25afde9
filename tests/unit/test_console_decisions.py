"""The console's reading of maker-checker, which draws a forbidden button disabled with its reason: each rule
eligibility applies gives its own reason, and a case any approver but these may decide gives none."""

import pytest

from console.decisions import decision, may_appeal, may_correct_payee
from console.i18n import MESSAGES
from console.session import User

APPROVER = User(name="ap-1", role="approver", region="taicang", token="t")
CASE = {"status": "eligible", "region": "taicang", "registered_by": "cw-1", "approvals": [], "excluded_approvers": []}


def test_an_eligible_case_registered_by_someone_else_may_be_approved_and_rejected():
    allowed = decision(APPROVER, CASE)
    assert (allowed.approve, allowed.reject) == (None, None)


@pytest.mark.parametrize(("user", "case", "reason"), [
    (User(name="ap-1", role="caseworker", region="taicang", token="t"), CASE, "decide.not_approver"),
    (APPROVER, {**CASE, "region": "fuzhou"}, "decide.other_region"),
    (APPROVER, {**CASE, "status": "rejected"}, "decide.not_awaiting"),
    (APPROVER, {**CASE, "registered_by": "ap-1"}, "decide.registrant"),
    (APPROVER, {**CASE, "excluded_approvers": ["ap-1"]}, "decide.decided_before_appeal"),
])
def test_what_forbids_both_approving_and_rejecting_gives_its_reason(user, case, reason):
    allowed = decision(user, case)
    assert (allowed.approve, allowed.reject) == (reason, reason)
    assert reason in MESSAGES, "shown in Chinese and English"


def test_an_approver_who_approved_already_waits_for_a_second_but_may_still_reject():
    allowed = decision(APPROVER, {**CASE, "approvals": ["ap-1"]})
    assert (allowed.approve, allowed.reject) == ("decide.already_approved", None)
    assert allowed.approve in MESSAGES


def test_a_queue_row_without_a_region_is_in_the_users_own():
    assert decision(APPROVER, {k: v for k, v in CASE.items() if k != "region"}).approve is None


def test_appeal_and_payee_correction_only_when_they_apply():
    caseworker = User(name="cw-1", role="caseworker", region="taicang", token="t")
    assert [may_appeal(caseworker, {"status": s}) for s in ("eligible", "ineligible", "rejected", "approved")] == \
        [False, True, True, False]
    assert not may_appeal(APPROVER, {"status": "rejected"})
    assert [may_correct_payee(caseworker, {"payment": p}) for p in (None, {"status": "settled"},
                                                                    {"status": "returned"})] == [False, False, True]
    assert not may_correct_payee(APPROVER, {"payment": {"status": "returned"}})

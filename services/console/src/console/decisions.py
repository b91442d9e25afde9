"""What the signed-in user may do with a case, worked out from the case as the page already has it, so that a
button maker-checker forbids is drawn disabled with the reason beside it. It mirrors eligibility's rules
(domain.add_approval, check_rejection, check_appeal; correct_payee) only to explain them: eligibility still
checks every request and refuses what they forbid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from console.session import User


@dataclass(frozen=True)
class Allowed:
    """For each action, None when allowed, else the i18n key of the reason it is not."""

    approve: str | None
    reject: str | None


def decision(user: User, case: dict[str, Any]) -> Allowed:
    """May `user` approve or reject `case` (a case page's or a queue row's fields)?"""
    shared = _refusal(user, case)
    if shared:
        return Allowed(approve=shared, reject=shared)
    already = "decide.already_approved" if user.name in (case.get("approvals") or []) else None
    return Allowed(approve=already, reject=None)


def _refusal(user: User, case: dict[str, Any]) -> str | None:
    if user.role != "approver":
        return "decide.not_approver"
    if case.get("region", user.region) != user.region:
        return "decide.other_region"
    if case.get("status") != "eligible":
        return "decide.not_awaiting"
    if user.name == case.get("registered_by"):
        return "decide.registrant"
    if user.name in (case.get("excluded_approvers") or []):
        return "decide.decided_before_appeal"
    return None


def may_appeal(user: User, case: dict[str, Any]) -> bool:
    return user.role == "caseworker" and case.get("status") in ("ineligible", "rejected")


def may_correct_payee(user: User, case: dict[str, Any]) -> bool:
    return user.role == "caseworker" and (case.get("payment") or {}).get("status") == "returned"

"""Eligibility rules, pure: a rule set (data) applied to a member's hardship file. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any


class HardshipLevel(StrEnum):
    DEEP = "deep"            # 深度困难: household income per head below the local minimum (低保)
    RELATIVE = "relative"    # 相对困难: above it, below a multiple of it
    ACCIDENT = "accident"    # 意外致困: sudden accident or serious illness

    @property
    def label(self) -> str:
        return {"deep": "深度困难", "relative": "相对困难", "accident": "意外致困"}[self.value]


@dataclass(frozen=True)
class RuleSet:
    rule_set_id: str
    version: int
    tiers: dict[HardshipLevel, int]
    max_awards_per_member_per_campaign: int
    second_approval_above_fen: int

    @classmethod
    def from_data(cls, rule_set_id: str, version: int, rules: dict[str, Any]) -> RuleSet:
        return cls(
            rule_set_id=rule_set_id,
            version=version,
            tiers={HardshipLevel(level): int(fen) for level, fen in rules["tiers"].items()},
            max_awards_per_member_per_campaign=int(rules["max_awards_per_member_per_campaign"]),
            second_approval_above_fen=int(rules["second_approval_above_fen"]),
        )


@dataclass(frozen=True)
class HardshipFile:
    level: HardshipLevel
    valid_until: date


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    amount_fen: int
    tier: str | None
    reasons: tuple[str, ...]
    approvals_required: int


def assess(rules: RuleSet, hardship_file: HardshipFile | None, *, prior_awards: int, today: date) -> Assessment:
    """Who qualifies and for how much, with the reasons an auditor can re-check."""
    used = f"rule set {rules.rule_set_id} v{rules.version}"
    if hardship_file is None:
        return _ineligible(used, "no registered hardship file (建档) for this member in this region")
    if hardship_file.valid_until < today:
        return _ineligible(used, f"hardship file expired on {hardship_file.valid_until.isoformat()}; review it first")
    if prior_awards >= rules.max_awards_per_member_per_campaign:
        return _ineligible(used, f"already awarded {prior_awards} time(s) in this campaign; "
                                 f"the limit is {rules.max_awards_per_member_per_campaign}")
    level = hardship_file.level
    if level not in rules.tiers:
        return _ineligible(used, f"level {level.value} ({level.label}) has no tier in this rule set")
    amount = rules.tiers[level]
    approvals = 2 if amount > rules.second_approval_above_fen else 1
    return Assessment(
        eligible=True,
        amount_fen=amount,
        tier=level.value,
        reasons=(
            used,
            f"hardship file level {level.value} ({level.label}), valid until {hardship_file.valid_until.isoformat()}",
            f"tier {level.value} pays {amount} fen",
            f"{prior_awards} earlier award(s) in this campaign, limit {rules.max_awards_per_member_per_campaign}",
            f"{approvals} approver(s) needed (second approval above {rules.second_approval_above_fen} fen)",
        ),
        approvals_required=approvals,
    )


def _ineligible(used: str, reason: str) -> Assessment:
    return Assessment(eligible=False, amount_fen=0, tier=None, reasons=(used, reason), approvals_required=1)


class DecisionRefused(Exception):
    """A caseworker decision that the rules do not allow; the API answers 409 with this reason."""


@dataclass(frozen=True)
class CaseForDecision:
    status: str
    registered_by: str
    approvals: tuple[str, ...]
    approvals_required: int


def add_approval(case: CaseForDecision, approver: str) -> tuple[tuple[str, ...], bool]:
    """Maker-checker: returns the approvals after this one and whether the case is now fully approved."""
    if case.status != "eligible":
        raise DecisionRefused(f"a case that is {case.status} cannot be approved")
    if approver == case.registered_by:
        raise DecisionRefused("the caseworker who registered a case may not approve it")
    if approver in case.approvals:
        raise DecisionRefused(f"{approver} has already approved this case; another approver is needed")
    approvals = (*case.approvals, approver)
    return approvals, len(approvals) >= case.approvals_required


def check_rejection(case: CaseForDecision, rejecter: str) -> None:
    if case.status != "eligible":
        raise DecisionRefused(f"a case that is {case.status} cannot be rejected")
    if rejecter == case.registered_by:
        raise DecisionRefused("the caseworker who registered a case may not decide it")

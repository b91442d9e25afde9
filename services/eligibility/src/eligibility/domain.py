"""Eligibility rules, pure: a hardship file graded against the region's standards, an application
assessed against a programme's rule set, a loan application against a loan programme's, a worker's
registration for help in kind against a registration programme's, maker-checker decisions. No I/O here.

Every assessment says which rules fired, in Chinese and English, and carries a decision hash over the
rule set (id, version, content) and the exact inputs, so an audit can re-run `assess` and compare."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from eligibility.policy import (
    BorrowerKind,
    Category,
    Cause,
    Channel,
    HardshipLevel,
    HardshipStandards,
    LoanProgrammeRules,
    Occupation,
    ProgrammeRules,
    RegistrationRules,
    SchoolLevel,
)

__all__ = ["Assessment", "BorrowerKind", "Category", "Cause", "Channel", "Fired", "Grading", "HardshipLevel", "Inputs",
           "LoanFacts", "Occupation", "RegistrationFacts", "SchoolLevel", "assess", "assess_loan",
           "assess_registration", "file_in_force", "grade_hardship"]


@dataclass(frozen=True)
class Fired:
    """One rule that decided part of the outcome, with its reason in both languages."""

    rule: str
    zh: str
    en: str


# --- hardship files (困难职工档案) ---------------------------------------------------------------------

@dataclass(frozen=True)
class Grading:
    level: HardshipLevel | None  # None: not a hardship household under these standards
    reasons: tuple[Fired, ...]


def grade_hardship(standards: HardshipStandards, *, household_size: int, income_fen_per_month: int,
                   causes: frozenset[Cause]) -> Grading:
    """The level follows from the household, never typed by hand: 深度困难 when income per head is below
    低保; otherwise 意外致困 when a sudden cause (accident, serious illness) is on file; otherwise 相对困难
    when income per head is below the standards' multiple of 低保. Compared in whole fen without division:
    income < 低保 × household size."""
    floor = standards.minimum_living_fen_per_head_month * household_size
    relative = floor * standards.relative_hardship_percent // 100
    per_head = f"{income_fen_per_month / household_size / 100:.2f}"
    dibao = f"{standards.minimum_living_fen_per_head_month / 100:.2f}"
    used = Fired("standards", f"依据 {standards.rule_set_id} 第 {standards.version} 版",
                 f"graded under {standards.rule_set_id} v{standards.version}")
    if income_fen_per_month < floor:
        return Grading(HardshipLevel.DEEP, (used, Fired(
            "below_minimum_living", f"家庭人均月收入 {per_head} 元，低于低保标准 {dibao} 元：深度困难",
            f"household income per head {per_head} yuan/month is below the minimum living standard {dibao}: deep")))
    sudden = sorted(causes & set(standards.accident_causes))
    if sudden:
        return Grading(HardshipLevel.ACCIDENT, (used, Fired(
            "sudden_cause", f"因 {'、'.join(sudden)} 致困：意外致困", f"hardship by {', '.join(sudden)}: accident")))
    if income_fen_per_month < relative:
        return Grading(HardshipLevel.RELATIVE, (used, Fired(
            "below_relative_line", f"家庭人均月收入 {per_head} 元，低于低保的 {standards.relative_hardship_percent}%：相对困难",
            f"household income per head {per_head} yuan/month is below {standards.relative_hardship_percent}% "
            f"of the minimum living standard {dibao}: relative")))
    return Grading(None, (used, Fired(
        "not_in_hardship", f"家庭人均月收入 {per_head} 元，不低于低保的 {standards.relative_hardship_percent}%，且无意外致困原因",
        f"household income per head {per_head} yuan/month is not below {standards.relative_hardship_percent}% "
        f"of the minimum living standard {dibao}, and no sudden cause is on file")))


def file_in_force(*, valid_until: date, active: bool, today: date) -> bool:
    """A file counts through its last valid day, until the service marks it expired."""
    return active and valid_until >= today


# --- assessing an application ------------------------------------------------------------------------

@dataclass(frozen=True)
class Inputs:
    """Everything an assessment reads, and nothing personal: an audit re-runs `assess` on these."""

    hardship_level: HardshipLevel | None = None  # a valid (unexpired) file's level, or None
    hardship_valid_until: date | None = None
    hardship_expired: bool = False
    categories: tuple[Category, ...] = ()
    school_level: SchoolLevel | None = None
    admission_evidence: bool = False
    out_of_pocket_fen: int | None = None
    prior_awards_in_campaign: int = 0
    member_cap_left_fen: int | None = None     # None: no cap applies
    household_cap_left_fen: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "hardship_level": self.hardship_level.value if self.hardship_level else None,
            "hardship_valid_until": self.hardship_valid_until.isoformat() if self.hardship_valid_until else None,
            "hardship_expired": self.hardship_expired, "categories": sorted(c.value for c in self.categories),
            "school_level": self.school_level.value if self.school_level else None,
            "admission_evidence": self.admission_evidence, "out_of_pocket_fen": self.out_of_pocket_fen,
            "prior_awards_in_campaign": self.prior_awards_in_campaign,
            "member_cap_left_fen": self.member_cap_left_fen, "household_cap_left_fen": self.household_cap_left_fen}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Inputs:
        """The stored inputs back, for an audit to re-run `assess` on them."""
        level, until, school = data.get("hardship_level"), data.get("hardship_valid_until"), data.get("school_level")
        return cls(hardship_level=HardshipLevel(level) if level else None,
                   hardship_valid_until=date.fromisoformat(until) if until else None,
                   hardship_expired=data.get("hardship_expired", False),
                   categories=tuple(Category(c) for c in data.get("categories", ())),
                   school_level=SchoolLevel(school) if school else None,
                   admission_evidence=data.get("admission_evidence", False),
                   out_of_pocket_fen=data.get("out_of_pocket_fen"),
                   prior_awards_in_campaign=data.get("prior_awards_in_campaign", 0),
                   member_cap_left_fen=data.get("member_cap_left_fen"),
                   household_cap_left_fen=data.get("household_cap_left_fen"))


@dataclass(frozen=True)
class Assessment:
    eligible: bool
    amount_fen: int
    tier: str | None
    fired: tuple[Fired, ...]
    approvals_required: int
    decision_hash: str
    inputs_json: str  # the exact inputs, canonical JSON: what the hash covers and what is stored
    term_months: int | None = None  # a loan's approved term (amount_fen is its approved principal)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(f"{f.zh}（{f.en}）" for f in self.fired)


def canonical_inputs(inputs: Inputs) -> str:
    return json.dumps(inputs.as_json(), sort_keys=True, separators=(",", ":"))


def decision_hash(rules: ProgrammeRules | LoanProgrammeRules | RegistrationRules, inputs: Inputs | str) -> str:
    """SHA-256 over the rule set's id, version and content hash and the canonical inputs."""
    text = inputs if isinstance(inputs, str) else canonical_inputs(inputs)
    return hashlib.sha256(f"{rules.rule_set_id}\n{rules.version}\n{rules.sha256}\n{text}".encode()).hexdigest()


def assess(rules: ProgrammeRules, inputs: Inputs) -> Assessment:
    """Who qualifies and for how much, with the rules that fired. The award is the highest tier that
    applies, limited by what the member's and the household's yearly caps have left."""
    fired = [Fired("rule_set", f"依据 {rules.rule_set_id} 第 {rules.version} 版（{rules.title.zh}）",
                   f"assessed under {rules.rule_set_id} v{rules.version} ({rules.title.en})")]

    inputs_json = canonical_inputs(inputs)

    def outcome(amount: int, tier: str | None) -> Assessment:
        approvals = 2 if amount > rules.second_approval_above_fen else 1
        if amount:
            fired.append(Fired("approvals", f"需 {approvals} 名审批人（超过 {rules.second_approval_above_fen} 分需第二人）",
                               f"{approvals} approver(s) needed (a second above {rules.second_approval_above_fen} fen)"))
        return Assessment(eligible=amount > 0, amount_fen=amount, tier=tier if amount else None, fired=tuple(fired),
                          approvals_required=approvals if amount else 1,
                          decision_hash=decision_hash(rules, inputs_json), inputs_json=inputs_json)

    if inputs.prior_awards_in_campaign >= rules.max_awards_per_member_per_campaign:
        fired.append(Fired("once_per_campaign", f"本活动已获 {inputs.prior_awards_in_campaign} 次，上限 "
                           f"{rules.max_awards_per_member_per_campaign} 次",
                           f"already awarded {inputs.prior_awards_in_campaign} time(s) in this campaign; the limit "
                           f"is {rules.max_awards_per_member_per_campaign}"))
        return outcome(0, None)
    if inputs.hardship_expired:
        fired.append(Fired("file_expired", f"困难档案已于 {inputs.hardship_valid_until} 过期，请先复核",
                           f"the hardship file expired on {inputs.hardship_valid_until}; review it first"))
    if inputs.hardship_level is None and not inputs.hardship_expired and (
            rules.requires_hardship_file or rules.hardship_tiers):
        fired.append(Fired("no_hardship_file", "本地区无有效困难职工档案（建档）",
                           "no valid hardship file (建档) for this member in this region"))
    if rules.requires_hardship_file and inputs.hardship_level is None:
        return outcome(0, None)

    candidates = _tiers(rules, inputs, fired)
    if not candidates:
        fired.append(Fired("no_tier", "不符合本项目任何一档", "no tier of this programme applies"))
        return outcome(0, None)
    tier, amount = max(candidates, key=lambda c: (c[1], c[0]))
    fired.append(Fired("highest_tier", f"按最高适用档 {tier} 发放 {amount} 分", f"the highest tier, {tier}, pays {amount} fen"))
    for name, left in (("member", inputs.member_cap_left_fen), ("household", inputs.household_cap_left_fen)):
        if left is not None and left < amount:
            who = {"member": "本人", "household": "本户"}[name]
            fired.append(Fired(f"{name}_cap", f"{who}本年度跨项目累计上限仅余 {left} 分，发放额降至此数",
                               f"the {name}'s yearly cap across programmes has {left} fen left; the award is "
                               f"limited to it"))
            amount = left
    return outcome(max(amount, 0), tier)


def _tiers(rules: ProgrammeRules, inputs: Inputs, fired: list[Fired]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    level = inputs.hardship_level
    if level is not None and level in rules.hardship_tiers:
        found.append((f"hardship:{level.value}", rules.hardship_tiers[level]))
        fired.append(Fired("hardship_tier", f"困难档案 {level.label}，有效期至 {inputs.hardship_valid_until}：{rules.hardship_tiers[level]} 分",
                           f"hardship file {level.value}, valid until {inputs.hardship_valid_until}: "
                           f"{rules.hardship_tiers[level]} fen"))
    for category in sorted(set(inputs.categories) & set(rules.category_tiers)):
        found.append((f"category:{category.value}", rules.category_tiers[category]))
        fired.append(Fired("category_tier", f"类别 {category.value}：{rules.category_tiers[category]} 分",
                           f"category {category.value}: {rules.category_tiers[category]} fen"))
    school = inputs.school_level
    if school is not None and school in rules.school_tiers:
        if rules.admission_evidence_required and not inputs.admission_evidence:
            fired.append(Fired("admission_evidence", "缺少录取通知书等入学证明", "no admission evidence on record"))
        else:
            found.append((f"school:{school.value}", rules.school_tiers[school]))
            fired.append(Fired("school_tier", f"子女入学 {school.value}：{rules.school_tiers[school]} 分",
                               f"child entering {school.value}: {rules.school_tiers[school]} fen"))
    costs = rules.medical_costs
    if costs is not None and inputs.out_of_pocket_fen is not None:
        above = inputs.out_of_pocket_fen - costs.threshold_fen
        if above > 0:
            amount = min(above * costs.share_percent // 100, costs.cap_fen)
            found.append(("medical", amount))
            fired.append(Fired("medical_costs", f"自付医疗费用超出起付线 {above} 分，按 {costs.share_percent}% 救助，"
                               f"封顶 {costs.cap_fen} 分：{amount} 分",
                               f"out-of-pocket costs {above} fen above the threshold, {costs.share_percent}% of it, "
                               f"capped at {costs.cap_fen}: {amount} fen"))
        else:
            fired.append(Fired("medical_threshold", f"自付医疗费用未超过起付线 {costs.threshold_fen} 分",
                               f"out-of-pocket costs do not exceed the threshold of {costs.threshold_fen} fen"))
    return found


# --- assessing a loan application (贴息贷款) ---------------------------------------------------------

@dataclass(frozen=True)
class LoanFacts:
    """Everything a loan assessment reads, and nothing personal (no ID, name or account): an audit re-runs
    `assess_loan` on these. `staff_count` and `new_hires` (on contracts of a year or more) and the arrears
    are an enterprise's; an individual's are left at zero and false."""

    borrower_kind: BorrowerKind
    amount_fen: int   # the requested principal
    term_months: int  # the requested term
    staff_count: int = 0
    new_hires: int = 0
    wage_arrears: bool = False
    social_insurance_arrears: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"borrower_kind": self.borrower_kind.value, "requested_fen": self.amount_fen,
                "requested_term_months": self.term_months, "staff_count": self.staff_count,
                "new_hires": self.new_hires, "wage_arrears": self.wage_arrears,
                "social_insurance_arrears": self.social_insurance_arrears}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoanFacts:
        """The facts back from `as_json` (a loan case's stored inputs and its application's loan part)."""
        return cls(borrower_kind=BorrowerKind(data["borrower_kind"]), amount_fen=data["requested_fen"],
                   term_months=data["requested_term_months"], staff_count=data["staff_count"],
                   new_hires=data["new_hires"], wage_arrears=data["wage_arrears"],
                   social_insurance_arrears=data["social_insurance_arrears"])


def canonical_loan_facts(facts: LoanFacts) -> str:
    return json.dumps(facts.as_json(), sort_keys=True, separators=(",", ":"))


def assess_loan(rules: LoanProgrammeRules, facts: LoanFacts) -> Assessment:
    """Whether the borrower may borrow under the scheme, and the principal and term approved: the
    requested ones, each cut to the cap for the borrower's kind. A small or micro enterprise qualifies
    by its size, the jobs it created (new hires × 100 ≥ the percentage × staff, whole numbers, no
    division) and no wage or social-insurance arrears; every condition it fails is named."""
    fired = [Fired("rule_set", f"依据 {rules.rule_set_id} 第 {rules.version} 版（{rules.title.zh}）",
                   f"assessed under {rules.rule_set_id} v{rules.version} ({rules.title.en})")]
    inputs_json = canonical_loan_facts(facts)
    kind = facts.borrower_kind

    def outcome(principal: int, term: int | None) -> Assessment:
        approvals = 2 if principal > rules.second_approval_above_fen else 1
        if principal:
            fired.append(Fired("approvals", f"需 {approvals} 名审批人（本金超过 {rules.second_approval_above_fen} 分需第二人）",
                               f"{approvals} approver(s) needed (a second above a principal of "
                               f"{rules.second_approval_above_fen} fen)"))
        return Assessment(eligible=principal > 0, amount_fen=principal, tier=f"loan:{kind.value}" if principal else None,
                          fired=tuple(fired), approvals_required=approvals if principal else 1,
                          decision_hash=decision_hash(rules, inputs_json), inputs_json=inputs_json,
                          term_months=term if principal else None)

    limits = rules.borrowers.get(kind)
    if limits is None:
        fired.append(Fired("borrower_kind", f"本项目不向{kind.label}发放贷款",
                           f"this programme does not lend to {kind.value} borrowers"))
        return outcome(0, None)
    if kind is BorrowerKind.ENTERPRISE and not _enterprise_qualifies(rules, facts, fired):
        return outcome(0, None)

    principal, term = facts.amount_fen, facts.term_months
    if principal > limits.max_principal_fen:
        fired.append(Fired("principal_cap", f"申请本金 {principal} 分超过{kind.label}上限 {limits.max_principal_fen} 分，"
                           f"按上限核定", f"the requested principal of {principal} fen is above the {kind.value} cap "
                           f"of {limits.max_principal_fen} fen; cut to the cap"))
        principal = limits.max_principal_fen
    if term > limits.max_term_months:
        fired.append(Fired("term_cap", f"申请期限 {term} 个月超过{kind.label}上限 {limits.max_term_months} 个月，按上限核定",
                           f"the requested term of {term} months is above the {kind.value} cap of "
                           f"{limits.max_term_months} months; cut to the cap"))
        term = limits.max_term_months
    fired.append(Fired("loan_terms", f"核定贷款本金 {principal} 分，期限 {term} 个月",
                       f"approved principal {principal} fen for {term} months"))
    return outcome(principal, term)


def _enterprise_qualifies(rules: LoanProgrammeRules, facts: LoanFacts, fired: list[Fired]) -> bool:
    conditions = rules.enterprise_conditions
    assert conditions is not None  # the document requires them where enterprises may borrow
    qualifies = True
    staff, hires = facts.staff_count, facts.new_hires
    if staff > conditions.max_staff:
        qualifies = False
        fired.append(Fired("not_small_or_micro", f"在职职工 {staff} 人，超过小微企业上限 {conditions.max_staff} 人",
                           f"{staff} staff is more than a small or micro enterprise's {conditions.max_staff}"))
    large = staff > conditions.large_staff_threshold
    percent = conditions.new_hire_percent_large if large else conditions.new_hire_percent
    band_zh = f"（超过 {conditions.large_staff_threshold} 人的企业）" if large else ""
    band_en = f" (above {conditions.large_staff_threshold} staff)" if large else ""
    if hires * 100 < percent * staff:
        qualifies = False
        needed = -(-percent * staff // 100)
        fired.append(Fired("new_hires_short", f"新招用（一年以上劳动合同）{hires} 人，不足在职职工 {staff} 人的 {percent}%"
                           f"{band_zh}，至少需 {needed} 人",
                           f"{hires} new hire(s) on contracts of a year or more is less than {percent}% of {staff} "
                           f"staff{band_en}: at least {needed} needed"))
    else:
        fired.append(Fired("new_hires", f"新招用（一年以上劳动合同）{hires} 人，达到在职职工 {staff} 人的 {percent}%{band_zh}",
                           f"{hires} new hire(s) on contracts of a year or more is at least {percent}% of {staff} "
                           f"staff{band_en}"))
    if conditions.no_wage_arrears and facts.wage_arrears:
        qualifies = False
        fired.append(Fired("wage_arrears", "企业存在拖欠职工工资", "the enterprise is in wage arrears"))
    if conditions.no_social_insurance_arrears and facts.social_insurance_arrears:
        qualifies = False
        fired.append(Fired("social_insurance_arrears", "企业存在拖欠社会保险费",
                           "the enterprise is in social-insurance arrears"))
    return qualifies


# --- registering for help in kind (夏送清凉) ------------------------------------------------------------

@dataclass(frozen=True)
class RegistrationFacts:
    """Everything a registration's assessment reads, and nothing personal: what the worker does and how
    they registered. The site they are served at is kept on the case, but decides nothing."""

    occupation: Occupation
    channel: Channel

    def as_json(self) -> dict[str, Any]:
        return {"occupation": self.occupation.value, "channel": self.channel.value}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RegistrationFacts:
        return cls(occupation=Occupation(data["occupation"]), channel=Channel(data["channel"]))


def canonical_registration_facts(facts: RegistrationFacts) -> str:
    return json.dumps(facts.as_json(), sort_keys=True, separators=(",", ":"))


def assess_registration(rules: RegistrationRules, facts: RegistrationFacts) -> Assessment:
    """A worker qualifies when the programme serves their occupation and they registered through a channel
    it allows for them: gig workers (新就业形态) through `gig_channels`, everyone else through
    `employed_channels`. Help in kind: the amount is always 0 fen, and an eligible registration still
    needs an approver other than its registrant."""
    fired = [Fired("rule_set", f"依据 {rules.rule_set_id} 第 {rules.version} 版（{rules.title.zh}）",
                   f"assessed under {rules.rule_set_id} v{rules.version} ({rules.title.en})")]
    inputs_json = canonical_registration_facts(facts)
    occupation, channel = facts.occupation, facts.channel

    def outcome(eligible: bool) -> Assessment:
        approvals = rules.approvals_required
        if eligible:
            fired.append(Fired("in_kind", "实物发放防暑降温用品一份，不发放现金（0 分）",
                               "one heat-relief kit in kind, no cash (0 fen)"))
            fired.append(Fired("approvals", f"需 {approvals} 名审批人，登记人不能审批",
                               f"{approvals} approver(s) needed, not the registrant"))
        return Assessment(eligible=eligible, amount_fen=0, tier=f"occupation:{occupation.value}" if eligible else None,
                          fired=tuple(fired), approvals_required=approvals if eligible else 1,
                          decision_hash=decision_hash(rules, inputs_json), inputs_json=inputs_json)

    if occupation not in rules.occupations:
        served = "、".join(o.label for o in rules.occupations)
        fired.append(Fired("occupation_not_served", f"职业“{occupation.label}”不在本项目服务的职业之列（服务：{served}）",
                           f"the occupation {occupation.value} is not among those this programme serves "
                           f"({', '.join(o.value for o in rules.occupations)})"))
        return outcome(False)
    gig = occupation in rules.gig_occupations
    allowed = rules.gig_channels if gig else rules.employed_channels
    group_zh, group_en = ("新就业形态劳动者", "a gig worker") if gig else ("单位职工", "an employed worker")
    if channel not in allowed:
        fired.append(Fired("channel_not_allowed",
                           f"{occupation.label}属于{group_zh}，须通过{'或'.join(c.label for c in allowed)}登记，"
                           f"不能通过{channel.label}登记",
                           f"{occupation.value} is {group_en}: registers through {' or '.join(c.value for c in allowed)}, "
                           f"not through {channel.value}"))
        return outcome(False)
    fired.append(Fired("occupation_served", f"{occupation.label}（{group_zh}）经{channel.label}登记，属本项目服务对象",
                       f"{occupation.value} ({group_en}) registered through {channel.value}: served by this programme"))
    return outcome(True)


# --- decisions (maker-checker) -----------------------------------------------------------------------

STATUS_ZH = {"eligible": "待审批", "ineligible": "不符合条件", "approved": "已批准", "rejected": "已驳回",
             "withdrawn": "已撤回"}


class DecisionRefused(Exception):
    """A caseworker decision that the rules do not allow; the API answers 409 with this reason."""


@dataclass(frozen=True)
class CaseForDecision:
    status: str
    registered_by: str
    approvals: tuple[str, ...]
    approvals_required: int
    excluded_approvers: tuple[str, ...] = ()  # who decided against it before an appeal


def add_approval(case: CaseForDecision, approver: str) -> tuple[tuple[str, ...], bool]:
    """Maker-checker: returns the approvals after this one and whether the case is now fully approved."""
    if case.status != "eligible":
        raise DecisionRefused(f"{STATUS_ZH[case.status]}的案件不能审批（a case that is {case.status} cannot be approved）")
    if approver == case.registered_by:
        raise DecisionRefused("登记人不能审批自己登记的案件（the caseworker who registered a case may not approve it）")
    if approver in case.excluded_approvers:
        raise DecisionRefused(f"{approver} 在申诉前已处理过此案，须由其他审批人决定（{approver} decided this case before its "
                              f"appeal; a different approver must decide it）")
    if approver in case.approvals:
        raise DecisionRefused(f"{approver} 已审批过此案，需另一名审批人（{approver} has already approved this case; another "
                              f"approver is needed）")
    approvals = (*case.approvals, approver)
    return approvals, len(approvals) >= case.approvals_required


def check_rejection(case: CaseForDecision, rejecter: str) -> None:
    if case.status != "eligible":
        raise DecisionRefused(f"{STATUS_ZH[case.status]}的案件不能驳回（a case that is {case.status} cannot be rejected）")
    if rejecter == case.registered_by:
        raise DecisionRefused("登记人不能决定自己登记的案件（the caseworker who registered a case may not decide it）")
    if rejecter in case.excluded_approvers:
        raise DecisionRefused(f"{rejecter} 在申诉前已处理过此案，须由其他审批人决定（{rejecter} decided this case before its "
                              f"appeal; a different approver must decide it）")


def check_withdrawal(case: CaseForDecision) -> None:
    if case.status not in ("eligible", "ineligible"):
        raise DecisionRefused(f"{STATUS_ZH[case.status]}的案件不能撤回（a case that is {case.status} cannot be withdrawn）")


def check_appeal(case: CaseForDecision) -> None:
    if case.status not in ("ineligible", "rejected"):
        raise DecisionRefused(f"只有不符合条件或被驳回的案件可以申诉，此案为{STATUS_ZH[case.status]}（only an ineligible or "
                              f"rejected case can be appealed, not one that is {case.status}）")

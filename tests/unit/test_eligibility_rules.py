"""Every programme's rules, table-driven, on the rule sets shipped in services/eligibility/policies/
(Taicang 2026), plus hardship grading at the boundaries of 低保, and maker-checker."""

import json
from datetime import date

import pytest

from eligibility.domain import (
    CaseForDecision,
    Category,
    Cause,
    DecisionRefused,
    HardshipLevel,
    Inputs,
    SchoolLevel,
    add_approval,
    assess,
    check_appeal,
    check_rejection,
    check_withdrawal,
    decision_hash,
    file_in_force,
    grade_hardship,
)
from eligibility.policy import (
    POLICY_DIR,
    SCHEMA_FILE,
    HardshipStandards,
    LoanProgrammeRules,
    ProgrammeRules,
    RegistrationRules,
    diff,
    json_schema,
    parse,
    read_dir,
)

SHIPPED = {document.rule_set_id: document for _, document in read_dir()}
WINTER = SHIPPED["winter-warmth/taicang/2026"]
AUTUMN = SHIPPED["autumn-education-aid/taicang/2026"]
LIVING = SHIPPED["living-relief/taicang/2026"]
ILLNESS = SHIPPED["serious-illness-relief/taicang/2026"]
STANDARDS = SHIPPED["hardship-standards/taicang/2026"]
VALID = date(2027, 6, 30)
D, R, A = HardshipLevel.DEEP, HardshipLevel.RELATIVE, HardshipLevel.ACCIDENT


def facts(level=None, **more) -> Inputs:
    return Inputs(hardship_level=level, hardship_valid_until=VALID if level else None, **more)


CASES = [
    # (rule set, inputs, eligible, amount, tier, approvals, a rule that must have fired)
    (WINTER, facts(D), True, 80000, "hardship:deep", 1, "hardship_tier"),
    (WINTER, facts(R), True, 50000, "hardship:relative", 1, "hardship_tier"),
    (WINTER, facts(A), True, 100000, "hardship:accident", 2, "hardship_tier"),
    (WINTER, facts(categories=(Category.FRONTLINE,)), True, 30000, "category:frontline", 1, "category_tier"),
    (WINTER, facts(categories=(Category.MEDICAL,)), True, 30000, "category:medical", 1, "category_tier"),
    (WINTER, facts(categories=(Category.MODEL_WORKER,)), True, 50000, "category:model_worker", 1, "category_tier"),
    (WINTER, facts(categories=(Category.HARDSHIP_CADRE,)), True, 50000, "category:hardship_cadre", 1, "category_tier"),
    (WINTER, facts(R, categories=(Category.MODEL_WORKER,)), True, 50000, "hardship:relative", 1, "highest_tier"),
    (WINTER, facts(D, categories=(Category.FRONTLINE,)), True, 80000, "hardship:deep", 1, "highest_tier"),
    (WINTER, facts(), False, 0, None, 1, "no_hardship_file"),
    (WINTER, facts(D, prior_awards_in_campaign=1), False, 0, None, 1, "once_per_campaign"),
    (AUTUMN, facts(R, school_level=SchoolLevel.UNDERGRADUATE, admission_evidence=True), True, 300000,
     "school:undergraduate", 2, "school_tier"),
    (AUTUMN, facts(D, school_level=SchoolLevel.SENIOR, admission_evidence=True), True, 100000, "school:senior", 1,
     "school_tier"),
    (AUTUMN, facts(D, school_level=SchoolLevel.COLLEGE, admission_evidence=True), True, 200000, "school:college", 1,
     "school_tier"),
    (AUTUMN, facts(D, school_level=SchoolLevel.UNDERGRADUATE), False, 0, None, 1, "admission_evidence"),
    (AUTUMN, facts(school_level=SchoolLevel.UNDERGRADUATE, admission_evidence=True), False, 0, None, 1,
     "no_hardship_file"),
    (AUTUMN, facts(D), False, 0, None, 1, "no_tier"),
    (LIVING, facts(D), True, 100000, "hardship:deep", 2, "hardship_tier"),
    (LIVING, facts(R), True, 60000, "hardship:relative", 1, "hardship_tier"),
    (LIVING, facts(categories=(Category.FRONTLINE,)), False, 0, None, 1, "no_hardship_file"),
    (ILLNESS, facts(A, out_of_pocket_fen=3_000_000), True, 1_000_000, "medical", 2, "medical_costs"),
    (ILLNESS, facts(A, out_of_pocket_fen=1_000_001), False, 0, None, 1, "medical_costs"),  # half a fen: nothing
    (ILLNESS, facts(A, out_of_pocket_fen=9_000_000), True, 2_000_000, "medical", 2, "medical_costs"),
    (ILLNESS, facts(D, out_of_pocket_fen=1_000_000), False, 0, None, 1, "medical_threshold"),
    (ILLNESS, facts(D, out_of_pocket_fen=1_200_000), True, 100_000, "medical", 1, "medical_costs"),
    (WINTER, facts(A, member_cap_left_fen=30000), True, 30000, "hardship:accident", 1, "member_cap"),
    (WINTER, facts(D, household_cap_left_fen=0), False, 0, None, 1, "household_cap"),
]


@pytest.mark.parametrize(("rules", "inputs", "eligible", "amount", "tier", "approvals", "rule"), CASES)
def test_programme_rules(rules, inputs, eligible, amount, tier, approvals, rule):
    result = assess(rules, inputs)
    assert (result.eligible, result.amount_fen, result.tier, result.approvals_required) == (
        eligible, amount, tier, approvals)
    fired = [f.rule for f in result.fired]
    assert fired[0] == "rule_set" and rule in fired
    assert all(f.zh and f.en for f in result.fired), "every reason in Chinese and English"
    assert result.decision_hash == decision_hash(rules, inputs), "an audit re-derives the same hash"


def test_the_decision_hash_covers_the_inputs_and_the_rule_set_version():
    base = assess(WINTER, facts(D)).decision_hash
    assert assess(WINTER, facts(R)).decision_hash != base
    winter = WINTER.model_dump(mode="json")
    assert assess(parse({**winter, "version": 2}), facts(D)).decision_hash != base
    changed = parse({**winter, "hardship_tiers": {**winter["hardship_tiers"], "deep": 80001}})
    assert assess(changed, facts(D)).decision_hash != base, "the same version number with other content differs"


def grade(income_fen: int, size: int = 3, causes=frozenset()):
    return grade_hardship(STANDARDS, household_size=size, income_fen_per_month=income_fen, causes=causes).level


DIBAO = STANDARDS.minimum_living_fen_per_head_month  # 1,195 yuan per head in Taicang 2026


@pytest.mark.parametrize(("income", "causes", "level"), [
    (0, frozenset(), D),
    (DIBAO * 3 - 1, frozenset(), D),                     # one fen under 低保 for three people
    (DIBAO * 3, frozenset(), R),                         # exactly 低保: no longer deep
    (DIBAO * 3 * 150 // 100 - 1, frozenset(), R),        # one fen under 150 % of 低保
    (DIBAO * 3 * 150 // 100, frozenset(), None),         # at 150 %: not a hardship household
    (DIBAO * 3 * 150 // 100, frozenset({Cause.ACCIDENT}), A),
    (DIBAO * 3 + 5, frozenset({Cause.SERIOUS_ILLNESS}), A),  # a sudden cause outranks relative hardship
    (DIBAO * 3 - 1, frozenset({Cause.ACCIDENT}), D),     # deep hardship outranks a sudden cause
    (DIBAO * 10, frozenset({Cause.ILLNESS, Cause.SCHOOLING}), None),  # causes that are not sudden
])
def test_hardship_level_is_graded_at_the_boundaries_of_dibao(income, causes, level):
    assert grade(income, 3, causes) == level


def test_grading_explains_itself_in_both_languages():
    reasons = grade_hardship(STANDARDS, household_size=2, income_fen_per_month=100000, causes=frozenset()).reasons
    assert reasons[0].rule == "standards" and "低保" in reasons[1].zh and "minimum living standard" in reasons[1].en


def test_a_file_counts_through_its_last_day_until_expired():
    today = date(2026, 12, 1)
    assert file_in_force(valid_until=today, active=True, today=today)
    assert not file_in_force(valid_until=date(2026, 11, 30), active=True, today=today)
    assert not file_in_force(valid_until=VALID, active=False, today=today)


def test_an_expired_file_is_named_as_the_reason():
    result = assess(LIVING, Inputs(hardship_valid_until=date(2026, 11, 30), hardship_expired=True))
    assert not result.eligible and "expired on 2026-11-30" in result.reasons[1]


def test_shipped_documents_cover_every_programme_and_region():
    programmes = {(d.programme, d.region) for d in SHIPPED.values()}
    for region in ("taicang", "fuzhou", "yancheng"):
        for programme in ("winter-warmth", "autumn-education-aid", "living-relief", "serious-illness-relief",
                          "hardship-standards", "loan-subsidy", "summer-cooling"):
            assert (programme, region) in programmes
    assert all(isinstance(d, ProgrammeRules | HardshipStandards | LoanProgrammeRules | RegistrationRules) for d in SHIPPED.values())


def test_the_committed_json_schema_is_current():
    assert json.loads((POLICY_DIR / SCHEMA_FILE).read_text(encoding="utf-8")) == json.loads(json.dumps(json_schema())), \
        "run make schemas"


def test_diff_names_each_changed_leaf():
    old = WINTER.model_dump(mode="json")
    new = {**old, "version": 2, "hardship_tiers": {**old["hardship_tiers"], "deep": 90000}, "note": "x"}
    assert diff(old, new) == [
        {"path": "hardship_tiers.deep", "from": 80000, "to": 90000, "change": "changed"},
        {"path": "note", "from": None, "to": "x", "change": "added"},
        {"path": "version", "from": 1, "to": 2, "change": "changed"},
    ]


def pending(approvals=(), required=1, status="eligible", excluded=()) -> CaseForDecision:
    return CaseForDecision(status=status, registered_by="maker", approvals=tuple(approvals),
                           approvals_required=required, excluded_approvers=tuple(excluded))


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


@pytest.mark.parametrize("status", ["approved", "rejected", "ineligible", "withdrawn"])
def test_only_pending_cases_can_be_decided(status):
    with pytest.raises(DecisionRefused):
        add_approval(pending(status=status), "checker")
    with pytest.raises(DecisionRefused):
        check_rejection(pending(status=status), "checker")


def test_maker_cannot_reject_own_case():
    with pytest.raises(DecisionRefused):
        check_rejection(pending(), "maker")
    check_rejection(pending(), "checker")


def test_after_an_appeal_whoever_decided_before_may_not_decide_again():
    with pytest.raises(DecisionRefused, match="different approver"):
        add_approval(pending(excluded=("checker-1",)), "checker-1")
    with pytest.raises(DecisionRefused, match="different approver"):
        check_rejection(pending(excluded=("checker-1",)), "checker-1")
    assert add_approval(pending(excluded=("checker-1",)), "checker-2")[1]


@pytest.mark.parametrize(("status", "appealable", "withdrawable"), [
    ("eligible", False, True), ("ineligible", True, True), ("rejected", True, False), ("approved", False, False),
])
def test_which_cases_can_be_appealed_or_withdrawn(status, appealable, withdrawable):
    for check, allowed in ((check_appeal, appealable), (check_withdrawal, withdrawable)):
        if allowed:
            check(pending(status=status))
        else:
            with pytest.raises(DecisionRefused):
                check(pending(status=status))

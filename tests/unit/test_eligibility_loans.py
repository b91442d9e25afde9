"""Interest-subsidised loans (贴息贷款), eligibility's part, pure: the unified social credit code check
(GB 32100-2015), the applications' validation, every rule of `assess_loan` on the shipped loan
programmes, the caps cutting a request, the second approver above the threshold, the documents."""

import json

import pytest
from stdnum.cn import uscc

from eligibility.domain import BorrowerKind, LoanFacts, assess_loan, decision_hash
from eligibility.policy import (
    POLICY_DIR,
    HardshipStandards,
    LoanProgrammeRules,
    PolicyInvalid,
    ProgrammeRules,
    RegistrationRules,
    json_schema,
    parse,
    read_dir,
)
from eligibility.service import (
    ApplicationsInvalid,
    InvalidCreditCode,
    LoanApplicationIn,
    credit_code,
    loan_applicants,
)
from siji_cli.synthetic import members

SHIPPED = {document.rule_set_id: document for _, document in read_dir()}
LOANS = {region: SHIPPED[f"loan-subsidy/{region}/2026"] for region in ("fuzhou", "taicang", "yancheng")}
FUZHOU = LOANS["fuzhou"]
VALID_CODE = "91350100M000100Y43"  # Fuzhou (350100), its check character computed by stdnum below
TAICANG_CODE = "91320585MA1XK2P0" + "0" + uscc.calc_check_digit("91320585MA1XK2P00")
ENT, IND = BorrowerKind.ENTERPRISE, BorrowerKind.INDIVIDUAL


def corrupted(code: str) -> str:
    """The same code with its check character changed: still 18 valid characters, a wrong check."""
    return code[:-1] + ("1" if code[-1] != "1" else "2")


def enterprise(staff=20, hires=2, wage=False, social=False, amount=100_000_000, term=24) -> LoanFacts:
    return LoanFacts(borrower_kind=ENT, amount_fen=amount, term_months=term, staff_count=staff, new_hires=hires,
                     wage_arrears=wage, social_insurance_arrears=social)


def individual(amount=20_000_000, term=36) -> LoanFacts:
    return LoanFacts(borrower_kind=IND, amount_fen=amount, term_months=term)


def fired(assessment) -> list[str]:
    return [f.rule for f in assessment.fired]


# --- the unified social credit code --------------------------------------------------------------------

def test_a_valid_credit_code_passes_normalised():
    assert uscc.calc_check_digit(VALID_CODE[:17]) == VALID_CODE[-1]
    assert credit_code(VALID_CODE) == VALID_CODE
    assert credit_code(f"  {VALID_CODE.lower()} ") == VALID_CODE, "stripped and upper-cased"
    assert credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == VALID_CODE, "full-width as typed with a Chinese IME"
    assert credit_code(TAICANG_CODE) == TAICANG_CODE


@pytest.mark.parametrize(("code", "reason"), [
    (corrupted(VALID_CODE), "check character is wrong"),
    (corrupted(TAICANG_CODE), "check character is wrong"),
    (VALID_CODE[:-1], "has 18 characters"),
    (VALID_CODE + "1", "has 18 characters"),
    ("9135010OM000100Y43", "8 digits"),       # a letter O among the first 8 digits
    ("91350100M0001O0Y43", "8 digits"),       # O is not in the alphabet
])
def test_a_wrong_credit_code_is_refused_with_the_reason(code, reason):
    with pytest.raises(InvalidCreditCode, match=reason):
        credit_code(code)


# --- validating applications -----------------------------------------------------------------------------

PERSON = members(1, region="fuzhou", seed=31)[0]


def application(**fields) -> LoanApplicationIn:
    base = {"borrower_kind": "enterprise", "credit_code": VALID_CODE, "name": "福州闽江小微科技有限公司",
            "payee_account": "6222020200112233", "staff_count": 20, "new_hires": 2, "wage_arrears": False,
            "social_insurance_arrears": False, "amount_fen": 100_000_000, "term_months": 24,
            "method": "equal_instalment"}
    return LoanApplicationIn.model_validate({**base, **fields})


def personal(**fields) -> LoanApplicationIn:
    return application(**{"borrower_kind": "individual", "credit_code": None, "national_id": PERSON.national_id,
                          "name": PERSON.name, "staff_count": None, "new_hires": None, "wage_arrears": None,
                          "social_insurance_arrears": None, "amount_fen": 20_000_000, "term_months": 36, **fields})


def test_valid_applications_are_normalised_into_loan_facts():
    found = loan_applicants([application(credit_code=VALID_CODE.lower()), personal()])
    assert [a.index for a in found] == [0, 1]
    assert found[0].borrower_id == VALID_CODE and found[0].facts == enterprise()
    assert found[1].borrower_id == PERSON.national_id
    assert found[1].facts == individual(), "an individual's staff and arrears default to none"


def test_each_invalid_application_is_named_by_its_index_and_nothing_is_taken():
    with pytest.raises(ApplicationsInvalid) as refused:
        loan_applicants([application(), application(credit_code=corrupted(VALID_CODE)), personal(),
                         personal(national_id=corrupted(PERSON.national_id)), application(staff_count=None),
                         application(new_hires=30), personal(credit_code=VALID_CODE)])
    errors = refused.value.errors
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "credit_code"), (3, "national_id"), (4, "staff_count"), (5, "new_hires"), (6, "credit_code")]
    assert errors[0]["reason"].startswith("applications[1].credit_code: 统一社会信用代码校验位错误")
    assert "check character is wrong" in errors[0]["reason"]
    assert all(PERSON.national_id[:-1] not in e["reason"] for e in errors), "a national ID is never echoed"
    assert "applications[3]" in str(refused.value)


def test_an_enterprise_gives_every_condition_and_a_credit_code():
    with pytest.raises(ApplicationsInvalid) as refused:
        loan_applicants([application(credit_code=None, national_id=PERSON.national_id, wage_arrears=None,
                                     social_insurance_arrears=None, staff_count=0, new_hires=0)])
    assert {e["field"] for e in refused.value.errors} == {
        "credit_code", "national_id", "wage_arrears", "social_insurance_arrears", "staff_count"}


# --- assessing: each rule ---------------------------------------------------------------------------------

def test_a_small_enterprise_meeting_every_condition_is_lent_what_it_asked():
    result = assess_loan(FUZHOU, enterprise(staff=20, hires=2, amount=30_000_000, term=12))
    assert (result.eligible, result.amount_fen, result.term_months, result.tier) == (True, 30_000_000, 12,
                                                                                     "loan:enterprise")
    assert fired(result) == ["rule_set", "new_hires", "loan_terms", "approvals"]
    assert result.reasons[1] == ("新招用（一年以上劳动合同）2 人，达到在职职工 20 人的 10%（2 new hire(s) on contracts of "
                                 "a year or more is at least 10% of 20 staff）")
    assert result.approvals_required == 1


@pytest.mark.parametrize(("staff", "hires", "qualifies", "percent"), [
    (20, 2, True, 10), (20, 1, False, 10), (25, 3, True, 10), (25, 2, False, 10),  # 2.5 needs 3: no rounding down
    (100, 10, True, 10), (100, 9, False, 10),                                     # 100 staff: still 10 %
    (101, 6, True, 5), (101, 5, False, 5),                                        # above 100: 5 %, 5.05 needs 6
    (300, 15, True, 5),
])
def test_new_hires_as_a_share_of_staff_at_the_boundaries(staff, hires, qualifies, percent):
    result = assess_loan(FUZHOU, enterprise(staff=staff, hires=hires))
    assert result.eligible is qualifies
    rule = "new_hires" if qualifies else "new_hires_short"
    assert rule in fired(result) and f"{percent}%" in result.reasons[fired(result).index(rule)]
    if not qualifies:
        assert (result.amount_fen, result.term_months, result.approvals_required) == (0, None, 1)


def test_more_staff_than_a_small_or_micro_enterprise_does_not_qualify():
    result = assess_loan(FUZHOU, enterprise(staff=301, hires=40))
    assert not result.eligible and "not_small_or_micro" in fired(result)
    assert "301 staff is more than a small or micro enterprise's 300" in " ".join(result.reasons)


@pytest.mark.parametrize(("wage", "social", "rules"), [
    (True, False, ["wage_arrears"]), (False, True, ["social_insurance_arrears"]),
    (True, True, ["wage_arrears", "social_insurance_arrears"]),
])
def test_arrears_of_wages_or_social_insurance_refuse_an_enterprise(wage, social, rules):
    result = assess_loan(FUZHOU, enterprise(wage=wage, social=social))
    assert not result.eligible and [r for r in fired(result) if r.endswith("arrears")] == rules
    assert result.tier is None


def test_every_failed_condition_is_named_at_once():
    result = assess_loan(FUZHOU, enterprise(staff=400, hires=1, wage=True, social=True))
    assert fired(result) == ["rule_set", "not_small_or_micro", "new_hires_short", "wage_arrears",
                             "social_insurance_arrears"]
    assert "企业存在拖欠职工工资（the enterprise is in wage arrears）" in result.reasons


def test_an_individual_is_not_held_to_the_enterprise_conditions():
    result = assess_loan(FUZHOU, LoanFacts(borrower_kind=IND, amount_fen=10_000_000, term_months=24,
                                           wage_arrears=True))
    assert result.eligible and (result.amount_fen, result.term_months, result.tier) == (10_000_000, 24,
                                                                                        "loan:individual")


def test_a_kind_the_programme_does_not_lend_to_is_ineligible():
    only_individuals = parse({**FUZHOU.model_dump(mode="json"), "version": 2,
                              "borrowers": {"individual": {"max_principal_fen": 30_000_000, "max_term_months": 36}},
                              "enterprise_conditions": None})
    assert isinstance(only_individuals, LoanProgrammeRules)
    result = assess_loan(only_individuals, enterprise())
    assert not result.eligible and fired(result) == ["rule_set", "borrower_kind"]
    assert "does not lend to enterprise borrowers" in result.reasons[1]


# --- the caps, and the second approver -----------------------------------------------------------------------

@pytest.mark.parametrize(("facts", "principal", "term", "cuts"), [
    (individual(amount=30_000_000, term=36), 30_000_000, 36, []),
    (individual(amount=40_000_000, term=36), 30_000_000, 36, ["principal_cap"]),
    (individual(amount=20_000_000, term=60), 20_000_000, 36, ["term_cap"]),
    (enterprise(amount=400_000_000, term=24), 400_000_000, 24, []),
    (enterprise(amount=500_000_000, term=36), 400_000_000, 24, ["principal_cap", "term_cap"]),
])
def test_a_request_above_the_cap_is_cut_to_it_with_the_reason(facts, principal, term, cuts):
    result = assess_loan(FUZHOU, facts)
    assert (result.eligible, result.amount_fen, result.term_months) == (True, principal, term)
    assert [r for r in fired(result) if r.endswith("_cap")] == cuts
    if "principal_cap" in cuts:
        assert "cut to the cap" in result.reasons[fired(result).index("principal_cap")]
    assert result.reasons[-2] == f"核定贷款本金 {principal} 分，期限 {term} 个月（approved principal {principal} fen for " \
                                 f"{term} months）"


@pytest.mark.parametrize(("amount", "approvals"), [
    (1, 1), (50_000_000, 1), (50_000_001, 2), (400_000_000, 2), (900_000_000, 2)])
def test_a_second_approver_is_needed_above_the_threshold(amount, approvals):
    assert FUZHOU.second_approval_above_fen == 50_000_000, "Fuzhou: a second approver above CNY 500,000"
    result = assess_loan(FUZHOU, enterprise(amount=amount))
    assert result.approvals_required == approvals
    assert fired(result)[-1] == "approvals" and f"{approvals} approver(s) needed" in result.reasons[-1]


def test_an_individual_never_needs_a_second_approver_under_the_shipped_caps():
    assert assess_loan(FUZHOU, individual(amount=90_000_000)).approvals_required == 1, "cut to 300,000 first"


def test_the_decision_hash_covers_the_rules_and_the_facts_and_re_derives():
    first, again = assess_loan(FUZHOU, enterprise()), assess_loan(FUZHOU, enterprise())
    assert first.decision_hash == again.decision_hash == decision_hash(FUZHOU, first.inputs_json)
    assert json.loads(first.inputs_json) == {
        "borrower_kind": "enterprise", "requested_fen": 100_000_000, "requested_term_months": 24, "staff_count": 20,
        "new_hires": 2, "wage_arrears": False, "social_insurance_arrears": False}
    assert assess_loan(FUZHOU, enterprise(hires=3)).decision_hash != first.decision_hash
    assert assess_loan(LOANS["taicang"], enterprise()).decision_hash != first.decision_hash


# --- the documents -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("region", ["fuzhou", "taicang", "yancheng"])
def test_the_shipped_loan_programmes_parse_with_the_national_figures(region):
    path = POLICY_DIR / f"loan-subsidy.{region}.2026.v1.json"
    document = parse(json.loads(path.read_text(encoding="utf-8")), source=path.name)
    assert isinstance(document, LoanProgrammeRules) and not isinstance(document, ProgrammeRules)
    assert (document.kind, document.programme, document.region, document.year) == (
        "loan-programme", "loan-subsidy", region, 2026)
    assert document.rule_set_id == f"loan-subsidy/{region}/2026" and document.model_dump() == LOANS[region].model_dump()
    assert (document.borrowers[IND].max_principal_fen, document.borrowers[IND].max_term_months) == (30_000_000, 36)
    assert (document.borrowers[ENT].max_principal_fen, document.borrowers[ENT].max_term_months) == (400_000_000, 24)
    conditions = document.enterprise_conditions
    assert conditions is not None
    assert (conditions.new_hire_percent, conditions.new_hire_percent_large, conditions.large_staff_threshold) == (
        10, 5, 100)
    assert conditions.no_wage_arrears and conditions.no_social_insurance_arrears
    assert document.second_approval_above_fen == 50_000_000


def test_the_other_kinds_are_never_loan_programmes():
    others = [d for d in SHIPPED.values() if d.programme != "loan-subsidy"]
    assert others and all(isinstance(d, ProgrammeRules | HardshipStandards | RegistrationRules) for d in others)
    assert not any(isinstance(d, LoanProgrammeRules) for d in others)


def test_a_loan_programme_lending_to_enterprises_needs_their_conditions():
    with pytest.raises(PolicyInvalid, match="enterprise borrowers need enterprise_conditions"):
        parse({**FUZHOU.model_dump(mode="json"), "enterprise_conditions": None})
    with pytest.raises(PolicyInvalid):
        parse({**FUZHOU.model_dump(mode="json"), "borrowers": {}})
    with pytest.raises(PolicyInvalid, match="rule_set_id must be loan-subsidy/fuzhou/2026"):
        parse({**FUZHOU.model_dump(mode="json"), "rule_set_id": "loan-subsidy/taicang/2026"})


def test_the_json_schema_knows_the_loan_programme_kind():
    schema = json.dumps(json_schema())
    assert "loan-programme" in schema and "new_hire_percent_large" in schema

"""The subsidy schedule of one loan, pure: worked examples computed by hand (one per repayment method,
with a leap day and a rounding edge), and properties over random loans (hypothesis)."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.schedule import BankConventions, Loan, SubsidyPolicy, schedule
from siji_shared.dates import add_months

HALF = SubsidyPolicy(borrower_share="share_of_interest", subsidy_share_percent=50, rounding="half_up")
ACT365 = BankConventions(day_count="ACT/365")


def test_interest_only_across_a_leap_day():
    # CNY 10,000 at 3.65 % ACT/365 is exactly 100 fen a day; 2027-12-20 .. 2028-03-20 holds 29 February: 91 days
    loan = Loan(principal_fen=1_000_000, annual_rate_bp=365, term_months=6, start=date(2027, 12, 20),
                method="interest_only")
    periods = schedule(loan, HALF, ACT365).periods
    assert [(p.end, p.days, p.interest_fen, p.subsidy_fen) for p in periods] == [
        (date(2028, 3, 20), 91, 9_100, 4_550), (date(2028, 6, 20), 92, 9_200, 4_600)]


def test_a_rounding_edge_goes_the_policys_way():
    # 3.66 %: 1,000,000 × 0.0366 × 91 / 365 = 9,124.93 fen, charged 9,125; half of it is 4,562.5
    loan = Loan(principal_fen=1_000_000, annual_rate_bp=366, term_months=3, start=date(2027, 12, 20),
                method="interest_only")
    assert schedule(loan, HALF, ACT365).periods[0].subsidy_fen == 4_563
    down = HALF.model_copy(update={"rounding": "down"})
    assert schedule(loan, down, ACT365).periods[0].subsidy_fen == 4_562


def test_equal_principal_by_quarter():
    # CNY 12,000 over 12 months at 6 % (0.5 % a month), repaid 1,000 yuan a month from 2027-02-15:
    # interest 6,000, 5,500, 5,000 ... 500 fen; quarters end on the 20th of March, June, September, December
    loan = Loan(principal_fen=1_200_000, annual_rate_bp=600, term_months=12, start=date(2027, 1, 15),
                method="equal_principal")
    result = schedule(loan, HALF)
    assert [p.interest_fen for p in result.periods] == [6_000 + 5_500, 5_000 + 4_500 + 4_000, 3_500 + 3_000 + 2_500,
                                                       2_000 + 1_500 + 1_000, 500]
    assert result.periods[-1].end == date(2028, 1, 15) and result.subsidy_fen == 39_000 // 2


def test_equal_instalments():
    # 等额本息: 1,200,000 × 0.005 × 1.005^12 / (1.005^12 − 1) = 103,279.72 → 103,280 fen a month;
    # month 1 interest 6,000; month 2: (1,200,000 − 97,280) × 0.005 = 5,513.6 → 5,514
    loan = Loan(principal_fen=1_200_000, annual_rate_bp=600, term_months=12, start=date(2027, 1, 15),
                method="equal_instalment")
    first = schedule(loan, HALF).periods[0]
    assert (first.interest_fen, first.subsidy_fen, first.borrower_fen) == (11_514, 5_757, 5_757)


def test_a_floor_rate_with_a_cap_on_the_subsidised_rate():
    # LPR 3.45 % − 150 bp: the borrower bears 1.95 %; of 4.35 % charged, 2.40 % would be subsidised, capped at 2.00 %
    loan = Loan(principal_fen=1_000_000, annual_rate_bp=435, term_months=3, start=date(2027, 12, 20),
                method="interest_only")
    floor = SubsidyPolicy(borrower_share="floor_rate", lpr_bp={date(2027, 1, 1): 345}, rounding="down")
    interest = schedule(loan, floor, ACT365).periods[0].interest_fen
    assert interest == 10_845  # 1,000,000 × 0.0435 × 91 / 365 = 10,845.2
    assert schedule(loan, floor, ACT365).periods[0].subsidy_fen == 10_845 * 240 // 435
    capped = floor.model_copy(update={"max_subsidised_rate_bp": 200})
    assert schedule(loan, capped, ACT365).periods[0].subsidy_fen == 10_845 * 200 // 435


def test_the_subsidy_stops_after_its_months_and_tapers_by_year():
    loan = Loan(principal_fen=1_000_000, annual_rate_bp=365, term_months=36, start=date(2027, 3, 20),
                method="interest_only")
    policy = HALF.model_copy(update={"subsidised_months": 24, "taper_percent_by_year": [100, 50]})
    periods = schedule(loan, policy, ACT365).periods
    assert [p.subsidy_fen for p in periods[:4]] == [p.interest_fen // 2 for p in periods[:4]], "year 1: all of it"
    assert periods[4].subsidy_fen == periods[4].interest_fen // 4, "year 2: half of the half"
    assert all(p.subsidy_fen == 0 for p in periods[8:]), "after 24 months: nothing"


methods = st.sampled_from(["equal_instalment", "equal_principal", "interest_only"])
policies = st.one_of(
    st.builds(SubsidyPolicy, borrower_share=st.just("share_of_interest"),
              subsidy_share_percent=st.integers(1, 100), rounding=st.sampled_from(["half_up", "down"]),
              subsidised_months=st.integers(1, 48),
              taper_percent_by_year=st.lists(st.integers(0, 100), min_size=1, max_size=4)),
    st.builds(SubsidyPolicy, borrower_share=st.just("floor_rate"), lpr_bp=st.just({date(2000, 1, 1): 345}),
              floor_margin_bp=st.integers(0, 300), max_subsidised_rate_bp=st.none() | st.integers(1, 400),
              max_subsidised_principal_fen=st.none() | st.integers(1, 400_000_000),
              rounding=st.sampled_from(["half_up", "down"])))


@settings(max_examples=300, deadline=None)
@given(principal=st.integers(1, 400_000_000), rate=st.integers(1, 1500), term=st.integers(1, 48), method=methods,
       start=st.dates(date(2024, 1, 1), date(2030, 12, 31)), policy=policies,
       day_count=st.sampled_from(["ACT/360", "ACT/365"]))
def test_properties_of_every_schedule(principal, rate, term, method, start, policy, day_count):
    loan = Loan(principal_fen=principal, annual_rate_bp=rate, term_months=term, start=start, method=method)
    result = schedule(loan, policy, BankConventions(day_count=day_count))
    assert sum(p.subsidy_fen for p in result.periods) == result.subsidy_fen, "the periods sum to the total"
    for p in result.periods:
        assert 0 <= p.subsidy_fen <= p.interest_fen and p.borrower_fen == p.interest_fen - p.subsidy_fen >= 0
        if policy.max_subsidised_rate_bp is not None:
            assert p.subsidy_fen <= p.interest_fen * policy.max_subsidised_rate_bp / rate + 1, "the rate cap holds"
    assert result.periods[-1].end == add_months(start, term), "the last period ends at maturity"
    assert [p.start for p in result.periods[1:]] == [p.end.fromordinal(p.end.toordinal() + 1)
                                                     for p in result.periods[:-1]], "periods follow each other"


def test_a_policy_needs_what_its_kind_uses():
    with pytest.raises(ValueError, match="LPR"):
        SubsidyPolicy(borrower_share="floor_rate")

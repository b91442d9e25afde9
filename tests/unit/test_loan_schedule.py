"""The subsidy schedule of one loan, pure: worked examples computed by hand (one per repayment method,
with a leap day and a rounding edge), and properties over random loans (hypothesis)."""

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loans.schedule import BankConventions, Loan, SubsidyPolicy, schedule
from siji_shared.dates import add_months
from siji_shared.loan_interest import charges

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
    # 等额本息 at 0.5 % a month: 1,200,000 × 0.005 × 1.005^12 / (1.005^12 − 1) = 103,279.72 → 103,280 fen a month;
    # each month's interest is 0.5 % of what is outstanding, half up, and the rest of 103,280 repays principal:
    #   month  outstanding  interest            repaid       month  outstanding  interest            repaid
    #    1     1,200,000    6,000               97,280        7      608,976     3,044.88 → 3,045   100,235
    #    2     1,102,720    5,513.60 → 5,514    97,766        8      508,741     2,543.705 → 2,544  100,736
    #    3     1,004,954    5,024.77 → 5,025    98,255        9      408,005     2,040.025 → 2,040  101,240
    #    4       906,699    4,533.495 → 4,533   98,747       10      306,765     1,533.825 → 1,534  101,746
    #    5       807,952    4,039.76 → 4,040    99,240       11      205,019     1,025.095 → 1,025  102,255
    #    6       708,712    3,543.56 → 3,544    99,736       12      102,764       513.82 → 514     102,764
    # the last instalment repays what is left: 102,764 + 514 = 103,278, the rounding difference (2 fen less);
    # in all 11 × 103,280 + 103,278 = 1,239,358 = the principal and 39,358 of interest.
    # Quarters: to 20 March (months 1-2), June (3-5), September (6-8), December (9-11), maturity (12);
    # half of each, half up: 11,514 / 2 = 5,757; 13,598 / 2 = 6,799; 9,133 / 2 = 4,566.5 → 4,567; 4,599 / 2 → 2,300
    loan = Loan(principal_fen=1_200_000, annual_rate_bp=600, term_months=12, start=date(2027, 1, 15),
                method="equal_instalment")
    result = schedule(loan, HALF)
    assert [(p.end, p.interest_fen, p.subsidy_fen, p.borrower_fen) for p in result.periods] == [
        (date(2027, 3, 20), 11_514, 5_757, 5_757), (date(2027, 6, 20), 13_598, 6_799, 6_799),
        (date(2027, 9, 20), 9_133, 4_567, 4_566), (date(2027, 12, 20), 4_599, 2_300, 2_299),
        (date(2028, 1, 15), 514, 257, 257)]
    last = charges(loan)[-1]
    assert (last.day, last.outstanding_fen, last.interest_fen) == (date(2028, 1, 15), 102_764, 514)
    assert last.outstanding_fen + last.interest_fen == 103_278, "the last instalment takes the rounding difference"
    assert result.interest_fen == 39_358 and result.subsidy_fen == 19_680


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


def test_a_period_across_the_anniversary_is_tapered_by_its_days():
    # 100 fen a day (3.65 % ACT/365 on CNY 10,000), half subsidised, year 2 at 50 %: the quarter 21 December 2027
    # to 20 March 2028 (91 days with 29 February) holds the first anniversary, 5 February 2028: 47 days of year 1
    # at 50 fen and 44 days of year 2 at 25 fen: 2,350 + 1,100 = 3,450
    loan = Loan(principal_fen=1_000_000, annual_rate_bp=365, term_months=24, start=date(2027, 2, 5),
                method="interest_only")
    policy = HALF.model_copy(update={"taper_percent_by_year": [100, 50]})
    quarter = next(p for p in schedule(loan, policy, ACT365).periods if p.end == date(2028, 3, 20))
    assert (quarter.days, quarter.interest_fen, quarter.subsidy_fen) == (91, 9_100, 3_450)


methods = st.sampled_from(["equal_instalment", "equal_principal", "interest_only"])
tapers = st.lists(st.integers(0, 100), min_size=1, max_size=4)
caps = {"max_subsidised_rate_bp": st.none() | st.integers(1, 400),
        "max_subsidised_principal_fen": st.none() | st.integers(1, 400_000_000),
        "subsidised_months": st.integers(1, 48), "taper_percent_by_year": tapers,
        "rounding": st.sampled_from(["half_up", "down"])}
lprs = st.dictionaries(st.dates(date(2024, 1, 2), date(2030, 12, 31)), st.integers(100, 600), max_size=6).map(
    lambda later: {date(2024, 1, 1): 345, **later})  # one LPR known before any start, then changes
policies = st.one_of(
    st.builds(SubsidyPolicy, borrower_share=st.just("share_of_interest"), subsidy_share_percent=st.integers(1, 100),
              **caps),
    st.builds(SubsidyPolicy, borrower_share=st.just("floor_rate"), lpr_bp=lprs, floor_margin_bp=st.integers(0, 300),
              **caps))


def subsidised_rate(policy: SubsidyPolicy, rate: int, start: date) -> Fraction:
    """The rate the policy subsidises, from its definition: above the borrower's floor (the LPR last set on
    or before the start, minus the margin; the borrower's part is between nothing and all of it) or its share
    of the rate; never above its cap."""
    if policy.borrower_share == "floor_rate":
        lpr = policy.lpr_bp[max(day for day in policy.lpr_bp if day <= start)]
        subsidised = Fraction(rate - min(max(lpr - policy.floor_margin_bp, 0), rate))
    else:
        subsidised = Fraction(rate * policy.subsidy_share_percent, 100)
    cap = policy.max_subsidised_rate_bp
    return subsidised if cap is None else min(subsidised, Fraction(cap))


def day_tapers(policy: SubsidyPolicy, start: date, first: date, last: date) -> list[int]:
    """Day by day from `first` to `last`: the taper (%) of the loan year the day is in (year n ends on
    the n-th anniversary of the start), 0 after the subsidised months."""
    subsidy_ends = add_months(start, policy.subsidised_months)
    out = []
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        year = next(y for y in range(1, 20) if day <= add_months(start, 12 * y))
        taper = policy.taper_percent_by_year[min(year, len(policy.taper_percent_by_year)) - 1]
        out.append(taper if day <= subsidy_ends else 0)
    return out


@settings(max_examples=400, deadline=None)
@given(principal=st.integers(1, 400_000_000), rate=st.integers(1, 1500), term=st.integers(1, 48), method=methods,
       start=st.dates(date(2024, 1, 1), date(2030, 12, 31)), policy=policies,
       day_count=st.sampled_from(["ACT/360", "ACT/365"]))
def test_properties_of_every_schedule(principal, rate, term, method, start, policy, day_count):
    loan = Loan(principal_fen=principal, annual_rate_bp=rate, term_months=term, start=start, method=method)
    bank = BankConventions(day_count=day_count)
    result = schedule(loan, policy, bank)
    subsidised = subsidised_rate(policy, rate, start)
    cap = policy.max_subsidised_principal_fen
    bank_charges = charges(loan, bank)
    for p in result.periods:
        assert 0 <= p.subsidy_fen <= p.interest_fen and p.borrower_fen == p.interest_fen - p.subsidy_fen >= 0
        own = [c for c in bank_charges if p.start <= c.day <= p.end]
        assert p.interest_fen == sum(c.interest_fen for c in own), "the interest is what the bank charges"
        outstanding = max((c.outstanding_fen for c in own), default=0)
        tapers_ = day_tapers(policy, start, p.start, p.end)
        exact = Fraction(p.interest_fen) * subsidised / rate * Fraction(sum(tapers_), 100 * p.days)
        if cap is not None and outstanding > cap:
            exact = exact * cap / outstanding
        assert abs(p.subsidy_fen - exact) < 1, "the period's subsidy: rate and principal caps, taper, one rounding"
        if policy.max_subsidised_rate_bp is not None:
            assert p.subsidy_fen <= p.interest_fen * Fraction(policy.max_subsidised_rate_bp, rate) + 1, "rate cap"
        if cap is not None and outstanding > cap:
            assert p.subsidy_fen <= p.interest_fen * Fraction(cap, outstanding) + 1, "principal cap"
        if p.start > add_months(start, policy.subsidised_months):
            assert p.subsidy_fen == 0, "nothing after the subsidised months"
    if method == "interest_only":
        # from first principles: the subsidised principal at the subsidised rate, each subsidised day at its
        # year's taper, by the day count; per period the bank's rounding (½ fen) and the policy's (< 1 fen)
        basis = 360 if day_count == "ACT/360" else 365
        days = sum(sum(day_tapers(policy, start, p.start, p.end)) for p in result.periods)
        expected = Fraction(min(principal, cap or principal)) * subsidised * days / (10_000 * basis * 100)
        assert abs(result.subsidy_fen - expected) <= Fraction(3, 2) * len(result.periods), "the total, independently"
    assert result.periods[-1].end == add_months(start, term), "the last period ends at maturity"
    assert [p.start for p in result.periods[1:]] == [p.end + timedelta(days=1) for p in result.periods[:-1]], \
        "periods follow each other"


def test_a_policy_needs_what_its_kind_uses():
    with pytest.raises(ValueError, match="LPR"):
        SubsidyPolicy(borrower_share="floor_rate")

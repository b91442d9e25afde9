"""The projected subsidy schedule of one loan under one policy, pure: no I/O, integer fen out.

The bank's side, as its conventions say: interest accrues on the outstanding principal. A loan repaid
in monthly instalments (等额本息, equal instalments; 等额本金, equal principal) is charged each month at
the annual rate / 12 on what is outstanding before that month's repayment; an interest-only loan
accrues daily with the day count (ACT/360 or ACT/365) and is charged on the bank's interest days
(结息日, the 20th of each quarter's last month by default) and at maturity. Each charge is rounded to
the fen, half up, as the bank books it.

The subsidy's side: interest is grouped into periods that end on the interest days (the last at
maturity); in each period within the subsidised months, the subsidy is the part of the charged
interest above the borrower's share — the interest at a floor rate (e.g. LPR − 150 bp, the LPR in force
on the loan's start date) or a share of the interest — limited by a cap on the subsidised rate and on
the subsidised principal, times the year's taper, rounded by the policy's rule. Exact arithmetic with
fractions: nothing is lost before the one rounding."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siji_shared.dates import add_months

Method = Literal["equal_instalment", "equal_principal", "interest_only"]


class Loan(BaseModel):
    """A loan as the bank disbursed it. `annual_rate_bp`: 435 is 4.35 % a year."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    principal_fen: int = Field(gt=0)
    annual_rate_bp: int = Field(gt=0, le=5000)
    term_months: int = Field(ge=1, le=120)
    start: date
    method: Method


class BankConventions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    day_count: Literal["ACT/360", "ACT/365"] = "ACT/360"
    interest_day: int = Field(20, ge=1, le=28, description="结息日: this day of each quarter's last month")


class SubsidyPolicy(BaseModel):
    """The borrower's share as a floor rate (LPR by date minus a margin) or as a share of the interest."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    borrower_share: Literal["floor_rate", "share_of_interest"]
    lpr_bp: dict[date, int] = Field(default_factory=dict, description="the LPR (bp) from each date on")
    floor_margin_bp: int = Field(150, ge=0, description="borrower floor = LPR − this")
    subsidy_share_percent: int = Field(0, ge=0, le=100, description="share_of_interest: the subsidised share")
    max_subsidised_rate_bp: int | None = Field(None, gt=0, description="the subsidy never exceeds this rate")
    max_subsidised_principal_fen: int | None = Field(None, gt=0)
    subsidised_months: int = Field(24, ge=1)
    taper_percent_by_year: list[int] = Field(default_factory=lambda: [100], description="year 1, 2, ...; "
                                             "the last applies after")
    rounding: Literal["half_up", "down"] = "down"

    @model_validator(mode="after")
    def _complete(self) -> SubsidyPolicy:
        if self.borrower_share == "floor_rate" and not self.lpr_bp:
            raise ValueError("a floor-rate policy needs the LPR by date")
        if self.borrower_share == "share_of_interest" and not self.subsidy_share_percent:
            raise ValueError("a share-of-interest policy needs subsidy_share_percent")
        return self

    def lpr_on(self, day: date) -> int:
        known = [d for d in self.lpr_bp if d <= day]
        if not known:
            raise ValueError(f"no LPR known on {day.isoformat()}")
        return self.lpr_bp[max(known)]


@dataclass(frozen=True)
class Period:
    start: date  # the day after the previous period's end
    end: date    # an interest day, or maturity
    days: int
    interest_fen: int  # what the bank charges in the period
    borrower_fen: int
    subsidy_fen: int

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Schedule:
    periods: list[Period]

    @property
    def subsidy_fen(self) -> int:
        return sum(p.subsidy_fen for p in self.periods)

    @property
    def interest_fen(self) -> int:
        return sum(p.interest_fen for p in self.periods)

    def as_json(self) -> dict[str, Any]:
        return {"periods": [p.as_json() for p in self.periods], "interest_fen": self.interest_fen,
                "subsidy_fen": self.subsidy_fen, "borrower_fen": self.interest_fen - self.subsidy_fen}


def schedule(loan: Loan, policy: SubsidyPolicy, bank: BankConventions = BankConventions()) -> Schedule:
    maturity = add_months(loan.start, loan.term_months)
    all_charges = charges(loan, bank)
    periods: list[Period] = []
    previous = loan.start
    for end in period_ends(loan.start, maturity, bank):
        interest = sum(c.interest_fen for c in all_charges if previous < c.day <= end)
        outstanding = max((c.outstanding_fen for c in all_charges if previous < c.day <= end), default=0)
        subsidy = period_subsidy(loan, policy, after=previous, end=end, interest_fen=interest,
                                 outstanding_fen=outstanding)
        periods.append(Period(previous + timedelta(days=1), end, (end - previous).days, interest,
                              interest - subsidy, subsidy))
        previous = end
    return Schedule(periods)


def period_subsidy(loan: Loan, policy: SubsidyPolicy, *, after: date, end: date, interest_fen: int,
                   outstanding_fen: int) -> int:
    """The subsidy of one period (the day after `after` up to `end`) from the interest the bank charged
    in it on `outstanding_fen`: nothing once the subsidised months are over, pro rata by days in the
    period they end in. The service calls it with the bank's actual figures; schedule() with projected."""
    subsidy_ends = add_months(loan.start, policy.subsidised_months)
    if after >= subsidy_ends:
        return 0
    subsidy = _subsidy(loan, policy, interest_fen, outstanding_fen, end)
    if subsidy_ends < end:
        subsidy = _round(Fraction(subsidy * (subsidy_ends - after).days, (end - after).days), "down")
    return subsidy


@dataclass(frozen=True)
class Charge:
    day: date             # when the bank charges it
    interest_fen: int
    outstanding_fen: int  # the principal it was charged on


def charges(loan: Loan, bank: BankConventions = BankConventions()) -> list[Charge]:
    """The interest the bank charges over the loan's life, by its conventions, if all goes to plan."""
    maturity = add_months(loan.start, loan.term_months)
    return [Charge(day, fen, outstanding) for day, fen, outstanding in _charges(loan, bank, maturity)]


def _charges(loan: Loan, bank: BankConventions, maturity: date) -> list[tuple[date, int, int]]:
    rate = Fraction(loan.annual_rate_bp, 10_000)
    if loan.method == "interest_only":
        basis = 360 if bank.day_count == "ACT/360" else 365
        charges, previous = [], loan.start
        for end in period_ends(loan.start, maturity, bank):
            charges.append((end, _round(loan.principal_fen * rate * (end - previous).days / basis, "half_up"),
                            loan.principal_fen))
            previous = end
        return charges
    monthly = rate / 12
    outstanding, charges = loan.principal_fen, []
    instalment = _equal_instalment(loan.principal_fen, monthly, loan.term_months)
    for month in range(1, loan.term_months + 1):
        interest = _round(outstanding * monthly, "half_up")
        if month == loan.term_months:
            repaid = outstanding
        elif loan.method == "equal_principal":
            repaid = _round(Fraction(loan.principal_fen, loan.term_months), "half_up")
        else:
            repaid = instalment - interest
        charges.append((add_months(loan.start, month), interest, outstanding))
        outstanding -= repaid
    return charges


def _equal_instalment(principal: int, monthly: Fraction, months: int) -> int:
    """等额本息: the monthly payment, rounded to the fen (the last instalment takes the difference)."""
    growth = (1 + monthly) ** months
    return _round(principal * monthly * growth / (growth - 1), "half_up")


def _subsidy(loan: Loan, policy: SubsidyPolicy, interest: int, outstanding: int, end: date) -> int:
    if interest <= 0:
        return 0
    rate = loan.annual_rate_bp
    subsidised_rate: Fraction
    if policy.borrower_share == "floor_rate":
        floor = policy.lpr_on(loan.start) - policy.floor_margin_bp
        subsidised_rate = Fraction(max(rate - floor, 0))
    else:
        subsidised_rate = Fraction(rate * policy.subsidy_share_percent, 100)
    if policy.max_subsidised_rate_bp is not None:
        subsidised_rate = min(subsidised_rate, Fraction(policy.max_subsidised_rate_bp))
    amount = Fraction(interest) * Fraction(subsidised_rate) / rate
    if policy.max_subsidised_principal_fen is not None and outstanding > policy.max_subsidised_principal_fen:
        amount = amount * policy.max_subsidised_principal_fen / outstanding
    year = (end.year - loan.start.year) * 12 + end.month - loan.start.month
    taper = policy.taper_percent_by_year[min(max(year - 1, 0) // 12, len(policy.taper_percent_by_year) - 1)]
    return min(_round(amount * taper / 100, policy.rounding), interest)


def period_ends(start: date, maturity: date, bank: BankConventions) -> list[date]:
    """The bank's interest days (结息日) after `start` and before `maturity`, then maturity."""
    ends: list[date] = []
    year, month = start.year, start.month
    while True:
        quarter_end_month = ((month - 1) // 3 + 1) * 3
        day = date(year, quarter_end_month, bank.interest_day)
        if day > start and day < maturity and (not ends or day > ends[-1]):
            ends.append(day)
        if day >= maturity:
            break
        month = quarter_end_month + 1
        year, month = (year + 1, 1) if month > 12 else (year, month)
    return [*ends, maturity]


def _round(value: Fraction | int, rule: str) -> int:
    fraction = Fraction(value)
    decimal = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return int(decimal.quantize(Decimal(1), rounding=ROUND_HALF_UP if rule == "half_up" else ROUND_DOWN))

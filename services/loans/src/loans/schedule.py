"""The projected subsidy schedule of one loan under one policy, pure: no I/O, integer fen out.

The bank's side is its published conventions (siji_shared.loan_interest): what it charges, when, on
what principal. The subsidy's side: interest is grouped into periods that end on the interest days (the last at
maturity); in each period the subsidy is the part of the charged interest above the borrower's share —
the interest at a floor rate (e.g. LPR − 150 bp, the LPR in force on the loan's start date) or a share
of the interest — limited by a cap on the subsidised rate and on the subsidised principal, and weighted
by the period's days: each day at the taper of the loan year it falls in (year 1 is up to the first
anniversary of the start), nothing for the days after the subsidised months. Exact arithmetic with
fractions: nothing is lost before the one rounding, by the policy's rule."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siji_shared.dates import add_months
from siji_shared.loan_interest import BankConventions, Loan, charges, period_ends, round_fen


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
    in it on `outstanding_fen`, rounded once. The service calls it with the bank's actual figures;
    schedule() with projected."""
    weight = subsidised_weight(loan, policy, after=after, end=end)
    if interest_fen <= 0 or weight == 0:
        return 0
    rate = loan.annual_rate_bp
    subsidised_rate: Fraction
    if policy.borrower_share == "floor_rate":
        floor = max(policy.lpr_on(loan.start) - policy.floor_margin_bp, 0)  # a borrower never bears less than 0
        subsidised_rate = Fraction(max(rate - floor, 0))
    else:
        subsidised_rate = Fraction(rate * policy.subsidy_share_percent, 100)
    if policy.max_subsidised_rate_bp is not None:
        subsidised_rate = min(subsidised_rate, Fraction(policy.max_subsidised_rate_bp))
    amount = Fraction(interest_fen) * subsidised_rate / rate
    if policy.max_subsidised_principal_fen is not None and outstanding_fen > policy.max_subsidised_principal_fen:
        amount = amount * policy.max_subsidised_principal_fen / outstanding_fen
    return min(round_fen(amount * weight, policy.rounding), interest_fen)


def subsidised_weight(loan: Loan, policy: SubsidyPolicy, *, after: date, end: date) -> Fraction:
    """The share of the period's days the subsidy covers: each day at the taper of its loan year (year
    n runs up to the n-th anniversary of the start, inclusive; the list's last taper applies after it),
    none after the subsidised months. A period across an anniversary or the subsidy's end is split by days."""
    subsidy_ends = min(end, add_months(loan.start, policy.subsidised_months))
    tapers = policy.taper_percent_by_year
    weighted, day, year = 0, after, 1
    while day < subsidy_ends:
        year_ends = min(add_months(loan.start, 12 * year), subsidy_ends)
        if year_ends > day:
            weighted += (year_ends - day).days * tapers[min(year, len(tapers)) - 1]
            day = year_ends
        year += 1
    return Fraction(weighted, 100 * (end - after).days)

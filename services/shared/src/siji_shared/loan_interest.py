"""The bank's published interest conventions for loans, pure: what it charges, when and on what. The
bank (its simulator) charges by them and the loans service projects a subsidy schedule by them, so the
two agree to the fen when all goes to plan; the service pays on what the bank reports it charged.

A loan repaid in monthly instalments (等额本息, equal instalments; 等额本金, equal principal) is charged each
month at the annual rate / 12 on what is outstanding before that month's repayment; an interest-only loan
accrues daily with the day count (ACT/360 or ACT/365) and is charged on the bank's interest days (结息日,
the 20th of each quarter's last month by default) and at maturity. Each charge is rounded to the fen,
half up, as the bank books it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
            charges.append((end, round_fen(loan.principal_fen * rate * (end - previous).days / basis, "half_up"),
                            loan.principal_fen))
            previous = end
        return charges
    monthly = rate / 12
    outstanding, charges = loan.principal_fen, []
    instalment = _equal_instalment(loan.principal_fen, monthly, loan.term_months)
    for month in range(1, loan.term_months + 1):
        interest = round_fen(outstanding * monthly, "half_up")
        if month == loan.term_months:
            repaid = outstanding
        elif loan.method == "equal_principal":
            repaid = round_fen(Fraction(loan.principal_fen, loan.term_months), "half_up")
        else:
            repaid = instalment - interest
        charges.append((add_months(loan.start, month), interest, outstanding))
        outstanding -= repaid
    return charges


def _equal_instalment(principal: int, monthly: Fraction, months: int) -> int:
    """等额本息: the monthly payment, rounded to the fen (the last instalment takes the difference)."""
    growth = (1 + monthly) ** months
    return round_fen(principal * monthly * growth / (growth - 1), "half_up")


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


def round_fen(value: Fraction | int, rule: str) -> int:
    fraction = Fraction(value)
    decimal = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return int(decimal.quantize(Decimal(1), rounding=ROUND_HALF_UP if rule == "half_up" else ROUND_DOWN))

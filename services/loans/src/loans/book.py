"""The loan book, pure: the loans a batch touches, their periods and their funds, held in memory while
the bank's events (and the fund's top-ups and the subsidy payments' outcomes) are applied in order. The
service loads the state in one statement per table, applies, and writes back what changed the same way.

The fund's rule: a loan's projected subsidy is reserved when the bank disburses it, or the loan waits,
in order, until a top-up covers it; each period then releases its projection and spends what the bank's
actual interest earns (never more than the fund holds: what it cannot pay is the period's shortfall,
recorded and shown, never dropped silently); a stop releases the rest. The projection charges interest by
the conventions the bank states in its loan.disbursed event (day count, interest day), as it will charge."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from contracts.envelope import EventPayload
from contracts.loans import (
    LoanDeclinedV1,
    LoanDisbursedV1,
    SubsidyClawbackRaisedV1,
    SubsidyDueV2,
    SubsidyForfeitedV1,
    SubsidyPaidV1,
    SubsidyReservedV1,
    SubsidyStoppedV1,
)
from loans.policy import PolicyDocument
from loans.schedule import BankConventions, Loan, period_subsidy, schedule

ENTITLEMENT_NAMESPACE = uuid.UUID("2f0c3e55-6b1a-4d7e-9c8f-5a4b3c2d1e0f")
STOPPED = ("repaid_early", "defaulted", "matured", "forfeited")


def entitlement_id(loan_id: UUID, period_end: date) -> UUID:
    """One period's entitlement: disbursement pays it at most once, whatever is redelivered."""
    return uuid.uuid5(ENTITLEMENT_NAMESPACE, f"{loan_id}:{period_end.isoformat()}")


@dataclass
class Fund:
    campaign: str
    total_fen: int
    reserved_fen: int
    spent_fen: int
    waiting: int = 0  # loans in its queue

    @property
    def available_fen(self) -> int:
        return self.total_fen - self.reserved_fen - self.spent_fen


@dataclass
class LoanState:
    loan_id: UUID
    campaign: str
    region: str
    year: int
    principal_fen: int
    term_months: int
    method: str
    status: str
    bank_loan_id: str | None = None
    annual_rate_bp: int | None = None
    start_date: date | None = None
    policy_id: str | None = None
    policy_version: int | None = None
    projected_fen: int = 0
    reserved_fen: int = 0
    spent_fen: int = 0
    waiting_seq: int | None = None
    stopped_on: date | None = None
    clawback_fen: int = 0
    reason: str | None = None

    def as_loan(self) -> Loan:
        assert self.annual_rate_bp is not None and self.start_date is not None
        return Loan(principal_fen=self.principal_fen, annual_rate_bp=self.annual_rate_bp,
                    term_months=self.term_months, start=self.start_date, method=self.method)


@dataclass
class PeriodState:
    loan_id: UUID
    period_end: date
    period_start: date
    projected_fen: int = 0
    interest_fen: int | None = None
    penalty_fen: int | None = None
    outstanding_fen: int | None = None
    bank_status: str | None = None
    paid_on_time: bool | None = None
    subsidy_fen: int = 0
    shortfall_fen: int = 0  # earned but more than the fund held: not paid
    status: str = "projected"
    entitlement_id: UUID | None = None
    payment_id: UUID | None = None
    reported_seq: int | None = None


Payee = Callable[[UUID], tuple[str, str]]  # loan id -> (name, account) sealed for disbursement, when a subsidy is due


@dataclass
class Book:
    loans: dict[UUID, LoanState]
    periods: dict[tuple[UUID, date], PeriodState]
    funds: dict[str, Fund]
    policies: dict[tuple[str, int], PolicyDocument]
    payee: Payee
    in_force: Callable[[str, int], PolicyDocument]  # (region, year) -> the highest loaded version
    emitted: list[EventPayload] = field(default_factory=list)
    shortfalls: list[PeriodState] = field(default_factory=list)  # periods earning more than the fund held
    changed_loans: set[UUID] = field(default_factory=set)
    changed_periods: set[tuple[UUID, date]] = field(default_factory=set)
    _by_loan: dict[UUID, list[PeriodState]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for period in self.periods.values():
            self._by_loan.setdefault(period.loan_id, []).append(period)

    def periods_of(self, loan_id: UUID) -> list[PeriodState]:
        return sorted(self._by_loan.get(loan_id, []), key=lambda p: p.period_end)

    def _add_period(self, period: PeriodState) -> None:
        self.periods[(period.loan_id, period.period_end)] = period
        self._by_loan.setdefault(period.loan_id, []).append(period)
        self.changed_periods.add((period.loan_id, period.period_end))

    # -- the bank's answers and events ------------------------------------------------------------

    def declined(self, loan_id: UUID, reason: str) -> None:
        loan = self._touch(loan_id)
        if loan.status != "approved":
            return
        loan.status, loan.reason = "declined", reason
        self.emitted.append(LoanDeclinedV1(loan_id=loan_id, campaign=loan.campaign, reason=reason))

    def disbursed(self, loan_id: UUID, *, seq: int, bank_loan_id: str, annual_rate_bp: int, start: date,
                  term_months: int, method: str, conventions: BankConventions | None = None) -> None:
        """Reserve the projected subsidy from the fund, or join the fund's queue. The projection charges
        interest as the bank said it will (`conventions`, from its event); the policy's `bank` only stands
        in for a bank that does not say."""
        loan = self._touch(loan_id)
        if loan.status not in ("approved",):
            return
        policy = self.in_force(loan.region, loan.year)
        loan.bank_loan_id, loan.annual_rate_bp, loan.start_date = bank_loan_id, annual_rate_bp, start
        loan.term_months, loan.method = term_months, method
        loan.policy_id, loan.policy_version = policy.policy_id, policy.version
        projection = schedule(loan.as_loan(), policy.subsidy, conventions or policy.bank)
        for p in projection.periods:
            self._add_period(PeriodState(loan_id, p.end, p.start, projected_fen=p.subsidy_fen))
        loan.projected_fen = projection.subsidy_fen
        fund = self.funds[loan.campaign]
        if fund.waiting == 0 and fund.available_fen >= loan.projected_fen:
            self._reserve(loan, fund, loan.projected_fen)
            position = None
        else:
            loan.status, loan.waiting_seq = "waiting", seq
            fund.waiting += 1
            position = fund.waiting
        self.emitted.append(LoanDisbursedV1(
            loan_id=loan_id, campaign=loan.campaign, bank_loan_id=bank_loan_id, principal_fen=loan.principal_fen,
            annual_rate_bp=annual_rate_bp, term_months=term_months, start=start, method=method,  # type: ignore[arg-type]
            policy_id=policy.policy_id, policy_version=policy.version, projected_subsidy_fen=loan.projected_fen,
            reserved=position is None, waiting_position=position))

    def interest_charged(self, loan_id: UUID, *, seq: int, period_start: date, period_end: date, interest_fen: int,
                         penalty_fen: int, outstanding_fen: int, status: str, paid_on_time: bool) -> None:
        """A period's interest as the bank charged it: the subsidy it earns (penalty interest never
        counts), or nothing for an overdue or extended period; its projection is released either way."""
        loan = self._touch(loan_id)
        key = (loan_id, period_end)
        period = self.periods.get(key)
        if (period and period.reported_seq is not None) or loan.status in STOPPED or loan.status in ("approved",
                                                                                                   "declined"):
            return
        projected = 0  # what the projection reserved for the days this period covers
        for other in self.periods_of(loan_id):
            if other.status == "projected" and other.period_start <= period_end and other is not period:
                projected += other.projected_fen  # a period cut short (early repayment) replaces its projection
                other.status = "cancelled"
                self.changed_periods.add((loan_id, other.period_end))
        if period is None:
            period = PeriodState(loan_id, period_end, period_start)
            self._add_period(period)
        self.changed_periods.add(key)
        projected += period.projected_fen
        period.period_start, period.interest_fen, period.penalty_fen = period_start, interest_fen, penalty_fen
        period.outstanding_fen, period.bank_status, period.paid_on_time = outstanding_fen, status, paid_on_time
        period.reported_seq = seq
        policy = self._policy(loan)
        forfeited = status != "normal" or not paid_on_time
        earned = 0 if forfeited else period_subsidy(
            loan.as_loan(), policy.subsidy, after=period_start - timedelta(days=1), end=period_end,
            interest_fen=interest_fen, outstanding_fen=outstanding_fen)
        if loan.status == "waiting":  # paid when the loan is taken up
            period.subsidy_fen, period.status = earned, "forfeited" if forfeited else "pending"
            return
        fund = self.funds[loan.campaign]
        released = min(projected, loan.reserved_fen)
        loan.reserved_fen -= released
        fund.reserved_fen -= released
        if forfeited:
            period.status = "forfeited"
            reason = "overdue" if status != "extended" else "extended"
            self.emitted.append(SubsidyForfeitedV1(loan_id=loan_id, campaign=loan.campaign, period_end=period_end,
                                                   reason=reason, released_fen=released))  # type: ignore[arg-type]
            rule = policy.on_overdue if reason == "overdue" else policy.on_extension
            if rule == "forfeit_rest":
                self._stop(loan, "forfeited", period_end, reason=f"{reason}: the policy forfeits the rest")
            return
        period.subsidy_fen = min(earned, fund.available_fen)  # never more than the fund holds
        period.shortfall_fen = earned - period.subsidy_fen
        if period.shortfall_fen:
            self.shortfalls.append(period)
        self._spend(loan, fund, period)

    def repaid_early(self, loan_id: UUID, on: date) -> None:
        self._stop(self._touch(loan_id), "repaid_early", on)

    def matured(self, loan_id: UUID, on: date) -> None:
        self._stop(self._touch(loan_id), "matured", on)

    def defaulted(self, loan_id: UUID, on: date) -> None:
        """违约: the subsidy stops; a subsidy made due in this batch is withdrawn before it is sent (not paid,
        its money back to the fund). Where the policy claws back, what was paid becomes a receivable now,
        and a payment already on its way when the loan defaulted is clawed back when it settles."""
        loan = self._touch(loan_id)
        if loan.status in STOPPED:
            return
        self._withdraw_unsent(loan)
        self._stop(loan, "defaulted", on)
        paid = sum(p.subsidy_fen for p in self.periods_of(loan_id) if p.status == "paid")
        self._claw_back(loan, paid, f"借款人违约，追回已贴息 {paid} 分（the borrower defaulted on {on.isoformat()}; "
                                    "the policy claws back the subsidy paid）")

    def _withdraw_unsent(self, loan: LoanState) -> None:
        unsent = [e for e in self.emitted if isinstance(e, SubsidyDueV2) and e.loan_id == loan.loan_id]
        if not unsent:
            return
        fund = self.funds[loan.campaign]
        for due in unsent:
            self.emitted.remove(due)
            period = self.periods[(loan.loan_id, due.period_end)]
            period.status, period.entitlement_id = "cancelled", None
            loan.spent_fen -= period.subsidy_fen
            fund.spent_fen -= period.subsidy_fen

    def _claw_back(self, loan: LoanState, amount_fen: int, reason: str) -> None:
        if amount_fen <= 0 or self._policy(loan).on_default != "stop_and_claw_back":
            return
        self.changed_loans.add(loan.loan_id)
        loan.clawback_fen += amount_fen
        self.emitted.append(SubsidyClawbackRaisedV1(loan_id=loan.loan_id, campaign=loan.campaign,
                                                    amount_fen=amount_fen, reason=reason))

    def extended(self, loan_id: UUID) -> None:
        """展期: nothing changes until the extended periods come; they get nothing (policy.on_extension)."""
        self._touch(loan_id)

    # -- the fund ---------------------------------------------------------------------------------

    def take_up(self, waiting: list[LoanState]) -> None:
        """After a top-up: the fund's waiting loans in queue order, while it covers each one's remaining
        projection and what its reported periods earned; the first it cannot cover keeps the queue."""
        for loan in waiting:
            self.loans.setdefault(loan.loan_id, loan)
            fund = self.funds[loan.campaign]
            periods = self.periods_of(loan.loan_id)
            remaining = sum(p.projected_fen for p in periods if p.status == "projected")
            pending = [p for p in periods if p.status == "pending"]
            if fund.available_fen < remaining + sum(p.subsidy_fen for p in pending):
                return
            self.changed_loans.add(loan.loan_id)
            fund.waiting -= 1
            loan.waiting_seq = None
            self._reserve(loan, fund, remaining)
            self.emitted.append(SubsidyReservedV1(loan_id=loan.loan_id, campaign=loan.campaign, amount_fen=remaining))
            for period in pending:
                self.changed_periods.add((loan.loan_id, period.period_end))
                self._spend(loan, fund, period)

    def payment_settled(self, period: PeriodState, payment_id: UUID) -> None:
        if period.status != "due":
            return
        loan = self.loans[period.loan_id]
        period.status, period.payment_id = "paid", payment_id
        self.changed_periods.add((period.loan_id, period.period_end))
        self.emitted.append(SubsidyPaidV1(loan_id=loan.loan_id, campaign=loan.campaign, period_end=period.period_end,
                                          payment_id=payment_id, amount_fen=period.subsidy_fen))
        if loan.status == "defaulted":
            self._claw_back(loan, period.subsidy_fen, f"违约后到账的贴息 {period.subsidy_fen} 分一并追回（paid for the "
                                                      f"period to {period.period_end.isoformat()} after the default）")

    def payment_failed(self, period: PeriodState, payment_id: UUID) -> None:
        """The bank refused it: the money goes back to the fund."""
        if period.status != "due":
            return
        loan = self._touch(period.loan_id)
        fund = self.funds[loan.campaign]
        period.status, period.payment_id = "failed", payment_id
        self.changed_periods.add((period.loan_id, period.period_end))
        loan.spent_fen -= period.subsidy_fen
        fund.spent_fen -= period.subsidy_fen

    # -- helpers ----------------------------------------------------------------------------------

    def _touch(self, loan_id: UUID) -> LoanState:
        self.changed_loans.add(loan_id)
        return self.loans[loan_id]

    def _policy(self, loan: LoanState) -> PolicyDocument:
        assert loan.policy_id is not None and loan.policy_version is not None
        return self.policies[(loan.policy_id, loan.policy_version)]

    def _reserve(self, loan: LoanState, fund: Fund, amount: int) -> None:
        loan.status = "active"
        loan.reserved_fen += amount
        fund.reserved_fen += amount

    def _spend(self, loan: LoanState, fund: Fund, period: PeriodState) -> None:
        if period.subsidy_fen <= 0:
            period.status = "nothing_due"
            return
        period.status = "due"
        period.entitlement_id = entitlement_id(loan.loan_id, period.period_end)
        loan.spent_fen += period.subsidy_fen
        fund.spent_fen += period.subsidy_fen
        name, account = self.payee(loan.loan_id)
        self.emitted.append(SubsidyDueV2(
            case_id=period.entitlement_id, loan_id=loan.loan_id, campaign=loan.campaign,
            amount_fen=period.subsidy_fen, period_start=period.period_start, period_end=period.period_end,
            interest_fen=period.interest_fen or 0, payee_name_sealed=name, payee_account_sealed=account))

    def _stop(self, loan: LoanState, status: str, on: date, *, reason: str | None = None) -> None:
        """No more subsidy: the rest of the reservation goes back to the fund; a waiting loan leaves the queue."""
        if loan.status in STOPPED or loan.status in ("approved", "declined"):
            return
        fund = self.funds[loan.campaign]
        if loan.status == "waiting":
            fund.waiting -= 1
            loan.waiting_seq = None
        released = loan.reserved_fen
        fund.reserved_fen -= released
        loan.reserved_fen = 0
        loan.status, loan.stopped_on, loan.reason = status, on, reason or loan.reason
        for period in self.periods_of(loan.loan_id):
            if period.status in ("projected", "pending"):
                period.status = "cancelled"
                self.changed_periods.add((loan.loan_id, period.period_end))
        self.emitted.append(SubsidyStoppedV1(loan_id=loan.loan_id, campaign=loan.campaign, reason=status,  # type: ignore[arg-type]
                                             on=on, released_fen=released))


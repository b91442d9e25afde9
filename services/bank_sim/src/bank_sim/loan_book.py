"""The simulated bank's loan book (贴息贷款: loans whose interest a union subsidises). The bank lends once
per application id, on its business date, at its rate (varied per loan); it charges interest by the
published conventions of `siji_shared.loan_interest`, which the subsidy side computes with too, so the two agree to
the fen when all goes to plan. What happens to a loan is an append-only feed of events, numbered 1, 2,
3, ...: its disbursement, each interest period (结息) when the bank closes the first business day on or
after the period's end, and early repayment, extension (展期), default or maturity.

What goes wrong is drawn per loan and period from the seed (like the payments' fates), with the rates in
force at the close that reports it; each close journals those rates and each admin action journals its
own, so replaying the journal rebuilds the identical book and feed whatever the bank is started with.
Every draw about a period happens when a close or an action touches the loan: a close touches only the
loans that are due, kept in a heap by the date they are next due."""

from __future__ import annotations

import hashlib
import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from siji_shared.dates import add_months
from siji_shared.loan_interest import BankConventions, Charge, Loan, Method, charges, period_ends

RATE_SPREAD_BP = 50  # each loan's rate: the bank's rate ± up to this
EXTENSION_MONTHS = 6
DECLINES = ("credit review failed", "income could not be verified", "existing loans overdue at other banks")

Action = Literal["repay_early", "overdue_next_period", "extend", "default"]
LoanStatus = Literal["active", "repaid_early", "defaulted", "matured"]


@dataclass(frozen=True)
class LoanTerms:
    conventions: BankConventions = field(default_factory=BankConventions)
    rate_bp: int = 395
    penalty_percent: int = 50  # 罚息 on an overdue period: this share of its interest


@dataclass(frozen=True)
class LoanBehaviour:
    """Shares of loans that go each way, per loan (declines, extensions at maturity) or per period."""

    early_repayment_rate: float = 0.0
    overdue_rate: float = 0.0
    extension_rate: float = 0.0
    default_rate: float = 0.0  # after an overdue period
    loan_decline_rate: float = 0.0


@dataclass(frozen=True)
class Application:
    application_id: str
    borrower_ref: str
    borrower_name: str
    account: str
    principal_fen: int
    term_months: int
    method: Method


@dataclass(frozen=True)
class Decision:
    application_id: str
    status: Literal["disbursed", "declined"]
    loan_id: str | None = None
    reason: str | None = None


class LoanUnknown(LookupError):
    """No loan of this id at this bank."""


class LoanActionRefused(Exception):
    """An admin action the loan's state does not allow (it is closed, or past the point the action makes sense)."""


@dataclass(eq=False)
class BookedLoan:
    """One loan and where it stands: the periods reported, those still to come, what the next one brings."""

    loan_id: str
    order: int  # the order disbursed in, so loans due the same day report in a fixed order
    application: Application
    loan: Loan
    charges: list[Charge]  # as planned up to the original maturity
    original_maturity: date
    maturity: date  # moved on by an extension
    previous_end: date  # the end of the last period reported (the start before the first)
    ends: deque[date] = field(default_factory=deque)  # the period ends still to report
    next_charge: int = 0  # the first of `charges` not yet reported
    repay_from: date | None = None  # an early repayment may come from this day within the current period
    overdue_next: bool = False
    status: LoanStatus = "active"
    queued: date | None = None  # the date it is in the heap under (older entries are stale)
    periods: list[dict[str, Any]] = field(default_factory=list)

    @property
    def extended_outstanding_fen(self) -> int:
        """An extension carries the principal the last instalment would have repaid (all of it if interest only)."""
        return self.charges[-1].outstanding_fen

    def due(self) -> date:
        end = self.ends[0]
        return min(end, self.repay_from) if self.repay_from else end


class LoanBook:
    def __init__(self, terms: LoanTerms, behaviour: LoanBehaviour, *, seed: int,
                 record: Callable[[dict[str, Any]], None]) -> None:
        self.terms = terms
        self.behaviour = behaviour
        self.seed = seed
        self._record = record  # the bank's journal: it appends the entry, then replays it here
        self.decisions: dict[str, Decision] = {}
        self.loans: dict[str, BookedLoan] = {}
        self.events: list[dict[str, Any]] = []
        self._due: list[tuple[date, int, str]] = []

    def lend(self, applications: list[Application], on: date) -> list[Decision]:
        """Decide each application once, the same application again gets its first answer. The new
        decisions are one journal entry; the answers come from the book it builds."""
        new: dict[str, dict[str, Any]] = {}
        for application in applications:
            if application.application_id not in self.decisions and application.application_id not in new:
                new[application.application_id] = self._decide(application)
        if new:
            self._record({"loans": list(new.values()), "on": on.isoformat()})
        return [self.decisions[a.application_id] for a in applications]

    def act(self, loan_id: str, action: Action, months: int | None, on: date) -> None:
        """An action for tests, on the bank's business date: checked here, it takes effect as it is journalled."""
        book = self.loan(loan_id)
        if book.status != "active":
            raise LoanActionRefused(f"loan {loan_id} is {book.status}")
        if on > book.maturity:
            raise LoanActionRefused(f"loan {loan_id} fell due on {book.maturity.isoformat()}")
        if action == "repay_early" and not book.loan.start < on < book.maturity:
            raise LoanActionRefused(f"loan {loan_id} can be repaid early only after the day it was disbursed "
                                    f"and before its maturity, {book.maturity.isoformat()}")
        self._record({"loan_event": {"loan_id": loan_id, "type": action, "months": months, "on": on.isoformat(),
                                     "behaviour": asdict(self.behaviour)}})

    def close(self, day: date, behaviour: LoanBehaviour) -> None:
        """Report every loan's periods ending on or before the business day closed, with what comes of them."""
        while self._due and self._due[0][0] <= day:
            when, _, loan_id = heapq.heappop(self._due)
            book = self.loans[loan_id]
            if book.queued != when:
                continue
            book.queued = None
            self._advance(book, day, behaviour)
            self._schedule(book)

    def replay(self, entry: dict[str, Any]) -> None:
        """Apply a journal entry of the loan book's: decisions on applications, or an admin action."""
        if "loans" in entry:
            on = date.fromisoformat(entry["on"])
            for item in entry["loans"]:
                self._book(Application(**item["application"]), Decision(**item["decision"]), item["annual_rate_bp"],
                           on)
            return
        action = entry["loan_event"]
        self._apply(self.loans[action["loan_id"]], action["type"], action["months"], date.fromisoformat(action["on"]),
                    LoanBehaviour(**action["behaviour"]))

    def feed(self, after: int, limit: int) -> list[dict[str, Any]]:
        return self.events[after:after + limit]

    def newest_seq(self) -> int:
        return len(self.events)

    def loan(self, loan_id: str) -> BookedLoan:
        if (book := self.loans.get(loan_id)) is None:
            raise LoanUnknown(f"no loan {loan_id} at this bank")
        return book

    def view(self, loan_id: str) -> dict[str, Any]:
        book = self.loan(loan_id)
        application = book.application
        return {"loan_id": book.loan_id, "application_id": application.application_id,
                "borrower_ref": application.borrower_ref, "borrower_name": application.borrower_name,
                "account": application.account, **self._terms_of(book),
                "maturity": book.maturity.isoformat(),  # as extended
                "status": book.status, "periods": book.periods}

    def _decide(self, application: Application) -> dict[str, Any]:
        draw = self._draw(f"decline:{application.application_id}")
        if draw < self.behaviour.loan_decline_rate:
            decision = Decision(application.application_id, "declined",
                                reason=DECLINES[int(draw * 1000) % len(DECLINES)])
            return {"application": asdict(application), "decision": asdict(decision), "annual_rate_bp": None}
        loan_id = f"FZL{hashlib.sha256(application.application_id.encode()).hexdigest()[:16].upper()}"
        rate = self.terms.rate_bp + round((2 * self._draw(f"rate:{loan_id}") - 1) * RATE_SPREAD_BP)
        return {"application": asdict(application), "annual_rate_bp": rate,
                "decision": asdict(Decision(application.application_id, "disbursed", loan_id=loan_id))}

    def _book(self, application: Application, decision: Decision, rate_bp: int | None, on: date) -> None:
        self.decisions[application.application_id] = decision
        if decision.loan_id is None or rate_bp is None:
            return
        loan = Loan(principal_fen=application.principal_fen, annual_rate_bp=rate_bp,
                    term_months=application.term_months, start=on, method=application.method)
        maturity = add_months(on, loan.term_months)
        book = BookedLoan(decision.loan_id, len(self.loans), application, loan, charges(loan, self.terms.conventions),
                          maturity, maturity, on)
        book.ends = deque(self._ends(book))
        self.loans[book.loan_id] = book
        self._append(book, "loan.disbursed", on, **self._terms_of(book))
        self._start_period(book)
        self._schedule(book)

    def _apply(self, book: BookedLoan, action: Action, months: int | None, on: date,
               behaviour: LoanBehaviour) -> None:
        if action == "overdue_next_period":
            book.overdue_next = True
            return
        if action == "extend":
            self._extend(book, months or EXTENSION_MONTHS, on)
        else:
            while book.status == "active" and book.ends[0] < on:  # due at today's close anyway: they come first
                self._report(book, on, behaviour)
            if book.status == "active" and action == "repay_early":
                self._repay(book, on)
            elif book.status == "active":
                self._default(book, on)
        self._schedule(book)

    def _advance(self, book: BookedLoan, day: date, behaviour: LoanBehaviour) -> None:
        """Everything the loan has due by the end of `day`. An early repayment is drawn on the first business
        day on or after its day in the period; a period that ends first is charged in full instead."""
        while book.status == "active" and book.due() <= day:
            if book.repay_from is not None and book.repay_from <= day:
                book.repay_from = None
                end = book.ends[0]
                if day < end and self._draw(f"repay:{book.loan_id}:{end}") < behaviour.early_repayment_rate:
                    self._repay(book, day)
                continue
            self._report(book, day, behaviour)

    def _report(self, book: BookedLoan, day: date, behaviour: LoanBehaviour) -> None:
        """The period ending next, charged on `day`: extended first if it is the loan's original maturity and
        the bank agrees to an extension; overdue (and then perhaps defaulted) or paid."""
        end = book.ends[0]
        if end == book.maturity == book.original_maturity and \
                self._draw(f"extend:{book.loan_id}") < behaviour.extension_rate:
            self._extend(book, EXTENSION_MONTHS, day)
        overdue = book.overdue_next or self._draw(f"overdue:{book.loan_id}:{end}") < behaviour.overdue_rate
        book.overdue_next = False
        self._charge(book, end, day, overdue=overdue)
        book.ends.popleft()
        if overdue and self._draw(f"default:{book.loan_id}:{end}") < behaviour.default_rate:
            self._default(book, day)
        elif end == book.maturity:
            self._append(book, "loan.matured", day, on=end.isoformat())
            book.status = "matured"
        else:
            self._start_period(book)

    def _charge(self, book: BookedLoan, end: date, day: date, *, overdue: bool, repaid: bool = False) -> None:
        """The interest of the period from the last one reported to `end`. Up to the original maturity it is
        the planned charges in it, and when the loan is repaid on `end`, what accrued since the last of them
        on what was outstanding after it; after the original maturity, interest only on what was extended."""
        extended = book.previous_end >= book.original_maturity
        if extended:
            outstanding = book.extended_outstanding_fen
            interest = self._accrued(outstanding, book, (end - book.previous_end).days)
        else:
            charged = []
            while book.next_charge < len(book.charges) and book.charges[book.next_charge].day <= end:
                charged.append(book.charges[book.next_charge])
                book.next_charge += 1
            interest = sum(c.interest_fen for c in charged)
            outstanding = max((c.outstanding_fen for c in charged), default=0)
            last = book.charges[book.next_charge - 1].day if book.next_charge else book.loan.start
            if repaid and last < end:  # a charge still to come: the repayment day is before the last
                after = book.charges[book.next_charge].outstanding_fen
                interest += self._accrued(after, book, (end - last).days)
                outstanding = max(outstanding, after)
        period_start = book.previous_end + timedelta(days=1)
        event = self._append(book, "interest.charged", day, period_start=period_start.isoformat(),
                             period_end=end.isoformat(), interest_fen=interest, outstanding_fen=outstanding,
                             penalty_fen=_half_up(interest * self.terms.penalty_percent, 100) if overdue else 0,
                             paid_on_time=not overdue,
                             status="overdue" if overdue else "extended" if extended else "normal")
        book.periods.append(event)
        book.previous_end = end

    def _repay(self, book: BookedLoan, day: date) -> None:
        self._charge(book, day, day, overdue=False, repaid=True)
        self._append(book, "loan.repaid_early", day, repaid_on=day.isoformat())
        book.status = "repaid_early"

    def _default(self, book: BookedLoan, day: date) -> None:
        self._append(book, "loan.defaulted", day, on=day.isoformat())
        book.status = "defaulted"

    def _extend(self, book: BookedLoan, months: int, day: date) -> None:
        next_end = book.ends[0]
        book.maturity = add_months(book.maturity, months)
        book.ends = deque(self._ends(book))
        self._append(book, "loan.extended", day, months=months, new_maturity=book.maturity.isoformat())
        if book.ends[0] != next_end:
            self._start_period(book)

    def _ends(self, book: BookedLoan) -> list[date]:
        """The period ends still to report: interest days and the original maturity, then, when extended,
        the interest days after it and the new maturity."""
        conventions = self.terms.conventions
        ends = period_ends(book.loan.start, book.original_maturity, conventions)
        if book.maturity > book.original_maturity:
            ends += period_ends(book.original_maturity, book.maturity, conventions)
        return [end for end in ends if end > book.previous_end]

    def _start_period(self, book: BookedLoan) -> None:
        """The day within the period from which an early repayment may come (whether it does is drawn then,
        at the rate in force): strictly inside the period, so it is never a whole one."""
        days = (book.ends[0] - book.previous_end).days
        offset = 1 + int(self._draw(f"repay-day:{book.loan_id}:{book.ends[0]}") * (days - 1))
        book.repay_from = book.previous_end + timedelta(days=offset) if days > 1 else None

    def _schedule(self, book: BookedLoan) -> None:
        if book.status == "active" and book.queued != (due := book.due()):
            book.queued = due
            heapq.heappush(self._due, (due, book.order, book.loan_id))

    def _accrued(self, outstanding_fen: int, book: BookedLoan, days: int) -> int:
        basis = 360 if self.terms.conventions.day_count == "ACT/360" else 365
        return _half_up(outstanding_fen * book.loan.annual_rate_bp * days, 10_000 * basis)

    def _terms_of(self, book: BookedLoan) -> dict[str, Any]:
        loan = book.loan
        return {"principal_fen": loan.principal_fen, "annual_rate_bp": loan.annual_rate_bp,
                "term_months": loan.term_months, "start": loan.start.isoformat(), "method": loan.method,
                "day_count": self.terms.conventions.day_count, "interest_day": self.terms.conventions.interest_day,
                "maturity": book.original_maturity.isoformat()}

    def _append(self, book: BookedLoan, kind: str, day: date, **fields: Any) -> dict[str, Any]:
        event = {"seq": len(self.events) + 1, "type": kind, "loan_id": book.loan_id,
                 "application_id": book.application.application_id, "business_date": day.isoformat(), **fields}
        self.events.append(event)
        return event

    def _draw(self, key: str) -> float:
        """The same loan and period always draw the same fate under the seed."""
        digest = hashlib.sha256(f"{self.seed}:{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the fen, half up, as the bank books interest (both non-negative)."""
    return (2 * numerator + denominator) // (2 * denominator)

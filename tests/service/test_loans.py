"""The loans service's use cases on a real PostgreSQL schema: approved loans, the bank's events as its
feed delivers them, the subsidy fund's reservations, top-ups and payments."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

import loans.main
from contracts import new_envelope
from contracts.disbursement import BudgetChangedV1, PaymentSettledV1
from contracts.eligibility import LoanApprovedV1
from contracts.loans import (
    LoanDisbursedV1,
    SubsidyClawbackRaisedV1,
    SubsidyDueV2,
    SubsidyPaidV1,
    SubsidyReservedV1,
    SubsidyStoppedV1,
)
from loans import service
from loans.policy import read_dir
from loans.schedule import Loan, charges, period_ends, schedule
from siji_shared.dates import add_months
from siji_shared.db import create_pool, migrate
from support.service import VAULT

FUND = "fz-loan-2026"
START = date(2026, 12, 1)
FUZHOU = dict(read_dir())["loan-subsidy.fuzhou.2026.v1.json"]


@pytest.fixture
async def pool(infra, schema):
    await migrate(infra.database_url, schema, loans.main.MIGRATIONS)
    pool = await create_pool(infra.database_url, schema, size=4)
    await service.load_shipped(pool)
    yield pool
    await pool.close()


def approved(n: int, principal_fen: int = 20_000_000, method: str = "interest_only") -> LoanApprovedV1:
    return LoanApprovedV1(
        case_id=uuid.uuid4(), campaign=FUND, programme="loan-subsidy", region="fuzhou", year=2026,
        borrower_kind="enterprise", borrower_ref=f"91350100MA{n:07d}X", borrower_name=f"福州企业{n}有限公司",
        payee_account=f"6222{n:015d}", principal_fen=principal_fen, term_months=24, method=method, staff_count=40,
        new_hires=6, approved_by=("ap-fuzhou-01",), rule_set_id="loan-subsidy/fuzhou/2026", rule_set_version=1)


class Bank:
    """The bank's feed as the loans service reads it, for loans that run to plan unless told otherwise."""

    def __init__(self) -> None:
        self.seq = 0

    def event(self, kind: str, bank_loan_id: str, day: date, **fields) -> dict:
        self.seq += 1
        return {"seq": self.seq, "type": kind, "loan_id": bank_loan_id, "business_date": day.isoformat(), **fields}

    def disbursed(self, bank_loan_id: str, loan: Loan) -> dict:
        return self.event("loan.disbursed", bank_loan_id, loan.start, principal_fen=loan.principal_fen,
                          annual_rate_bp=loan.annual_rate_bp, term_months=loan.term_months,
                          start=loan.start.isoformat(), method=loan.method)

    def periods(self, bank_loan_id: str, loan: Loan, *, until: date | None = None, overdue: tuple[int, ...] = ()):
        """interest.charged for each period ending on or before `until` (all: then loan.matured)."""
        maturity = add_months(loan.start, loan.term_months)
        all_charges = charges(loan, FUZHOU.bank)
        previous, out = loan.start, []
        for n, end in enumerate(period_ends(loan.start, maturity, FUZHOU.bank), start=1):
            if until and end > until:
                return out
            own = [c for c in all_charges if previous < c.day <= end]
            late = n in overdue
            out.append(self.event(
                "interest.charged", bank_loan_id, end, period_start=(previous + timedelta(days=1)).isoformat(),
                period_end=end.isoformat(), interest_fen=sum(c.interest_fen for c in own),
                outstanding_fen=max((c.outstanding_fen for c in own), default=0), penalty_fen=500 if late else 0,
                status="overdue" if late else "normal", paid_on_time=not late))
            previous = end
        return [*out, self.event("loan.matured", bank_loan_id, maturity, on=maturity.isoformat())]


async def approve_and_fund(pool, loans_in: list[LoanApprovedV1], total_fen: int) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await service.record_approved(conn, [new_envelope(p, producer="eligibility") for p in loans_in], vault=VAULT)
        await service.fund_changed(conn, [budget(total_fen)], vault=VAULT)
        await service.record_bank_answers(conn, [service.BankAnswer(p.case_id, "disbursed", f"FZL{i:05d}", None)
                                                 for i, p in enumerate(loans_in)], vault=VAULT)


def budget(total_fen: int, change: str = "created") -> object:
    return new_envelope(BudgetChangedV1(campaign=FUND, change=change, amount_fen=total_fen, total_fen=total_fen,
                                        available_fen=total_fen, changed_by="fin-fuzhou-01"), producer="disbursement")


async def feed(pool, events: list[dict]) -> list:
    async with pool.acquire() as conn, conn.transaction():
        return [e.payload for e in await service.apply_bank_events(conn, events, vault=VAULT)]


async def fund(pool) -> dict:
    async with pool.acquire() as conn:
        return await service.fund_view(conn, FUND)


def as_loan(p: LoanApprovedV1) -> Loan:
    return Loan(principal_fen=p.principal_fen, annual_rate_bp=395, term_months=p.term_months, start=START,
                method=p.method)


async def test_a_loan_to_maturity_earns_its_schedule_and_the_fund_balances(pool):
    p = approved(1, method="equal_instalment")
    await approve_and_fund(pool, [p], 100_000_000)
    bank = Bank()
    projected = schedule(as_loan(p), FUZHOU.subsidy, FUZHOU.bank)
    disbursed = await feed(pool, [bank.disbursed("FZL00000", as_loan(p))])
    assert isinstance(disbursed[0], LoanDisbursedV1) and disbursed[0].reserved
    assert disbursed[0].projected_subsidy_fen == projected.subsidy_fen > 0
    assert (await fund(pool))["reserved_fen"] == projected.subsidy_fen

    emitted = await feed(pool, bank.periods("FZL00000", as_loan(p)))
    due = [e for e in emitted if isinstance(e, SubsidyDueV2)]
    assert [d.amount_fen for d in due] == [x.subsidy_fen for x in projected.periods if x.subsidy_fen]
    assert all(VAULT.events.open(d.payee_account_sealed, recipient="disbursement") == p.payee_account
               and d.campaign == FUND for d in due), "the payee sealed for disbursement"
    assert isinstance(emitted[-1], SubsidyStoppedV1) and emitted[-1].reason == "matured"
    after = await fund(pool)
    assert (after["reserved_fen"], after["spent_fen"], after["due_fen"]) == (0, projected.subsidy_fen,
                                                                            projected.subsidy_fen)

    settled = [new_envelope(PaymentSettledV1(payment_id=uuid.uuid4(), case_id=d.case_id, campaign=FUND,
                                             amount_fen=d.amount_fen, bank_reference=f"B{n}",
                                             settled_at=datetime.now(UTC)), producer="disbursement")
               for n, d in enumerate(due)]
    async with pool.acquire() as conn, conn.transaction():
        paid = [e.payload for e in await service.record_payments(conn, settled + settled[:1])]
    assert len(paid) == len(due) and all(isinstance(x, SubsidyPaidV1) for x in paid)
    assert (await fund(pool))["paid_fen"] == projected.subsidy_fen


async def test_an_overdue_period_gets_nothing_and_gives_its_reservation_back(pool):
    p = approved(2)
    await approve_and_fund(pool, [p], 100_000_000)
    bank = Bank()
    await feed(pool, [bank.disbursed("FZL00000", as_loan(p))])
    emitted = await feed(pool, bank.periods("FZL00000", as_loan(p), overdue=(2,)))
    projected = schedule(as_loan(p), FUZHOU.subsidy, FUZHOU.bank).periods
    due = [e for e in emitted if isinstance(e, SubsidyDueV2)]
    assert len(due) == len(projected) - 1 and projected[1].end not in [d.period_end for d in due]
    assert (await fund(pool))["spent_fen"] == sum(x.subsidy_fen for x in projected) - projected[1].subsidy_fen


async def test_early_repayment_mid_quarter_stops_the_subsidy_on_that_day(pool):
    p = approved(3)
    await approve_and_fund(pool, [p], 100_000_000)
    bank = Bank()
    loan = as_loan(p)
    await feed(pool, [bank.disbursed("FZL00000", loan)])
    first = await feed(pool, bank.periods("FZL00000", loan, until=date(2027, 3, 20)))
    repaid_on = date(2027, 5, 6)  # mid-quarter: interest from 21 March to 6 May, 47 days
    partial = loan.principal_fen * 395 * 47 // (10_000 * 360)
    last = await feed(pool, [
        bank.event("interest.charged", "FZL00000", repaid_on, period_start="2027-03-21", period_end="2027-05-06",
                   interest_fen=partial, outstanding_fen=loan.principal_fen, penalty_fen=0, status="normal",
                   paid_on_time=True),
        bank.event("loan.repaid_early", "FZL00000", repaid_on, repaid_on=repaid_on.isoformat())])
    due = [e for e in first + last if isinstance(e, SubsidyDueV2)]
    assert due[-1].period_end == repaid_on
    # floor LPR 3.00 % − 1.50 %: of 3.95 % charged, 2.45 % is subsidised
    assert due[-1].amount_fen == partial * 245 // 395
    stopped = last[-1]
    assert isinstance(stopped, SubsidyStoppedV1) and stopped.reason == "repaid_early" and stopped.released_fen > 0
    after = await fund(pool)
    assert after["reserved_fen"] == 0 and after["spent_fen"] == sum(d.amount_fen for d in due)
    async with pool.acquire() as conn:
        shown = await service.loan_view(conn, p.case_id)
    assert shown["status"] == "repaid_early" and not [x for x in shown["periods"] if x["status"] == "projected"]


async def test_default_after_the_second_period_claws_back_what_was_paid(pool):
    p = approved(4)
    await approve_and_fund(pool, [p], 100_000_000)
    bank = Bank()
    loan = as_loan(p)
    await feed(pool, [bank.disbursed("FZL00000", loan)])
    paid = await feed(pool, bank.periods("FZL00000", loan, until=date(2027, 3, 20)))
    defaulted = await feed(pool, [bank.event("loan.defaulted", "FZL00000", date(2027, 5, 6), on="2027-05-06")])
    spent = sum(d.amount_fen for d in paid if isinstance(d, SubsidyDueV2))
    assert len([d for d in paid if isinstance(d, SubsidyDueV2)]) == 2
    kinds = {type(e): e for e in defaulted}
    assert kinds[SubsidyStoppedV1].reason == "defaulted"
    assert kinds[SubsidyClawbackRaisedV1].amount_fen == spent
    assert (await fund(pool))["reserved_fen"] == 0


async def test_the_fund_never_goes_below_zero_with_loans_disbursed_concurrently(pool):
    borrowers = [approved(100 + n) for n in range(40)]
    one = schedule(as_loan(borrowers[0]), FUZHOU.subsidy, FUZHOU.bank).subsidy_fen
    await approve_and_fund(pool, borrowers, one * 25 + one // 2)  # covers 25 of the 40
    bank = Bank()
    pages = [[bank.disbursed(f"FZL{i:05d}", as_loan(p)) for i, p in enumerate(borrowers) if i % 2 == half]
             for half in (0, 1)]
    await asyncio.gather(*(feed(pool, page) for page in pages))
    shown = await fund(pool)
    assert shown["reserved_fen"] == one * 25 <= shown["total_fen"]
    assert [w["position"] for w in shown["waiting"]] == list(range(1, 16))

    async with pool.acquire() as conn, conn.transaction():
        taken = await service.fund_changed(conn, [budget(one * 35, "topped_up")], vault=VAULT)
    assert len([e for e in taken if isinstance(e.payload, SubsidyReservedV1)]) == 10
    shown = await fund(pool)
    assert shown["reserved_fen"] == one * 35 and len(shown["waiting"]) == 5


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
    SubsidyForfeitedV1,
    SubsidyPaidV1,
    SubsidyReservedV1,
    SubsidyStoppedV1,
)
from loans import repository as repo
from loans import service
from loans.policy import read_dir
from loans.schedule import BankConventions, Loan, charges, period_ends, period_subsidy, schedule
from siji_shared.dates import add_months
from siji_shared.db import create_pool, migrate
from support.service import VAULT

FUND = "fz-loan-2026"
START = date(2026, 12, 1)
FUZHOU = dict(read_dir())["loan-subsidy.fuzhou.2026.v1.json"]
YANCHENG = dict(read_dir())["loan-subsidy.yancheng.2026.v1.json"]


@pytest.fixture
async def pool(infra, schema):
    await migrate(infra.database_url, schema, loans.main.MIGRATIONS)
    pool = await create_pool(infra.database_url, schema, size=4)
    await service.load_shipped(pool)
    yield pool
    await pool.close()


def approved(n: int, principal_fen: int = 20_000_000, method: str = "interest_only", *, term_months: int = 24,
             region: str = "fuzhou", campaign: str = FUND, new_hires: int = 6) -> LoanApprovedV1:
    return LoanApprovedV1(
        case_id=uuid.uuid4(), campaign=campaign, programme="loan-subsidy", region=region, year=2026,
        borrower_kind="enterprise", borrower_ref=f"91350100MA{n:07d}X", borrower_name=f"福州企业{n}有限公司",
        payee_account=f"6222{n:015d}", principal_fen=principal_fen, term_months=term_months, method=method,
        staff_count=40, new_hires=new_hires, approved_by=("ap-fuzhou-01",), rule_set_id=f"loan-subsidy/{region}/2026",
        rule_set_version=1)


class Bank:
    """The bank's feed as the loans service reads it, for loans that run to plan unless told otherwise."""

    def __init__(self) -> None:
        self.seq = 0

    def event(self, kind: str, bank_loan_id: str, day: date, **fields) -> dict:
        self.seq += 1
        return {"seq": self.seq, "type": kind, "loan_id": bank_loan_id, "business_date": day.isoformat(), **fields}

    def disbursed(self, bank_loan_id: str, loan: Loan, conventions: BankConventions = FUZHOU.bank) -> dict:
        """As the bank simulator says it: the loan's terms and the conventions it charges by."""
        return self.event("loan.disbursed", bank_loan_id, loan.start, principal_fen=loan.principal_fen,
                          annual_rate_bp=loan.annual_rate_bp, term_months=loan.term_months,
                          start=loan.start.isoformat(), method=loan.method, day_count=conventions.day_count,
                          interest_day=conventions.interest_day)

    def periods(self, bank_loan_id: str, loan: Loan, *, until: date | None = None, overdue: tuple[int, ...] = (),
                conventions: BankConventions = FUZHOU.bank):
        """interest.charged for each period ending on or before `until` (all: then loan.matured)."""
        maturity = add_months(loan.start, loan.term_months)
        all_charges = charges(loan, conventions)
        previous, out = loan.start, []
        for n, end in enumerate(period_ends(loan.start, maturity, conventions), start=1):
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


async def approve_and_fund(pool, loans_in: list[LoanApprovedV1], total_fen: int, *, first: int = 0) -> None:
    """Approved, their fund (the first loan's campaign) created with `total_fen`, and lent by the bank as
    FZL{first}, FZL{first + 1}, ..."""
    async with pool.acquire() as conn, conn.transaction():
        await service.record_approved(conn, [new_envelope(p, producer="eligibility") for p in loans_in], vault=VAULT)
        await service.fund_changed(conn, [budget(total_fen, campaign=loans_in[0].campaign)], vault=VAULT)
        await service.record_bank_answers(conn, [service.BankAnswer(p.case_id, "disbursed", f"FZL{i:05d}", None)
                                                 for i, p in enumerate(loans_in, start=first)], vault=VAULT)


def budget(total_fen: int, change: str = "created", campaign: str = FUND) -> object:
    return new_envelope(BudgetChangedV1(campaign=campaign, change=change, amount_fen=total_fen, total_fen=total_fen,
                                        available_fen=total_fen, changed_by="fin-fuzhou-01"), producer="disbursement")


async def feed(pool, events: list[dict]) -> list:
    async with pool.acquire() as conn, conn.transaction():
        return [e.payload for e in await service.apply_bank_events(conn, events, vault=VAULT)]


async def fund(pool, campaign: str = FUND) -> dict:
    async with pool.acquire() as conn:
        return await service.fund_view(conn, campaign)


async def settle(pool, dues: list[SubsidyDueV2]) -> list:
    """Disbursement's word that each of these subsidies reached the borrower's account."""
    settled = [new_envelope(PaymentSettledV1(payment_id=uuid.uuid4(), case_id=d.case_id, campaign=d.campaign,
                                             amount_fen=d.amount_fen, bank_reference=f"B{d.case_id.hex[:8]}",
                                             settled_at=datetime.now(UTC)), producer="disbursement")
               for d in dues]
    async with pool.acquire() as conn, conn.transaction():
        return [e.payload for e in await service.record_payments(conn, settled)]


def dues(events: list) -> list[SubsidyDueV2]:
    return [e for e in events if isinstance(e, SubsidyDueV2)]


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


async def test_default_claws_back_what_was_paid_and_pays_nothing_not_yet_sent(pool):
    # FZL00000: its first period paid, then the bank reports the second and the default in one page: the
    # second's subsidy is never sent, and the claw-back is the first's. FZL00001: both periods sent; the
    # first settles before the default, the second after it: each is clawed back once paid, no sooner.
    early, late = approved(4), approved(5)
    await approve_and_fund(pool, [early, late], 100_000_000)
    bank = Bank()
    loan = as_loan(early)
    await feed(pool, [bank.disbursed("FZL00000", loan), bank.disbursed("FZL00001", loan)])
    first, second = bank.periods("FZL00000", loan, until=date(2027, 3, 20))
    first_due = dues(await feed(pool, [first]))
    await settle(pool, first_due)
    defaulted = await feed(pool, [second, bank.event("loan.defaulted", "FZL00000", date(2027, 5, 6), on="2027-05-06")])
    assert not dues(defaulted), "the second period's subsidy is withdrawn before it is sent"
    kinds = {type(e): e for e in defaulted}
    assert kinds[SubsidyStoppedV1].reason == "defaulted"
    assert kinds[SubsidyClawbackRaisedV1].amount_fen == first_due[0].amount_fen > 0
    async with pool.acquire() as conn:
        shown = await service.loan_view(conn, early.case_id)
    assert [x["status"] for x in shown["periods"][:2]] == ["paid", "cancelled"] and shown["spent_fen"] == \
        shown["clawback_fen"] == first_due[0].amount_fen
    assert not [x for x in shown["periods"] if x["status"] in ("projected", "pending", "due")]

    sent = dues(await feed(pool, bank.periods("FZL00001", loan, until=date(2027, 3, 20))))
    assert len(sent) == 2
    await settle(pool, sent[:1])
    defaulted = await feed(pool, [bank.event("loan.defaulted", "FZL00001", date(2027, 5, 6), on="2027-05-06")])
    clawed = [e.amount_fen for e in defaulted if isinstance(e, SubsidyClawbackRaisedV1)]
    assert clawed == [sent[0].amount_fen], "at the default: what was paid, not what is on its way"
    after = await settle(pool, sent[1:])
    assert [type(e) for e in after] == [SubsidyPaidV1, SubsidyClawbackRaisedV1]
    assert after[1].amount_fen == sent[1].amount_fen, "a payment on its way at the default is clawed back once paid"
    async with pool.acquire() as conn:
        shown = await service.loan_view(conn, late.case_id)
    assert shown["clawback_fen"] == sent[0].amount_fen + sent[1].amount_fen
    shown_fund = await fund(pool)
    assert shown_fund["reserved_fen"] == 0
    assert shown_fund["spent_fen"] == shown_fund["paid_fen"] == first_due[0].amount_fen + sum(d.amount_fen for d in sent)


async def test_the_reservation_projects_the_banks_day_count_not_the_policys(pool):
    # Yancheng's policy assumes ACT/365; this bank charges ACT/360, as its loan.disbursed event says. The
    # fund holds exactly what the bank's convention makes: every period is paid in full, nothing is short.
    assert YANCHENG.bank.day_count == "ACT/365"
    act360 = BankConventions(day_count="ACT/360")
    p = approved(6, region="yancheng", campaign="yc-loan-2026")
    loan = as_loan(p)
    by_bank = schedule(loan, YANCHENG.subsidy, act360)
    assert by_bank.subsidy_fen > schedule(loan, YANCHENG.subsidy, YANCHENG.bank).subsidy_fen
    await approve_and_fund(pool, [p], by_bank.subsidy_fen)
    bank = Bank()
    disbursed = await feed(pool, [bank.disbursed("FZL00000", loan, act360)])
    assert disbursed[0].reserved and disbursed[0].projected_subsidy_fen == by_bank.subsidy_fen
    paid = dues(await feed(pool, bank.periods("FZL00000", loan, conventions=act360)))
    assert [d.amount_fen for d in paid] == [x.subsidy_fen for x in by_bank.periods]
    shown = await fund(pool, "yc-loan-2026")
    assert (shown["spent_fen"], shown["reserved_fen"], shown["shortfall_fen"], shown["available_fen"]) == (
        by_bank.subsidy_fen, 0, 0, 0)


async def test_a_subsidy_beyond_what_the_fund_holds_is_a_recorded_shortfall(pool):
    p = approved(7)
    loan = as_loan(p)
    projected = schedule(loan, FUZHOU.subsidy, FUZHOU.bank)
    await approve_and_fund(pool, [p], projected.subsidy_fen)  # the fund holds the projection, not a fen more
    bank = Bank()
    await feed(pool, [bank.disbursed("FZL00000", loan)])
    first = bank.periods("FZL00000", loan, until=date(2026, 12, 20))[0]
    first["interest_fen"] *= 3  # the bank charged more than it projected
    earned = period_subsidy(loan, FUZHOU.subsidy, after=START, end=date(2026, 12, 20),
                            interest_fen=first["interest_fen"], outstanding_fen=first["outstanding_fen"])
    paid = dues(await feed(pool, [first]))
    assert paid[0].amount_fen == projected.periods[0].subsidy_fen < earned, "never more than the fund holds"
    shown = await fund(pool)
    assert shown["shortfall_fen"] == earned - paid[0].amount_fen > 0 and shown["available_fen"] == 0
    async with pool.acquire() as conn:
        period = (await service.loan_view(conn, p.case_id))["periods"][0]
        regions = (await service.report(conn, region="fuzhou", campaign=FUND))["regions"]
    assert (period["subsidy_fen"], period["shortfall_fen"]) == (paid[0].amount_fen, earned - paid[0].amount_fen)
    assert regions[0]["subsidy_shortfall_fen"] == earned - paid[0].amount_fen


async def test_an_extended_period_gets_no_subsidy(pool):
    # a 12-month loan under a 24-month subsidy, extended (展期) 6 months at maturity: the periods after the
    # original maturity are within the subsidised months, yet get nothing
    p = approved(8, term_months=12)
    loan = as_loan(p)
    await approve_and_fund(pool, [p], 100_000_000)
    bank = Bank()
    maturity = add_months(START, 12)
    await feed(pool, [bank.disbursed("FZL00000", loan)])
    to_maturity = bank.periods("FZL00000", loan)
    assert to_maturity[-1]["type"] == "loan.matured"
    normal = dues(await feed(pool, to_maturity[:-1]))  # extended instead of matured
    next_end = date(2028, 3, 20)
    interest = loan.principal_fen * loan.annual_rate_bp * (next_end - maturity).days // (10_000 * 360)
    would_earn = period_subsidy(loan, FUZHOU.subsidy, after=maturity, end=next_end, interest_fen=interest,
                                outstanding_fen=loan.principal_fen)
    assert would_earn > 0, "a normal period there would earn a subsidy"
    emitted = await feed(pool, [
        bank.event("loan.extended", "FZL00000", maturity, months=6, new_maturity=add_months(maturity, 6).isoformat()),
        bank.event("interest.charged", "FZL00000", next_end, period_start=(maturity + timedelta(days=1)).isoformat(),
                   period_end=next_end.isoformat(), interest_fen=interest, outstanding_fen=loan.principal_fen,
                   penalty_fen=0, status="extended", paid_on_time=True)])
    assert not dues(emitted)
    forfeited = [e for e in emitted if isinstance(e, SubsidyForfeitedV1)]
    assert [(f.period_end, f.reason) for f in forfeited] == [(next_end, "extended")]
    async with pool.acquire() as conn:
        shown = await service.loan_view(conn, p.case_id)
    last = shown["periods"][-1]
    assert (last["period_end"], last["status"], last["subsidy_fen"]) == (next_end.isoformat(), "forfeited", 0)
    assert (await fund(pool))["spent_fen"] == sum(d.amount_fen for d in normal)


async def test_the_reports_per_region_and_per_enterprise_match_what_happened(pool):
    # two Fuzhou enterprises (one of them twice) and one in Yancheng, each with its own fund; some periods settled
    fz = [approved(20, new_hires=3), approved(21, new_hires=5), approved(20, 40_000_000, new_hires=7)]
    yc = [approved(30, region="yancheng", campaign="yc-loan-2026", new_hires=11)]
    await approve_and_fund(pool, fz, 100_000_000)
    await approve_and_fund(pool, yc, 50_000_000, first=len(fz))
    bank = Bank()
    everyone = fz + yc
    await feed(pool, [bank.disbursed(f"FZL{i:05d}", as_loan(p)) for i, p in enumerate(everyone)])
    sent = {i: dues(await feed(pool, bank.periods(f"FZL{i:05d}", as_loan(p), until=date(2027, 3, 20))))
            for i, p in enumerate(everyone)}
    settled = {i: sent[i][:i % 2 + 1] for i in sent}  # one or two periods each reach the account
    await settle(pool, [d for chosen in settled.values() for d in chosen])
    paid = {i: sum(d.amount_fen for d in chosen) for i, chosen in settled.items()}
    owed = {i: sum(d.amount_fen for d in sent[i]) - paid[i] for i in sent}
    reserved = {i: sum(x.subsidy_fen for x in schedule(as_loan(p), FUZHOU.subsidy if p in fz else YANCHENG.subsidy,
                                                           FUZHOU.bank).periods[2:]) for i, p in enumerate(everyone)}
    async with pool.acquire() as conn:
        report = await service.report(conn, region=None, campaign=None)
        enterprises = await service.enterprises(conn, "fuzhou", limit=10, offset=0)
    by_region = {r["region"]: r for r in report["regions"]}
    assert set(by_region) == {"fuzhou", "yancheng"}
    for region, members, total in (("fuzhou", range(3), 100_000_000), ("yancheng", [3], 50_000_000)):
        row = by_region[region]
        assert (row["loans"], row["disbursed"], row["active"]) == (len(members),) * 3
        assert row["jobs_created"] == sum(everyone[i].new_hires for i in members)
        assert row["principal_fen"] == sum(everyone[i].principal_fen for i in members)
        assert row["subsidy_paid_fen"] == sum(paid[i] for i in members)
        assert row["subsidy_due_fen"] == sum(owed[i] for i in members)
        assert row["reserved_fen"] == sum(reserved[i] for i in members)
        assert row["fund_left_fen"] == total - sum(paid[i] + owed[i] + reserved[i] for i in members)
    assert report["periods"]["paid"]["subsidy_fen"] == sum(paid.values())
    assert report["periods"]["due"]["subsidy_fen"] == sum(owed.values())
    rows = {r["borrower_ref"]: r for r in enterprises}
    assert set(rows) == {fz[0].borrower_ref, fz[1].borrower_ref}, "per enterprise, in its region only"
    twice = rows[fz[0].borrower_ref]
    assert (twice["loans"], twice["jobs_created"], twice["subsidy_paid_fen"], twice["reserved_fen"]) == (
        2, 3 + 7, paid[0] + paid[2], reserved[0] + reserved[2])
    assert rows[fz[1].borrower_ref]["subsidy_paid_fen"] == paid[1]
    assert [r["subsidy_paid_fen"] for r in enterprises] == sorted([paid[0] + paid[2], paid[1]], reverse=True)


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



async def test_only_campaigns_with_loans_have_payments_loans_reads(pool):
    """Every budget is a fund here, a winter campaign's too; the payments consumer follows only the campaigns
    with loans (by the relay's campaign header), since only they can pay subsidies."""
    campaign = f"fz-loan-{uuid.uuid4().hex[:6]}"
    await approve_and_fund(pool, [approved(900, campaign=campaign)], 5_000_000)
    async with pool.acquire() as conn, conn.transaction():
        await service.fund_changed(conn, [budget(9_000_000, campaign="ww-2026-winter")], vault=VAULT)
    async with pool.acquire() as conn:
        followed = set(await repo.loan_campaigns(conn))
    assert campaign in followed and "ww-2026-winter" not in followed

"""The bank simulator's loan book through its HTTP API (in process): a loan is decided once per application;
its quarterly interest is what the published conventions (siji_shared.loan_interest) project when all goes to plan;
early repayments, overdue periods, extensions and defaults are reported as they come; the journal
replays to the same feed; and 2,000 loans over two years of closes run through."""

import math
import uuid
from collections import Counter
from datetime import date
from fractions import Fraction

import httpx
import pytest

from bank_sim.bank import Account, Bank, Behaviour
from bank_sim.calendar import business_day_on_or_after, is_business_day, next_business_day
from bank_sim.config import Settings
from bank_sim.loan_book import Application, LoanBehaviour
from bank_sim.main import create_app
from loans.schedule import BankConventions, Loan, SubsidyPolicy, charges, schedule

START = date(2025, 1, 6)  # a Monday
HALF = SubsidyPolicy(borrower_share="share_of_interest", subsidy_share_percent=50)
METHODS = ("equal_instalment", "equal_principal", "interest_only")


@pytest.fixture
async def bank(tmp_path):
    """A bank on a journal of its own from START; `journal_of=` another client's opens that bank again."""
    journals: dict[int, object] = {}

    async def client(journal_of=None, **settings):
        journal = journals[id(journal_of)] if journal_of else tmp_path / f"journal-{len(journals)}"
        app = create_app(Settings(journal=journal, latency_ms=0, business_date=START, **settings))
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank")
        journals[id(http)] = journal
        return http
    return client


def application(principal_fen: int = 1_000_000, term_months: int = 12, method: str = "interest_only") -> dict:
    return {"application_id": str(uuid.uuid4()), "borrower_ref": "M-0001", "borrower_name": "王小明",
            "account": "6222020200112233445", "principal_fen": principal_fen, "term_months": term_months,
            "method": method}


async def lend(http: httpx.AsyncClient, *applications: dict) -> list[dict]:
    answer = await http.post("/v1/loans", json={"applications": list(applications)})
    assert answer.status_code == 200, answer.text
    return answer.json()["loans"]


async def close_through(http: httpx.AsyncClient, last: date) -> date:
    """Close every business day up to `last`; the new business date."""
    today = date.fromisoformat((await http.get("/v1/business-date")).json()["business_date"])
    days = 0
    while today <= last:
        days, today = days + 1, next_business_day(today)
    while days:
        await http.post("/admin/business-date/advance", json={"days": min(days, 31)})
        days -= min(days, 31)
    return today


async def feed(http: httpx.AsyncClient, loan_id: str | None = None) -> list[dict]:
    events, after = [], 0
    while page := (await http.get("/v1/loan-events", params={"after": after, "limit": 5000})).json():
        if not page["events"]:
            break
        events += page["events"]
        after = page["last_seq"]
    return [e for e in events if loan_id in (None, e["loan_id"])]


async def act(http: httpx.AsyncClient, loan_id: str, kind: str, months: int | None = None) -> httpx.Response:
    return await http.post(f"/admin/loans/{loan_id}/events", json={"type": kind, "months": months})


def loan_of(disbursed: dict) -> Loan:
    return Loan(**{k: disbursed[k] for k in ("principal_fen", "annual_rate_bp", "term_months", "start", "method")})


def half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


def accrued(outstanding_fen: int, rate_bp: int, days: int) -> int:
    return half_up(Fraction(outstanding_fen * rate_bp * days, 10_000 * 360))


async def test_an_application_is_decided_once_however_often_it_comes(bank):
    http = await bank()
    sent = [application(method=m) for m in METHODS]
    first = await lend(http, *sent)
    assert [(d["application_id"], d["status"], d["reason"]) for d in first] == \
        [(a["application_id"], "disbursed", None) for a in sent]
    assert all(d["loan_id"].startswith("FZL") for d in first)
    extra = application()
    again = await lend(http, sent[1], extra, *sent, extra)
    assert again[2:5] == first and again[0] == first[1] and again[1] == again[5], "the first answers, as asked"
    events = await feed(http)
    assert [e["seq"] for e in events] == [1, 2, 3, 4] and {e["type"] for e in events} == {"loan.disbursed"}
    disbursed = events[0]
    assert (disbursed["start"], disbursed["business_date"], disbursed["maturity"]) == \
        ("2025-01-06", "2025-01-06", "2026-01-06")
    assert abs(disbursed["annual_rate_bp"] - 395) <= 50
    assert (disbursed["day_count"], disbursed["interest_day"]) == ("ACT/360", 20)
    assert (await http.get("/v1/loan-events", params={"after": 4})).json() == {"events": [], "last_seq": 4,
                                                                                "newest_seq": 4}
    assert (await http.get("/v1/loans/FZLNOSUCHLOAN")).status_code == 404


async def test_a_share_of_applications_is_declined_with_a_reason(bank):
    http = await bank(loan_decline_rate=0.3)
    decisions = await lend(http, *[application() for _ in range(1000)])
    declined = [d for d in decisions if d["status"] == "declined"]
    assert 0.25 < len(declined) / 1000 < 0.35
    assert all(d["loan_id"] is None and d["reason"] for d in declined)
    assert "credit review failed" in {d["reason"] for d in declined}
    assert len(await feed(http)) == 1000 - len(declined), "a declined application lends nothing"


@pytest.mark.parametrize("method", METHODS)
async def test_each_quarter_charges_what_the_schedule_projects(bank, method):
    http = await bank()
    (decision,) = await lend(http, application(1_234_567, 13, method))
    await close_through(http, date(2026, 3, 31))
    events = await feed(http, decision["loan_id"])
    loan = loan_of(events[0])
    charged = [e for e in events if e["type"] == "interest.charged"]
    projected = schedule(loan, HALF, BankConventions()).periods
    assert [(e["period_start"], e["period_end"], e["interest_fen"]) for e in charged] == \
        [(p.start.isoformat(), p.end.isoformat(), p.interest_fen) for p in projected]
    assert sum(e["interest_fen"] for e in charged) == sum(c.interest_fen for c in charges(loan))
    assert [e["business_date"] for e in charged] == [business_day_on_or_after(p.end).isoformat() for p in projected]
    assert "2025-12-22" in [e["business_date"] for e in charged], "20 December 2025 is a Saturday"
    assert all((e["status"], e["paid_on_time"], e["penalty_fen"]) == ("normal", True, 0) for e in charged)
    assert charged[0]["outstanding_fen"] == 1_234_567
    assert [e["type"] for e in events] == ["loan.disbursed", *["interest.charged"] * len(projected), "loan.matured"]
    assert events[-1]["on"] == "2026-02-06"
    view = (await http.get(f"/v1/loans/{decision['loan_id']}")).json()
    assert (view["status"], view["periods"], view["borrower_name"]) == ("matured", charged, "王小明")


async def test_an_early_repayment_mid_quarter_charges_interest_to_the_day_and_ends_the_loan(bank):
    http = await bank()
    decisions = await lend(http, application(1_000_000, 12, "interest_only"),
                           application(1_200_000, 12, "equal_principal"))
    today = await close_through(http, date(2025, 2, 14))
    assert today == date(2025, 2, 17)
    for d in decisions:
        assert (await act(http, d["loan_id"], "repay_early")).status_code == 200
    only, principal = [await feed(http, d["loan_id"]) for d in decisions]
    rate = only[0]["annual_rate_bp"]
    assert only[1]["interest_fen"] == accrued(1_000_000, rate, (today - START).days)
    first, second, *_ = charges(loan_of(principal[0]))
    assert first.day == date(2025, 2, 6) and second.outstanding_fen == 1_100_000
    assert principal[1]["interest_fen"] == first.interest_fen + accrued(1_100_000, principal[0]["annual_rate_bp"], 11)
    for events in (only, principal):
        assert [e["type"] for e in events] == ["loan.disbursed", "interest.charged", "loan.repaid_early"]
        partial, repaid = events[1:]
        assert (partial["period_start"], partial["period_end"], partial["business_date"], partial["status"],
                partial["paid_on_time"]) == ("2025-01-07", "2025-02-17", "2025-02-17", "normal", True)
        assert repaid["repaid_on"] == "2025-02-17"
    await close_through(http, date(2025, 12, 31))
    assert [len(await feed(http, d["loan_id"])) for d in decisions] == [3, 3], "nothing after"
    assert (await act(http, decisions[0]["loan_id"], "repay_early")).status_code == 409
    assert (await http.get(f"/v1/loans/{decisions[0]['loan_id']}")).json()["status"] == "repaid_early"


async def test_early_repayments_come_on_a_business_day_inside_a_period(bank):
    http = await bank(early_repayment_rate=1.0)
    decisions = await lend(http, *[application(500_000 + i, 12, METHODS[i % 3]) for i in range(30)])
    await close_through(http, date(2025, 4, 30))
    for d in decisions:
        events = await feed(http, d["loan_id"])
        assert [e["type"] for e in events] == ["loan.disbursed", "interest.charged", "loan.repaid_early"]
        repaid_on = date.fromisoformat(events[2]["repaid_on"])
        assert START < repaid_on < date(2025, 3, 20) and is_business_day(repaid_on)
        assert events[1]["period_end"] == events[1]["business_date"] == events[2]["repaid_on"]


async def test_an_overdue_period_bears_a_penalty_and_the_next_is_normal_again(bank):
    http = await bank()
    (decision,) = await lend(http, application(2_000_000, 12, "interest_only"))
    assert (await act(http, decision["loan_id"], "overdue_next_period")).status_code == 200
    await close_through(http, date(2025, 6, 30))
    overdue, normal = [e for e in await feed(http, decision["loan_id"]) if e["type"] == "interest.charged"]
    assert (overdue["status"], overdue["paid_on_time"]) == ("overdue", False)
    assert overdue["penalty_fen"] == half_up(Fraction(overdue["interest_fen"], 2)) > 0
    assert (normal["status"], normal["paid_on_time"], normal["penalty_fen"]) == ("normal", True, 0)


async def test_an_extension_charges_interest_only_on_what_is_outstanding_at_the_original_maturity(bank):
    http = await bank()
    (decision,) = await lend(http, application(1_000_000, 6, "interest_only"))
    extended = (await act(http, decision["loan_id"], "extend")).json()
    assert (extended["maturity"], extended["status"]) == ("2026-01-06", "active")
    await close_through(http, date(2026, 1, 31))
    events = await feed(http, decision["loan_id"])
    rate = events[0]["annual_rate_bp"]
    assert events[1] == {**events[1], "type": "loan.extended", "months": 6, "new_maturity": "2026-01-06"}
    charged = [e for e in events if e["type"] == "interest.charged"]
    assert [(e["period_end"], e["status"]) for e in charged] == [
        ("2025-03-20", "normal"), ("2025-06-20", "normal"), ("2025-07-06", "normal"),
        ("2025-09-20", "extended"), ("2025-12-20", "extended"), ("2026-01-06", "extended")]
    previous = date(2025, 7, 6)
    for e in charged[3:]:
        end = date.fromisoformat(e["period_end"])
        assert (e["interest_fen"], e["outstanding_fen"]) == (accrued(1_000_000, rate, (end - previous).days), 1_000_000)
        previous = end
    assert events[-1]["type"] == "loan.matured" and events[-1]["on"] == "2026-01-06"


async def test_an_instalment_loan_extended_at_maturity_carries_its_last_instalments_principal(bank):
    http = await bank(extension_rate=1.0)
    (decision,) = await lend(http, application(600_000, 6, "equal_principal"))
    await close_through(http, date(2026, 1, 31))
    events = await feed(http, decision["loan_id"])
    carried = charges(loan_of(events[0]))[-1].outstanding_fen
    assert carried == 100_000
    types = [e["type"] for e in events]
    assert types.index("loan.extended") == types.index("interest.charged") + 2, \
        "extended before the period ending at the original maturity is reported"
    extension = events[types.index("loan.extended")]
    assert (extension["business_date"], extension["new_maturity"]) == ("2025-07-07", "2026-01-06")
    after = [e for e in events if e["type"] == "interest.charged" and e["status"] == "extended"]
    assert [e["period_end"] for e in after] == ["2025-09-20", "2025-12-20", "2026-01-06"]
    assert all(e["outstanding_fen"] == carried for e in after) and types[-1] == "loan.matured"


async def test_a_default_ends_the_loan(bank):
    http = await bank()
    (decision,) = await lend(http, application())
    today = await close_through(http, date(2025, 4, 30))
    assert (await act(http, decision["loan_id"], "default")).status_code == 200
    await close_through(http, date(2025, 12, 31))
    events = await feed(http, decision["loan_id"])
    assert [e["type"] for e in events] == ["loan.disbursed", "interest.charged", "loan.defaulted"]
    assert events[-1]["on"] == events[-1]["business_date"] == today.isoformat()
    assert (await act(http, decision["loan_id"], "extend")).status_code == 409


async def test_a_loan_may_default_after_an_overdue_period(bank):
    http = await bank(overdue_rate=1.0, default_rate=1.0)
    decisions = await lend(http, *[application(method=m) for m in METHODS])
    await close_through(http, date(2025, 12, 31))
    for d in decisions:
        events = await feed(http, d["loan_id"])
        assert [e["type"] for e in events] == ["loan.disbursed", "interest.charged", "loan.defaulted"]
        assert events[1]["status"] == "overdue" and events[2]["business_date"] == events[1]["business_date"]


async def test_the_journal_replays_to_the_same_loan_book(bank):
    http = await bank(early_repayment_rate=0.05, overdue_rate=0.1, extension_rate=0.3, default_rate=0.3,
                      loan_decline_rate=0.1)
    sent = [application(100_000 + 7 * i, 3 + i % 24, METHODS[i % 3]) for i in range(300)]
    decisions = await lend(http, *sent)
    await close_through(http, date(2025, 3, 31))
    behaviour = {"failure_rate": 0.0, "unavailable_rate": 0.0, "latency_ms": 0, "overdue_rate": 0.3,
                 "default_rate": 0.5}
    assert (await http.put("/admin/behaviour", json=behaviour)).status_code == 200
    active = [d["loan_id"] for d in decisions
              if d["loan_id"] and (await http.get(f"/v1/loans/{d['loan_id']}")).json()["status"] == "active"]
    for loan_id, kind in zip(active, ("overdue_next_period", "extend", "repay_early", "default"), strict=False):
        assert (await act(http, loan_id, kind)).status_code == 200
    decisions += await lend(http, *[application(method=m) for m in METHODS])
    await close_through(http, date(2026, 6, 30))
    events = await feed(http)
    assert {"loan.repaid_early", "loan.extended", "loan.defaulted", "loan.matured"} <= {e["type"] for e in events}

    again = await bank(journal_of=http, loan_rate_bp=500)
    assert await feed(again) == events
    assert await lend(again, *sent) == decisions[:300] and len(await feed(again)) == len(events)
    assert [(await again.get(f"/v1/loans/{loan_id}")).json() for loan_id in active[:4]] == \
        [(await http.get(f"/v1/loans/{loan_id}")).json() for loan_id in active[:4]]


def test_two_thousand_loans_over_two_years_of_closes():
    bank = Bank(Behaviour(0.0, 0.0, 0), seed=7, journal=None, account=Account("10551101040012345", 0),
                start=date(2024, 1, 2), loan_behaviour=LoanBehaviour(0.02, 0.05, 0.1, 0.2, 0.05))
    applications = [Application(str(uuid.UUID(int=i)), f"M-{i}", "王小明", "6222020200112233445", 100_000 + 37 * i,
                                (6, 12, 18, 24)[i % 4], METHODS[i % 3]) for i in range(2000)]
    bank.loans.lend(applications, bank.day.business_date)
    bank.close_days(490)
    assert bank.day.business_date > date(2025, 12, 1)
    events = bank.loans.events
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    ends = {"loan.repaid_early", "loan.defaulted", "loan.matured"}
    last: dict[str, str] = {}
    for e in events:
        assert last.get(e["loan_id"]) not in ends, "nothing after a loan ends"
        last[e["loan_id"]] = e["type"]
    statuses = Counter(book.status for book in bank.loans.loans.values())
    assert statuses["matured"] > 1000 and statuses["repaid_early"] and statuses["defaulted"]
    assert all(book.status != "active" for book in bank.loans.loans.values()
               if book.maturity < date(2025, 11, 1))

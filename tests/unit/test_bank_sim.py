"""The bank simulator through its HTTP API (in process): a batch executes once per message id and
each line once per end-to-end id; a batch whose count or control sum is wrong is refused whole."""

import uuid
from datetime import UTC, date, datetime

import httpx
import pytest
from pyiso20022.camt.camt_053_001_08 import camt_053_001_08 as camt053_model
from pyiso20022.camt.camt_054_001_08 import camt_054_001_08 as camt054_model
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.config import ParserConfig

from bank_sim.calendar import CalendarUnknown, add_business_days, is_business_day, next_business_day
from bank_sim.config import Settings
from bank_sim.main import create_app
from siji_shared.iso20022 import (
    CreditTransfer,
    Party,
    PaymentBatch,
    Statement,
    StatementEntry,
    build_camt053,
    build_pain001,
    parse_camt053,
    parse_camt054,
    parse_pain002,
)

UNION = Party(name="太仓市总工会", account="10551101040012345", bic="ABOCCNBJ100")


def batch(lines: list[CreditTransfer], message_id: str | None = None) -> PaymentBatch:
    return PaymentBatch(message_id=message_id or "SIJI" + uuid.uuid4().hex[:28].upper(),
                        created_at=datetime(2026, 11, 24, tzinfo=UTC), debtor=UNION, transfers=lines)


def line(amount: int = 50000) -> CreditTransfer:
    return CreditTransfer(uuid.uuid4().hex, amount, "王小明", "6222020200112233445")


@pytest.fixture
async def bank(tmp_path):
    """A bank on a journal of its own; `journal_of=` another client's opens that bank again (a restart)."""
    journals: dict[int, object] = {}

    async def client(journal_of=None, **behaviour):
        journal = journals[id(journal_of)] if journal_of else tmp_path / f"journal-{len(journals)}"
        app = create_app(Settings(journal=journal, latency_ms=0, **behaviour))
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank")
        journals[id(http)] = journal
        return http
    return client


async def send(http: httpx.AsyncClient, xml: bytes) -> httpx.Response:
    return await http.post("/v1/payment-batches", content=xml, headers={"Content-Type": "application/xml"})


async def test_a_batch_is_answered_per_line_and_booked_once_however_often_it_comes(bank):
    http = await bank(failure_rate=0.3)
    sent = batch([line() for _ in range(40)])
    first = parse_pain002((await send(http, build_pain001(sent))).content)
    again = parse_pain002((await send(http, build_pain001(sent))).content)
    assert first == again and first.original_message_id == sent.message_id
    assert [x.end_to_end_id for x in first.lines] == [t.end_to_end_id for t in sent.transfers]
    refused = [x for x in first.lines if not x.accepted]
    assert 0 < len(refused) < 40 and first.group_status == "PART"
    assert all(x.reason_code in ("AC04", "AC06", "BE01") and x.reason for x in refused)
    stats = (await http.get("/v1/stats")).json()
    assert (stats["messages"], stats["lines"], stats["repeated_messages"]) == (1, 40, 1)
    statement = (await http.get("/v1/statement")).json()
    assert statement["count"] == 40 - len(refused)
    assert {e["instruction_id"] for e in statement["entries"]} <= {str(uuid.UUID(t.end_to_end_id))
                                                                   for t in sent.transfers}


async def test_a_line_sent_again_in_another_batch_keeps_its_first_fate(bank):
    http = await bank(failure_rate=0.0)
    shared = line()
    await send(http, build_pain001(batch([shared, line()])))
    second = parse_pain002((await send(http, build_pain001(batch([shared, line()])))).content)
    assert all(x.accepted for x in second.lines)
    stats = (await http.get("/v1/stats")).json()
    assert (stats["lines"], stats["repeated_lines"], stats["settled_fen"]) == (3, 1, 150000)


async def test_a_wrong_control_sum_refuses_the_batch_whole_and_books_nothing(bank):
    http = await bank(failure_rate=0.0)
    xml = build_pain001(batch([line(100), line(200)])).replace(b"<CtrlSum>3.00</CtrlSum>",
                                                               b"<CtrlSum>4.00</CtrlSum>", 1)
    report = parse_pain002((await send(http, xml)).content)
    assert (report.group_status, report.group_reason_code, report.lines) == ("RJCT", "AM10", [])
    assert (await http.get("/v1/stats")).json()["lines"] == 0


async def test_a_message_id_reused_for_another_batch_is_refused(bank):
    http = await bank()
    await send(http, build_pain001(batch([line()], message_id="SIJI-SAME")))
    answer = await send(http, build_pain001(batch([line()], message_id="SIJI-SAME")))
    assert answer.status_code == 409 and "already used" in answer.json()["detail"]
    assert (await send(http, b"<not-xml")).status_code == 400


async def test_the_journal_survives_a_restart(bank):
    sent = batch([line()])
    original = await bank(failure_rate=0.0)
    first = parse_pain002((await send(original, build_pain001(sent))).content)
    restarted = await bank(journal_of=original, failure_rate=1.0)
    assert parse_pain002((await send(restarted, build_pain001(sent))).content) == first
    assert (await restarted.get("/v1/stats")).json()["settled"] == 1


async def test_failure_rate_is_honoured_roughly(bank):
    http = await bank(failure_rate=0.2)
    report = parse_pain002((await send(http, build_pain001(batch([line() for _ in range(2000)])))).content)
    assert 0.16 < sum(not x.accepted for x in report.lines) / 2000 < 0.24, "within 4.5 standard deviations"


# --- business days and statements (camt.053) ---------------------------------------------------------

async def statement(http: httpx.AsyncClient, day: str) -> Statement:
    answer = await http.get(f"/v1/statements/{day}")
    assert answer.status_code == 200, answer.text
    return parse_camt053(answer.content)


def test_the_business_calendar_knows_holidays_and_make_up_working_days():
    assert next_business_day(date(2026, 9, 30)) == date(2026, 10, 8), "National Day, 1 to 7 October"
    assert is_business_day(date(2026, 10, 10)), "a Saturday worked to make up for the holiday (调休)"
    assert not is_business_day(date(2026, 10, 11))
    assert add_business_days(date(2026, 9, 29), 3) == date(2026, 10, 9)
    with pytest.raises(CalendarUnknown, match="2071"):
        is_business_day(date(2071, 1, 2))


async def test_each_closed_day_has_a_statement_that_adds_up_across_a_holiday(bank, tmp_path):
    http = await bank(failure_rate=0.1, return_rate=0.1, duplicate_rate=0.05, late_rate=0.1,
                      business_date=date(2026, 9, 30), statements_dir=tmp_path / "statements")
    sent = batch([line(10_000 + i) for i in range(200)])
    report = parse_pain002((await send(http, build_pain001(sent))).content)
    assert (await http.get("/v1/statements/2026-09-30")).status_code == 404, "the day is still open"
    closed = (await http.post("/admin/business-date/advance", json={"days": 4})).json()
    assert closed == {"closed": ["2026-09-30", "2026-10-08", "2026-10-09", "2026-10-10"],
                      "business_date": "2026-10-12"}

    days = [await statement(http, d) for d in closed["closed"]]
    assert [s.sequence_number for s in days] == [1, 2, 3, 4], "no gap"
    for before, after in zip(days, days[1:], strict=False):
        assert after.opening_balance_fen == before.closing_balance_fen
    assert all(s.opening_balance_fen + s.movement_fen == s.closing_balance_fen for s in days)
    debits = [e for s in days for e in s.entries if not e.credit]
    returns = [e for s in days for e in s.entries if e.credit]
    accepted = {x.end_to_end_id for x in report.lines if x.accepted}
    assert {e.end_to_end_id for e in debits} == accepted, "every accepted line booked, no refused one"
    assert len(debits) > len(accepted), "some booked twice"
    assert any(e.end_to_end_id in accepted for e in days[1].entries if not e.credit), "some booked after the cut-off"
    assert returns and all(e.return_reason_code in ("AC04", "AC01", "MD07") for e in returns)
    assert (tmp_path / "statements" / "camt.053-2026-09-30.xml").read_bytes() == \
        (await http.get("/v1/statements/2026-09-30")).content

    again = await bank(journal_of=http, business_date=date(2026, 9, 30))
    assert [await statement(again, d) for d in closed["closed"]] == days, "the journal replays to the same books"


def test_a_statement_is_camt053_and_reads_back_to_the_fen():
    sent = Statement(message_id="STMT1", created_at=datetime(2026, 12, 1, 16, tzinfo=UTC), statement_id="S-1",
                     sequence_number=7, account="10551101040012345", business_date=date(2026, 12, 1),
                     opening_balance_fen=1_000_000, closing_balance_fen=1_000_000 - 80_001 + 50_000,
                     entries=[StatementEntry("a" * 32, 80_001, False, "BK1", date(2026, 12, 1)),
                              StatementEntry("b" * 32, 50_000, True, "BK2R", date(2026, 12, 1), "MD07")])
    xml = build_camt053(sent)
    strict = ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True,
                          fail_on_converter_warnings=True)
    document = XmlParser(config=strict).from_bytes(xml, camt053_model.Document)  # the XSD's structure
    assert document.bk_to_cstmr_stmt.stmt[0].elctrnc_seq_nb == 7
    assert parse_camt053(xml) == sent


async def test_a_batch_booked_as_one_lump_debit_is_detailed_in_the_days_camt054(bank):
    http = await bank(failure_rate=0.0, lump_rate=1.0, business_date=date(2026, 12, 1))
    sent = batch([line(10_000 + i) for i in range(5)])
    await send(http, build_pain001(sent))
    assert (await http.get("/v1/notifications/2026-12-01")).status_code == 404, "not before the day closes"
    await http.post("/admin/business-date/advance", json={"days": 1})
    day = await statement(http, "2026-12-01")
    assert [(e.end_to_end_id, e.amount_fen) for e in day.entries] == [("", sum(10_000 + i for i in range(5)))]
    xml = (await http.get("/v1/notifications/2026-12-01")).content
    strict = ParserConfig(fail_on_unknown_properties=True, fail_on_unknown_attributes=True,
                          fail_on_converter_warnings=True)
    XmlParser(config=strict).from_bytes(xml, camt054_model.Document)  # the XSD's structure
    notification = parse_camt054(xml)
    (lump,) = notification.lumps
    assert lump.bank_reference == day.entries[0].bank_reference and lump.amount_fen == day.entries[0].amount_fen
    assert sorted(x.end_to_end_id for x in lump.lines) == sorted(t.end_to_end_id for t in sent.transfers)
    assert (await http.get("/v1/notifications/2026-12-02")).status_code == 404


def test_the_years_not_yet_published_are_projected_for_a_while_then_refused():
    assert is_business_day(date(2027, 1, 4)) and not is_business_day(date(2027, 1, 1)), "a Monday; New Year's Day"
    assert not is_business_day(date(2027, 10, 4)) and not is_business_day(date(2027, 1, 9)), "National Day; a Saturday"
    assert is_business_day(date(2031, 1, 2)), "a Thursday, projected"

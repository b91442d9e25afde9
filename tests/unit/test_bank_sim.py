"""The bank simulator through its HTTP API (in process): a batch executes once per message id and
each line once per end-to-end id; a batch whose count or control sum is wrong is refused whole."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from bank_sim.config import Settings
from bank_sim.main import create_app
from siji_shared.iso20022 import CreditTransfer, Party, PaymentBatch, build_pain001, parse_pain002

UNION = Party(name="太仓市总工会", account="10551101040012345", bic="ABOCCNBJ100")


def batch(lines: list[CreditTransfer], message_id: str | None = None) -> PaymentBatch:
    return PaymentBatch(message_id=message_id or "SIJI" + uuid.uuid4().hex[:28].upper(),
                        created_at=datetime(2026, 11, 24, tzinfo=UTC), debtor=UNION, transfers=lines)


def line(amount: int = 50000) -> CreditTransfer:
    return CreditTransfer(uuid.uuid4().hex, amount, "王小明", "6222020200112233445")


@pytest.fixture
async def bank(tmp_path):
    async def client(**behaviour):
        app = create_app(Settings(journal=tmp_path / "journal", latency_ms=0, **behaviour))
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bank")
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
    first = parse_pain002((await send(await bank(failure_rate=0.0), build_pain001(sent))).content)
    restarted = await bank(failure_rate=1.0)
    assert parse_pain002((await send(restarted, build_pain001(sent))).content) == first
    assert (await restarted.get("/v1/stats")).json()["settled"] == 1


async def test_failure_rate_is_honoured_roughly(bank):
    http = await bank(failure_rate=0.2)
    report = parse_pain002((await send(http, build_pain001(batch([line() for _ in range(2000)])))).content)
    assert 0.17 < sum(not x.accepted for x in report.lines) / 2000 < 0.23

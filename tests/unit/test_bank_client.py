"""How disbursement reads the bank's answers: a report per line, a message refused, or try again later."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from disbursement.bank import BankClient, BankRefused, BankUnavailable
from siji_shared.iso20022 import CreditTransfer, LineStatus, Party, PaymentBatch, StatusReport, build_pain002

BATCH = PaymentBatch(message_id="SIJI-1", created_at=datetime.now(UTC), debtor=Party("工会", "10551101040012345",
                                                                                    "ABOCCNBJ100"),
                     transfers=[CreditTransfer(uuid.uuid4().hex, 100, "王小明", "6222020200112233445")])


def client_answering(status: int, content: bytes) -> BankClient:
    client = BankClient("http://bank.test", timeout=1.0)
    client._http = httpx.AsyncClient(base_url="http://bank.test", transport=httpx.MockTransport(
        lambda _request: httpx.Response(status, content=content)))
    return client


async def test_the_report_is_read_line_by_line():
    report = StatusReport(message_id="R", original_message_id="SIJI-1", group_status="ACCP",
                          created_at=datetime.now(UTC).replace(microsecond=0),
                          lines=[LineStatus(BATCH.transfers[0].end_to_end_id, True, bank_reference="BK1")])
    assert await client_answering(200, build_pain002(report)).send_batch(BATCH) == report


async def test_a_report_for_another_message_or_garbled_is_retried_later():
    other = StatusReport(message_id="R", original_message_id="SIJI-2", group_status="ACCP",
                         created_at=datetime.now(UTC))
    with pytest.raises(BankUnavailable, match="not SIJI-1"):
        await client_answering(200, build_pain002(other)).send_batch(BATCH)
    with pytest.raises(BankUnavailable, match="cannot be read"):
        await client_answering(200, b"<html>proxy error</html>").send_batch(BATCH)


async def test_outages_are_retried_and_refusals_are_not():
    with pytest.raises(BankUnavailable, match="503"):
        await client_answering(503, b"down").send_batch(BATCH)
    with pytest.raises(BankRefused, match="409"):
        await client_answering(409, b'{"detail": "message id already used"}').send_batch(BATCH)

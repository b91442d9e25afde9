"""How disbursement reads the bank's answers: settled, rejected, refused for good, or try again later."""

import uuid

import httpx
import pytest

from disbursement.bank import BankClient, BankUnavailable

TRANSFER = dict(amount_fen=50000, payee_account="6222020200112233445", payee_name="张三")


def client_answering(status: int, body: dict) -> BankClient:
    client = BankClient("http://bank.test", timeout=1.0)
    client._http = httpx.AsyncClient(base_url="http://bank.test",
                                     transport=httpx.MockTransport(lambda _request: httpx.Response(status, json=body)))
    return client


async def test_settled_and_rejected_answers():
    settled = await client_answering(200, {"status": "settled", "processed_at": "2026-11-23T05:00:00+00:00",
                                           "bank_reference": "BK1"}).transfer(payment_id=uuid.uuid4(), **TRANSFER)
    assert settled.settled and settled.bank_reference == "BK1"
    rejected = await client_answering(200, {"status": "rejected", "processed_at": "2026-11-23T05:00:00+00:00",
                                            "reason": "payee account closed"}).transfer(payment_id=uuid.uuid4(),
                                                                                        **TRANSFER)
    assert not rejected.settled and rejected.reason == "payee account closed"


async def test_a_refused_instruction_fails_that_payment_only():
    outcome = await client_answering(409, {"detail": "instruction already used for another transfer"}).transfer(
        payment_id=uuid.uuid4(), **TRANSFER)
    assert not outcome.settled
    assert outcome.reason == "bank refused the instruction (409): instruction already used for another transfer"


async def test_outages_are_retried_later():
    with pytest.raises(BankUnavailable, match="503"):
        await client_answering(503, {"detail": "down"}).transfer(payment_id=uuid.uuid4(), **TRANSFER)

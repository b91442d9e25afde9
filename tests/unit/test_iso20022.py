"""The bank's formats: what we build validates against the official ISO 20022 XSDs (shipped in
tests/unit/data/iso20022), and reads back to the same batch, to the fen."""

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from siji_shared.iso20022 import (
    CreditTransfer,
    LineStatus,
    MessageInvalid,
    Party,
    PaymentBatch,
    StatusReport,
    build_pain001,
    build_pain002,
    parse_pain001,
    parse_pain002,
)

XSD = Path(__file__).parent / "data" / "iso20022"
UNION = Party(name="太仓市总工会", account="10551101040012345", bic="ABOCCNBJ100")


def batch(amounts=(50000, 80001, 1)) -> PaymentBatch:
    return PaymentBatch(message_id="SIJI" + uuid.uuid4().hex[:28].upper(), created_at=datetime.now(UTC),
                        debtor=UNION, transfers=[CreditTransfer(uuid.uuid4().hex, a, "王小明", "6222020200112233445")
                                                 for a in amounts])


def valid(xml: bytes, xsd: str) -> bool:
    schema = etree.XMLSchema(etree.parse(str(XSD / xsd)))
    ok = schema.validate(etree.fromstring(xml))
    assert ok, schema.error_log
    return ok


def test_a_pain001_is_valid_and_reads_back_to_the_fen():
    sent = batch()
    xml = build_pain001(sent)
    assert valid(xml, "pain.001.001.09.xsd")
    assert b"<NbOfTxs>3</NbOfTxs><CtrlSum>1300.02</CtrlSum>" in xml
    received = parse_pain001(xml)
    assert received.batch.transfers == sent.transfers and received.batch.debtor == UNION
    assert (received.stated_count, received.stated_control_sum_fen) == (3, 130002)
    assert all(len(t.end_to_end_id) == 32 for t in received.batch.transfers)


def test_a_pain002_is_valid_and_reads_back():
    sent = batch((100, 200))
    report = StatusReport(message_id="R1", original_message_id=sent.message_id, group_status="PART",
                          created_at=datetime.now(UTC).replace(microsecond=0),
                          lines=[LineStatus(sent.transfers[0].end_to_end_id, True, bank_reference="BK1"),
                                 LineStatus(sent.transfers[1].end_to_end_id, False, "AC04", "payee account closed")])
    xml = build_pain002(report)
    assert valid(xml, "pain.002.001.12.xsd")
    assert parse_pain002(xml) == report
    refused = StatusReport(message_id="R2", original_message_id=sent.message_id, group_status="RJCT",
                           created_at=report.created_at, group_reason_code="AM10", group_reason="bad control sum")
    assert valid(build_pain002(refused), "pain.002.001.12.xsd")
    assert parse_pain002(build_pain002(refused)) == refused


def test_other_bytes_are_refused_with_a_reason():
    with pytest.raises(MessageInvalid, match="not a pain.001.001.09"):
        parse_pain001(b"<Document/>")
    with pytest.raises(MessageInvalid, match="cannot be read"):
        parse_pain001(build_pain001(batch())[:-40])

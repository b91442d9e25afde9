"""The bank's formats, ISO 20022: a payment batch goes to the bank as one pain.001.001.09
(CustomerCreditTransferInitiation) and comes back answered line by line in a pain.002.001.12
(CustomerPaymentStatusReport). Built and parsed with pyiso20022's xsdata models; amounts travel as
yuan with two decimals and are integer fen on both sides of this module, never floats.

Disbursement builds pain.001 and parses pain.002; the bank simulator does the reverse."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

from pyiso20022.pain.pain_001_001_09 import pain_001_001_09 as p001
from pyiso20022.pain.pain_002_001_12 import pain_002_001_12 as p002
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.parsers.handlers import XmlEventHandler
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDate, XmlDateTime

PAIN_001 = "pain.001.001.09"
PAIN_002 = "pain.002.001.12"
CURRENCY = "CNY"
_serializer = XmlSerializer(config=SerializerConfig(indent=None, xml_declaration=True, encoding="UTF-8"))
_parser = XmlParser(handler=XmlEventHandler)  # strict: a truncated message is an error, not a shorter batch
T = TypeVar("T")


class MessageInvalid(ValueError):
    """Not a message of the expected kind, or one that contradicts itself."""


@dataclass(frozen=True)
class Party:
    name: str
    account: str
    bic: str


@dataclass(frozen=True)
class CreditTransfer:
    end_to_end_id: str  # our payment id, 32 hex characters
    amount_fen: int
    creditor_name: str
    creditor_account: str


@dataclass(frozen=True)
class PaymentBatch:
    message_id: str
    created_at: datetime
    debtor: Party
    transfers: list[CreditTransfer]
    execution_date: date | None = None

    @property
    def control_sum_fen(self) -> int:
        return sum(t.amount_fen for t in self.transfers)


@dataclass(frozen=True)
class ReceivedBatch:
    """A pain.001 as the bank reads it: the lines, and the count and control sum the sender stated."""

    batch: PaymentBatch
    stated_count: int
    stated_control_sum_fen: int


@dataclass(frozen=True)
class LineStatus:
    end_to_end_id: str
    accepted: bool
    reason_code: str = ""
    reason: str = ""
    bank_reference: str = ""


@dataclass(frozen=True)
class StatusReport:
    message_id: str
    original_message_id: str
    group_status: str  # ACCP (every line accepted), PART, RJCT (refused whole)
    created_at: datetime
    lines: list[LineStatus] = field(default_factory=list)
    group_reason_code: str = ""
    group_reason: str = ""


def build_pain001(batch: PaymentBatch) -> bytes:
    debtor = batch.debtor
    document = p001.Document(cstmr_cdt_trf_initn=p001.CustomerCreditTransferInitiationV09(
        grp_hdr=p001.GroupHeader85(
            msg_id=batch.message_id, cre_dt_tm=_datetime(batch.created_at), nb_of_txs=str(len(batch.transfers)),
            ctrl_sum=yuan(batch.control_sum_fen), initg_pty=p001.PartyIdentification135(nm=debtor.name)),
        pmt_inf=[p001.PaymentInstruction30(
            pmt_inf_id=batch.message_id, pmt_mtd=p001.PaymentMethod3Code.TRF, btch_bookg=True,
            nb_of_txs=str(len(batch.transfers)), ctrl_sum=yuan(batch.control_sum_fen),
            reqd_exctn_dt=p001.DateAndDateTime2Choice(dt=XmlDate.from_date(
                batch.execution_date or batch.created_at.date())),
            dbtr=p001.PartyIdentification135(nm=debtor.name),
            dbtr_acct=p001.CashAccount38(id=_account_001(debtor.account), ccy=CURRENCY),
            dbtr_agt=p001.BranchAndFinancialInstitutionIdentification6(
                fin_instn_id=p001.FinancialInstitutionIdentification18(bicfi=debtor.bic)),
            cdt_trf_tx_inf=[p001.CreditTransferTransaction34(
                pmt_id=p001.PaymentIdentification6(instr_id=t.end_to_end_id, end_to_end_id=t.end_to_end_id),
                amt=p001.AmountType4Choice(instd_amt=p001.ActiveOrHistoricCurrencyAndAmount(
                    value=yuan(t.amount_fen), ccy=CURRENCY)),
                cdtr=p001.PartyIdentification135(nm=t.creditor_name),
                cdtr_acct=p001.CashAccount38(id=_account_001(t.creditor_account)),
            ) for t in batch.transfers],
        )],
    ))
    return _serializer.render(document).encode()


def parse_pain001(xml: bytes) -> ReceivedBatch:
    document = _parse(xml, p001.Document, PAIN_001)
    message = document.cstmr_cdt_trf_initn
    header = message.grp_hdr
    transfers, debtor, execution = [], None, None
    for instruction in message.pmt_inf:
        debtor = debtor or Party(name=instruction.dbtr.nm or "", account=_account_id(instruction.dbtr_acct.id),
                                 bic=instruction.dbtr_agt.fin_instn_id.bicfi or "")
        execution = execution or (instruction.reqd_exctn_dt.dt.to_date() if instruction.reqd_exctn_dt.dt else None)
        for line in instruction.cdt_trf_tx_inf:
            amount = line.amt.instd_amt
            if amount is None or amount.ccy != CURRENCY:
                raise MessageInvalid(f"line {line.pmt_id.end_to_end_id}: an instructed amount in {CURRENCY} is needed")
            if line.cdtr is None or line.cdtr_acct is None:
                raise MessageInvalid(f"line {line.pmt_id.end_to_end_id}: a creditor and an account are needed")
            transfers.append(CreditTransfer(end_to_end_id=line.pmt_id.end_to_end_id, amount_fen=fen(amount.value),
                                            creditor_name=line.cdtr.nm or "",
                                            creditor_account=_account_id(line.cdtr_acct.id)))
    if debtor is None:
        raise MessageInvalid("the message has no payment information")
    batch = PaymentBatch(message_id=header.msg_id, created_at=header.cre_dt_tm.to_datetime().astimezone(UTC),
                         debtor=debtor, transfers=transfers, execution_date=execution)
    return ReceivedBatch(batch=batch, stated_count=int(header.nb_of_txs),
                         stated_control_sum_fen=fen(header.ctrl_sum) if header.ctrl_sum is not None else -1)


def build_pain002(report: StatusReport) -> bytes:
    document = p002.Document(cstmr_pmt_sts_rpt=p002.CustomerPaymentStatusReportV12(
        grp_hdr=p002.GroupHeader86(msg_id=report.message_id, cre_dt_tm=_datetime(report.created_at)),
        orgnl_grp_inf_and_sts=p002.OriginalGroupHeader17(
            orgnl_msg_id=report.original_message_id, orgnl_msg_nm_id=PAIN_001, grp_sts=report.group_status,
            sts_rsn_inf=_reasons(report.group_reason_code, report.group_reason)),
        orgnl_pmt_inf_and_sts=[p002.OriginalPaymentInstruction40(
            orgnl_pmt_inf_id=report.original_message_id,
            tx_inf_and_sts=[p002.PaymentTransaction129(
                orgnl_instr_id=line.end_to_end_id, orgnl_end_to_end_id=line.end_to_end_id,
                tx_sts="ACSC" if line.accepted else "RJCT", acct_svcr_ref=line.bank_reference or None,
                sts_rsn_inf=_reasons(line.reason_code, line.reason)) for line in report.lines],
        )] if report.lines else [],
    ))
    return _serializer.render(document).encode()


def parse_pain002(xml: bytes) -> StatusReport:
    document = _parse(xml, p002.Document, PAIN_002)
    message = document.cstmr_pmt_sts_rpt
    group = message.orgnl_grp_inf_and_sts
    group_code, group_reason = _reason_of(group.sts_rsn_inf)
    lines = []
    for instruction in message.orgnl_pmt_inf_and_sts:
        for line in instruction.tx_inf_and_sts:
            code, reason = _reason_of(line.sts_rsn_inf)
            lines.append(LineStatus(end_to_end_id=line.orgnl_end_to_end_id or "",
                                    accepted=line.tx_sts in ("ACSC", "ACCC", "ACSP", "ACCP", "ACTC"),
                                    reason_code=code, reason=reason, bank_reference=line.acct_svcr_ref or ""))
    return StatusReport(message_id=message.grp_hdr.msg_id, original_message_id=group.orgnl_msg_id,
                        group_status=group.grp_sts or "", created_at=message.grp_hdr.cre_dt_tm.to_datetime(),
                        lines=lines, group_reason_code=group_code, group_reason=group_reason)


def yuan(amount_fen: int) -> Decimal:
    return (Decimal(amount_fen) / 100).quantize(Decimal("0.01"))


def fen(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise MessageInvalid(f"{amount} has more than two decimals")
    return int(cents)


def _datetime(moment: datetime) -> XmlDateTime:
    return XmlDateTime.from_datetime(moment.astimezone(UTC).replace(microsecond=0))


def _account_001(number: str) -> p001.AccountIdentification4Choice:
    """Chinese accounts are not IBANs: they travel as a proprietary (Othr) identification."""
    return p001.AccountIdentification4Choice(othr=p001.GenericAccountIdentification1(id=number))


def _account_id(account: p001.AccountIdentification4Choice) -> str:
    if account.othr is not None:
        return account.othr.id
    return account.iban or ""


def _reasons(code: str, text: str) -> list[p002.StatusReasonInformation12]:
    if not code and not text:
        return []
    return [p002.StatusReasonInformation12(rsn=p002.StatusReason6Choice(cd=code or None),
                                           addtl_inf=[text[i:i + 105] for i in range(0, len(text), 105)])]


def _reason_of(reasons: list[p002.StatusReasonInformation12]) -> tuple[str, str]:
    if not reasons:
        return "", ""
    first = reasons[0]
    return (first.rsn.cd or "") if first.rsn else "", "".join(first.addtl_inf)


def _parse(xml: bytes, document: type[T], kind: str) -> T:
    if f"urn:iso:std:iso:20022:tech:xsd:{kind}".encode() not in xml[:500]:
        raise MessageInvalid(f"not a {kind} message")
    try:
        return _parser.from_bytes(xml, document)
    except Exception as exc:  # xsdata raises parser errors of several kinds for malformed XML
        raise MessageInvalid(f"{kind} cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from exc

"""The bank's formats, ISO 20022: a payment batch goes to the bank as one pain.001.001.09
(CustomerCreditTransferInitiation) and comes back answered line by line in a pain.002.001.12
(CustomerPaymentStatusReport); each business day's account statement is a camt.053.001.08
(BankToCustomerStatement), and a batch the bank books as one lump debit is detailed line by line in a
camt.054.001.08 (BankToCustomerDebitCreditNotification). Amounts travel as yuan with two decimals and are integer fen on both
sides of this module, never floats. Disbursement builds pain.001 and parses pain.002; the bank
simulator does the reverse.

Built and read with lxml, element by element in the XSDs' order; the tests validate every message
kind against the official XSDs. (pyiso20022's xsdata models did the same job 5 to 17 times slower:
2,000 lines took 0.44 s to build and 0.35 s to parse, against 0.08 s and 0.02 s here, and at a
provincial campaign's size that was the largest cost of paying.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

PAIN_001 = "pain.001.001.09"
PAIN_002 = "pain.002.001.12"
CAMT_053 = "camt.053.001.08"
CAMT_054 = "camt.054.001.08"
CURRENCY = "CNY"
NS_001 = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_001}"
NS_002 = f"urn:iso:std:iso:20022:tech:xsd:{PAIN_002}"
NS_053 = f"urn:iso:std:iso:20022:tech:xsd:{CAMT_053}"
NS_054 = f"urn:iso:std:iso:20022:tech:xsd:{CAMT_054}"
ACCEPTED = frozenset({"ACSC", "ACCC", "ACSP", "ACCP", "ACTC"})
_parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)  # strict: no recovery


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


@dataclass(frozen=True)
class StatementEntry:
    """One booked movement: a payment out (a debit) or a return of one (a credit, with its reason)."""

    end_to_end_id: str
    amount_fen: int
    credit: bool
    bank_reference: str  # AcctSvcrRef, unique per entry
    booking_date: date
    return_reason_code: str = ""  # AC04 closed account, AC01 wrong account number, MD07 payee deceased


@dataclass(frozen=True)
class Lump:
    """One debit on the statement for a whole batch; its lines come in a camt.054."""

    bank_reference: str
    amount_fen: int
    booking_date: date
    lines: list[StatementEntry] = field(default_factory=list)


@dataclass(frozen=True)
class Notification:
    message_id: str
    created_at: datetime
    account: str
    lumps: list[Lump] = field(default_factory=list)


@dataclass(frozen=True)
class Statement:
    """A business day's camt.053 for one account. Balances are signed fen, credit positive."""

    message_id: str
    created_at: datetime
    statement_id: str
    sequence_number: int  # ElctrncSeqNb: one more each business day, so a gap shows
    account: str
    business_date: date
    opening_balance_fen: int
    closing_balance_fen: int
    entries: list[StatementEntry] = field(default_factory=list)

    @property
    def movement_fen(self) -> int:
        return sum(e.amount_fen if e.credit else -e.amount_fen for e in self.entries)


def build_pain001(batch: PaymentBatch) -> bytes:
    x = _Builder(NS_001)
    count, total = str(len(batch.transfers)), _amount(batch.control_sum_fen)
    root = x.root("Document")
    message = x.add(root, "CstmrCdtTrfInitn")
    header = x.add(message, "GrpHdr")
    x.add(header, "MsgId", batch.message_id)
    x.add(header, "CreDtTm", _timestamp(batch.created_at))
    x.add(header, "NbOfTxs", count)
    x.add(header, "CtrlSum", total)
    x.add(x.add(header, "InitgPty"), "Nm", batch.debtor.name)
    payment = x.add(message, "PmtInf")
    x.add(payment, "PmtInfId", batch.message_id)
    x.add(payment, "PmtMtd", "TRF")
    x.add(payment, "BtchBookg", "true")
    x.add(payment, "NbOfTxs", count)
    x.add(payment, "CtrlSum", total)
    x.add(x.add(payment, "ReqdExctnDt"), "Dt", (batch.execution_date or batch.created_at.date()).isoformat())
    x.add(x.add(payment, "Dbtr"), "Nm", batch.debtor.name)
    debtor_account = x.add(payment, "DbtrAcct")
    x.account(debtor_account, batch.debtor.account)
    x.add(debtor_account, "Ccy", CURRENCY)
    x.add(x.add(x.add(payment, "DbtrAgt"), "FinInstnId"), "BICFI", batch.debtor.bic)
    for t in batch.transfers:
        line = x.add(payment, "CdtTrfTxInf")
        ids = x.add(line, "PmtId")
        x.add(ids, "InstrId", t.end_to_end_id)
        x.add(ids, "EndToEndId", t.end_to_end_id)
        x.add(x.add(line, "Amt"), "InstdAmt", _amount(t.amount_fen)).set("Ccy", CURRENCY)
        x.add(x.add(line, "Cdtr"), "Nm", t.creditor_name)
        x.account(x.add(line, "CdtrAcct"), t.creditor_account)
    return x.bytes(root)


def parse_pain001(xml: bytes) -> ReceivedBatch:
    q = _Reader(NS_001)
    message = q.document(xml, "CstmrCdtTrfInitn", PAIN_001)
    header = q.one(message, "GrpHdr")
    transfers, debtor, execution = [], None, None
    for instruction in q.all(message, "PmtInf"):
        debtor = debtor or Party(name=q.text(instruction, "Dbtr/Nm", ""),
                                 account=q.account(q.one(instruction, "DbtrAcct")),
                                 bic=q.text(instruction, "DbtrAgt/FinInstnId/BICFI", ""))
        execution = execution or _date(q.text(instruction, "ReqdExctnDt/Dt", ""))
        for line in q.all(instruction, "CdtTrfTxInf"):
            end_to_end = q.text(line, "PmtId/EndToEndId")
            amount = q.one(line, "Amt/InstdAmt")
            if amount.get("Ccy") != CURRENCY:
                raise MessageInvalid(f"line {end_to_end}: an instructed amount in {CURRENCY} is needed")
            transfers.append(CreditTransfer(end_to_end_id=end_to_end, amount_fen=fen(_decimal(amount.text)),
                                            creditor_name=q.text(line, "Cdtr/Nm", ""),
                                            creditor_account=q.account(q.one(line, "CdtrAcct"))))
    if debtor is None:
        raise MessageInvalid("the message has no payment information")
    control_sum = q.text(header, "CtrlSum", "")
    batch = PaymentBatch(message_id=q.text(header, "MsgId"), created_at=_moment(q.text(header, "CreDtTm")),
                         debtor=debtor, transfers=transfers, execution_date=execution)
    return ReceivedBatch(batch=batch, stated_count=_int(q.text(header, "NbOfTxs")),
                         stated_control_sum_fen=fen(_decimal(control_sum)) if control_sum else -1)


def build_pain002(report: StatusReport) -> bytes:
    x = _Builder(NS_002)
    root = x.root("Document")
    message = x.add(root, "CstmrPmtStsRpt")
    header = x.add(message, "GrpHdr")
    x.add(header, "MsgId", report.message_id)
    x.add(header, "CreDtTm", _timestamp(report.created_at))
    group = x.add(message, "OrgnlGrpInfAndSts")
    x.add(group, "OrgnlMsgId", report.original_message_id)
    x.add(group, "OrgnlMsgNmId", PAIN_001)
    x.add(group, "GrpSts", report.group_status)
    x.reason(group, report.group_reason_code, report.group_reason)
    if report.lines:
        payment = x.add(message, "OrgnlPmtInfAndSts")
        x.add(payment, "OrgnlPmtInfId", report.original_message_id)
        for line in report.lines:
            status = x.add(payment, "TxInfAndSts")
            x.add(status, "OrgnlInstrId", line.end_to_end_id)
            x.add(status, "OrgnlEndToEndId", line.end_to_end_id)
            x.add(status, "TxSts", "ACSC" if line.accepted else "RJCT")
            x.reason(status, line.reason_code, line.reason)
            if line.bank_reference:
                x.add(status, "AcctSvcrRef", line.bank_reference)
    return x.bytes(root)


def parse_pain002(xml: bytes) -> StatusReport:
    q = _Reader(NS_002)
    message = q.document(xml, "CstmrPmtStsRpt", PAIN_002)
    group = q.one(message, "OrgnlGrpInfAndSts")
    group_code, group_reason = q.reason(group)
    lines = []
    for line in q.all(message, "OrgnlPmtInfAndSts/TxInfAndSts"):
        code, reason = q.reason(line)
        lines.append(LineStatus(end_to_end_id=q.text(line, "OrgnlEndToEndId"), accepted=q.text(line, "TxSts") in ACCEPTED,
                                reason_code=code, reason=reason, bank_reference=q.text(line, "AcctSvcrRef", "")))
    return StatusReport(message_id=q.text(message, "GrpHdr/MsgId"), original_message_id=q.text(group, "OrgnlMsgId"),
                        group_status=q.text(group, "GrpSts", ""), created_at=_moment(q.text(message, "GrpHdr/CreDtTm")),
                        lines=lines, group_reason_code=group_code, group_reason=group_reason)


def build_camt053(statement: Statement) -> bytes:
    x = _Builder(NS_053)
    root = x.root("Document")
    message = x.add(root, "BkToCstmrStmt")
    header = x.add(message, "GrpHdr")
    x.add(header, "MsgId", statement.message_id)
    x.add(header, "CreDtTm", _timestamp(statement.created_at))
    stmt = x.add(message, "Stmt")
    x.add(stmt, "Id", statement.statement_id)
    x.add(stmt, "ElctrncSeqNb", str(statement.sequence_number))
    x.add(stmt, "CreDtTm", _timestamp(statement.created_at))
    account = x.add(stmt, "Acct")
    x.account(account, statement.account)
    x.add(account, "Ccy", CURRENCY)
    for code, balance in (("OPBD", statement.opening_balance_fen), ("CLBD", statement.closing_balance_fen)):
        element = x.add(stmt, "Bal")
        x.add(x.add(x.add(element, "Tp"), "CdOrPrtry"), "Cd", code)
        x.add(element, "Amt", _amount(abs(balance))).set("Ccy", CURRENCY)
        x.add(element, "CdtDbtInd", "CRDT" if balance >= 0 else "DBIT")
        x.add(x.add(element, "Dt"), "Dt", statement.business_date.isoformat())
    summary = x.add(stmt, "TxsSummry")
    totals = x.add(summary, "TtlNtries")
    x.add(totals, "NbOfNtries", str(len(statement.entries)))
    x.add(totals, "Sum", _amount(sum(e.amount_fen for e in statement.entries)))
    for entry in statement.entries:
        element = x.add(stmt, "Ntry")
        x.add(element, "Amt", _amount(entry.amount_fen)).set("Ccy", CURRENCY)
        x.add(element, "CdtDbtInd", "CRDT" if entry.credit else "DBIT")
        x.add(x.add(element, "Sts"), "Cd", "BOOK")
        x.add(x.add(element, "BookgDt"), "Dt", entry.booking_date.isoformat())
        x.add(x.add(element, "ValDt"), "Dt", entry.booking_date.isoformat())
        x.add(element, "AcctSvcrRef", entry.bank_reference)
        x.transaction_code(element, credit=entry.credit)
        if not entry.end_to_end_id:  # a lump debit for a whole batch: its lines are in a camt.054
            continue
        details = x.add(x.add(element, "NtryDtls"), "TxDtls")
        references = x.add(details, "Refs")
        x.add(references, "AcctSvcrRef", entry.bank_reference)
        x.add(references, "EndToEndId", entry.end_to_end_id)
        if entry.return_reason_code:
            x.add(x.add(x.add(details, "RtrInf"), "Rsn"), "Cd", entry.return_reason_code)
    return x.bytes(root)


def parse_camt053(xml: bytes) -> Statement:
    q = _Reader(NS_053)
    message = q.document(xml, "BkToCstmrStmt", CAMT_053)
    stmt = q.one(message, "Stmt")
    balances = {q.text(b, "Tp/CdOrPrtry/Cd"): b for b in q.all(stmt, "Bal")}
    if not {"OPBD", "CLBD"} <= set(balances):
        raise MessageInvalid("a statement needs its opening (OPBD) and closing (CLBD) balance")

    def signed(element: etree._Element) -> int:
        amount = fen(_decimal(q.text(element, "Amt")))
        return amount if q.text(element, "CdtDbtInd") == "CRDT" else -amount

    entries = [StatementEntry(
        end_to_end_id=q.text(n, "NtryDtls/TxDtls/Refs/EndToEndId", ""), amount_fen=fen(_decimal(q.text(n, "Amt"))),
        credit=q.text(n, "CdtDbtInd") == "CRDT", bank_reference=q.text(n, "AcctSvcrRef", ""),
        booking_date=_date(q.text(n, "BookgDt/Dt")) or date.min,
        return_reason_code=q.text(n, "NtryDtls/TxDtls/RtrInf/Rsn/Cd", "")) for n in q.all(stmt, "Ntry")]
    opening = q.one(balances["OPBD"], "Dt")
    return Statement(message_id=q.text(message, "GrpHdr/MsgId"), created_at=_moment(q.text(message, "GrpHdr/CreDtTm")),
                     statement_id=q.text(stmt, "Id"), sequence_number=_int(q.text(stmt, "ElctrncSeqNb")),
                     account=q.account(q.one(stmt, "Acct")),
                     business_date=_date(q.text(opening, "Dt")) or date.min,
                     opening_balance_fen=signed(balances["OPBD"]), closing_balance_fen=signed(balances["CLBD"]),
                     entries=entries)


def build_camt054(notification: Notification) -> bytes:
    x = _Builder(NS_054)
    root = x.root("Document")
    message = x.add(root, "BkToCstmrDbtCdtNtfctn")
    header = x.add(message, "GrpHdr")
    x.add(header, "MsgId", notification.message_id)
    x.add(header, "CreDtTm", _timestamp(notification.created_at))
    body = x.add(message, "Ntfctn")
    x.add(body, "Id", notification.message_id)
    x.add(body, "CreDtTm", _timestamp(notification.created_at))
    account = x.add(body, "Acct")
    x.account(account, notification.account)
    x.add(account, "Ccy", CURRENCY)
    for lump in notification.lumps:
        entry = x.add(body, "Ntry")
        x.add(entry, "Amt", _amount(lump.amount_fen)).set("Ccy", CURRENCY)
        x.add(entry, "CdtDbtInd", "DBIT")
        x.add(x.add(entry, "Sts"), "Cd", "BOOK")
        x.add(x.add(entry, "BookgDt"), "Dt", lump.booking_date.isoformat())
        x.add(x.add(entry, "ValDt"), "Dt", lump.booking_date.isoformat())
        x.add(entry, "AcctSvcrRef", lump.bank_reference)
        x.transaction_code(entry, credit=False)
        details = x.add(entry, "NtryDtls")
        for line in lump.lines:
            transaction = x.add(details, "TxDtls")
            references = x.add(transaction, "Refs")
            x.add(references, "AcctSvcrRef", line.bank_reference)
            x.add(references, "EndToEndId", line.end_to_end_id)
            x.add(transaction, "Amt", _amount(line.amount_fen)).set("Ccy", CURRENCY)
    return x.bytes(root)


def parse_camt054(xml: bytes) -> Notification:
    q = _Reader(NS_054)
    message = q.document(xml, "BkToCstmrDbtCdtNtfctn", CAMT_054)
    body = q.one(message, "Ntfctn")
    lumps = []
    for entry in q.all(body, "Ntry"):
        booked = _date(q.text(entry, "BookgDt/Dt")) or date.min
        lumps.append(Lump(bank_reference=q.text(entry, "AcctSvcrRef"), amount_fen=fen(_decimal(q.text(entry, "Amt"))),
                          booking_date=booked, lines=[StatementEntry(
                              end_to_end_id=q.text(t, "Refs/EndToEndId"), amount_fen=fen(_decimal(q.text(t, "Amt"))),
                              credit=False, bank_reference=q.text(t, "Refs/AcctSvcrRef"), booking_date=booked)
                              for t in q.all(entry, "NtryDtls/TxDtls")]))
    return Notification(message_id=q.text(message, "GrpHdr/MsgId"), created_at=_moment(q.text(message, "GrpHdr/CreDtTm")),
                        account=q.account(q.one(body, "Acct")), lumps=lumps)


def yuan(amount_fen: int) -> Decimal:
    return (Decimal(amount_fen) / 100).quantize(Decimal("0.01"))


def fen(amount: Decimal) -> int:
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise MessageInvalid(f"{amount} has more than two decimals")
    return int(cents)


class _Builder:
    def __init__(self, namespace: str) -> None:
        self.ns = f"{{{namespace}}}"
        self.namespace = namespace

    def root(self, tag: str) -> etree._Element:
        return etree.Element(self.ns + tag, nsmap={None: self.namespace})

    def add(self, parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, self.ns + tag)
        if text is not None:
            element.text = text
        return element

    def account(self, parent: etree._Element, number: str) -> None:
        """Chinese accounts are not IBANs: they travel as a proprietary (Othr) identification."""
        self.add(self.add(self.add(parent, "Id"), "Othr"), "Id", number)

    def transaction_code(self, entry: etree._Element, *, credit: bool) -> None:
        """A returned (RRTN) or an issued (ESCT) credit transfer, as banks code them."""
        code = self.add(self.add(entry, "BkTxCd"), "Domn")
        self.add(code, "Cd", "PMNT")
        family = self.add(code, "Fmly")
        self.add(family, "Cd", "ICDT")
        self.add(family, "SubFmlyCd", "RRTN" if credit else "ESCT")

    def reason(self, parent: etree._Element, code: str, text: str) -> None:
        if code or text:
            reason = self.add(parent, "StsRsnInf")
            if code:
                self.add(self.add(reason, "Rsn"), "Cd", code)
            for i in range(0, len(text), 105):  # AddtlInf holds at most 105 characters
                self.add(reason, "AddtlInf", text[i:i + 105])

    @staticmethod
    def bytes(root: etree._Element) -> bytes:
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


class _Reader:
    """Paths in the message's namespace, written plainly ("Amt/InstdAmt") and looked up in Clark notation
    ("{urn:…}Amt/{urn:…}InstdAmt"), made once per path: a batch of 1,000 lines asks for thousands."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._paths: dict[str, str] = {}

    def document(self, xml: bytes, message: str, kind: str) -> etree._Element:
        try:
            root = etree.fromstring(xml, _parser)
        except etree.XMLSyntaxError as exc:
            raise MessageInvalid(f"{kind} cannot be read: {exc}") from exc
        if root.tag != f"{{{self.namespace}}}Document":
            raise MessageInvalid(f"not a {kind} message")
        return self.one(root, message)

    def _path(self, path: str) -> str:
        if (clark := self._paths.get(path)) is None:
            clark = self._paths[path] = "/".join(f"{{{self.namespace}}}{step}" for step in path.split("/"))
        return clark

    def one(self, element: etree._Element, path: str) -> etree._Element:
        found = element.find(self._path(path))
        if found is None:
            raise MessageInvalid(f"{path} is missing")
        return found

    def all(self, element: etree._Element, path: str) -> list[etree._Element]:
        return element.findall(self._path(path))

    def text(self, element: etree._Element, path: str, default: str | None = None) -> str:
        found = element.findtext(self._path(path))
        if found is None:
            if default is None:
                raise MessageInvalid(f"{path} is missing")
            return default
        return found

    def account(self, account: etree._Element) -> str:
        return self.text(account, "Id/Othr/Id", "") or self.text(account, "Id/IBAN", "")

    def reason(self, element: etree._Element) -> tuple[str, str]:
        first = element.find(self._path("StsRsnInf"))
        if first is None:
            return "", ""
        return self.text(first, "Rsn/Cd", ""), "".join(a.text or "" for a in self.all(first, "AddtlInf"))


def _amount(amount_fen: int) -> str:
    return f"{yuan(amount_fen)}"


def _decimal(text: str | None) -> Decimal:
    try:
        return Decimal(text or "")
    except InvalidOperation as exc:
        raise MessageInvalid(f"{text!r} is not an amount") from exc


def _int(text: str) -> int:
    if not text.isdigit():
        raise MessageInvalid(f"{text!r} is not a count")
    return int(text)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise MessageInvalid(f"{text!r} is not a timestamp") from exc
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise MessageInvalid(f"{text!r} is not a date") from exc

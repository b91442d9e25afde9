"""The simulated bank's books. A payment batch (pain.001) is executed once per message id and each of
its lines once per end-to-end id, whatever is resent; a resent message gets its first answer back.
Every batch, and every business day closed, is one append to a journal that survives restarts.

The bank keeps its own business date (China's working calendar). An accepted line is booked on the
business date it arrives on, or, for a share of lines (`late_rate`), after the cut-off: on the next
business day. Closing a day publishes its camt.053 statement: the settlement account's opening and
closing balance, an electronic sequence number one higher each day, one entry per booking. On demand
(deterministic under the seed) it books a share of lines twice (`duplicate_rate`), returns a share
of paid lines one to three business days later (`return_rate`) as credits with a reason code, and
books a share of batches as one lump debit (`lump_rate`) whose lines it details in that day's camt.054;
it loses its first answer to a share of the batches it booked (`lost_answer_rate`: a 504), so each of
those is sent again and answered from its books.
Its loan book (bank_sim.loan_book) journals alongside: applications, admin actions, and at each close
the loan behaviour in force, so the loans' events replay identically too."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bank_sim.calendar import add_business_days, business_day_on_or_after, next_business_day, today_in_shanghai
from bank_sim.loan_book import LoanBehaviour, LoanBook, LoanTerms
from siji_shared.iso20022 import (
    LineStatus,
    Lump,
    Notification,
    ReceivedBatch,
    Statement,
    StatementEntry,
    StatusReport,
    build_camt053,
    build_camt054,
)

REJECTIONS = (("AC04", "payee account closed"), ("AC06", "payee account frozen"),
              ("BE01", "payee name does not match the account"))
RETURNS = ("AC04", "AC01", "MD07")  # closed account, wrong account number, payee deceased


@dataclass(frozen=True)
class Booking:
    end_to_end_id: str
    message_id: str
    amount_fen: int
    payee_account: str
    settled: bool
    processed_at: str
    bank_reference: str = ""
    reason_code: str = ""
    reason: str = ""
    booked_on: str = ""        # the business day it is on the statement
    booked_twice: bool = False
    returned_on: str = ""      # the business day it comes back, with return_code
    return_code: str = ""
    lump_ref: str = ""         # booked within one lump debit for its whole batch

    @property
    def instruction_id(self) -> str:
        """The payer's payment id as it knows it (a UUID), for the statement."""
        return str(uuid.UUID(self.end_to_end_id))

    def status(self) -> LineStatus:
        return LineStatus(end_to_end_id=self.end_to_end_id, accepted=self.settled, reason_code=self.reason_code,
                          reason=self.reason, bank_reference=self.bank_reference)


class ConflictingMessage(Exception):
    """A message id used again for a different message."""


@dataclass
class Behaviour:
    failure_rate: float
    unavailable_rate: float
    latency_ms: int
    return_rate: float = 0.0
    duplicate_rate: float = 0.0
    late_rate: float = 0.0
    lump_rate: float = 0.0
    lost_answer_rate: float = 0.0


@dataclass(frozen=True)
class Account:
    """The paying union's settlement account at this bank."""

    number: str
    opening_balance_fen: int


@dataclass
class Day:
    business_date: date
    sequence_number: int
    opening_balance_fen: int
    statements: dict[str, bytes] = field(default_factory=dict)  # closed business date -> camt.053
    notifications: dict[str, bytes] = field(default_factory=dict)  # closed business date -> camt.054 (lumps)


class DayNotClosed(LookupError):
    """A statement asked for a day the bank has not closed."""


class Bank:
    def __init__(self, behaviour: Behaviour, *, seed: int, journal: Path | None, account: Account,
                 statements_dir: Path | None = None, start: date | None = None, loan_terms: LoanTerms | None = None,
                 loan_behaviour: LoanBehaviour | None = None) -> None:
        self.behaviour = behaviour
        self.seed = seed
        self.journal = journal
        self.account = account
        self.statements_dir = statements_dir
        self.bookings: dict[str, Booking] = {}
        self.messages: dict[str, tuple[str, StatusReport]] = {}
        self.repeated_messages = 0
        self.repeated_lines = 0
        self._random = random.Random(seed)
        self.day = Day(business_day_on_or_after(start or today_in_shanghai()), 1, account.opening_balance_fen)
        self.loans = LoanBook(loan_terms or LoanTerms(), loan_behaviour or LoanBehaviour(), seed=seed,
                              record=self._record)
        if journal and journal.exists() and journal.stat().st_size:
            for line in journal.read_text().splitlines():
                self._replay(json.loads(line))
        else:
            self._record({"start": self.day.business_date.isoformat()})

    def outage_now(self) -> bool:
        return self._random.random() < self.behaviour.unavailable_rate

    def answer_lost_now(self) -> bool:
        return self._random.random() < self.behaviour.lost_answer_rate

    def receive(self, received: ReceivedBatch, *, digest: str) -> tuple[StatusReport, bool]:
        """Execute a batch once; the same message again gets the same report. True with the report when
        the message was new."""
        batch = received.batch
        if known := self.messages.get(batch.message_id):
            if known[0] != digest:
                raise ConflictingMessage(f"message id {batch.message_id} was already used for another batch")
            self.repeated_messages += 1
            return known[1], False
        now = datetime.now(UTC)
        refusal = self._refusal(received)
        booked: list[Booking] = []
        if refusal:
            report = StatusReport(message_id=self._report_id(batch.message_id), original_message_id=batch.message_id,
                                  group_status="RJCT", created_at=now, group_reason_code=refusal[0],
                                  group_reason=refusal[1])
        else:
            lines = []
            lumped = self._draw(f"lump:{batch.message_id}") < self.behaviour.lump_rate
            for transfer in batch.transfers:
                if earlier := self.bookings.get(transfer.end_to_end_id):
                    self.repeated_lines += 1
                    same = (earlier.amount_fen, earlier.payee_account) == (transfer.amount_fen,
                                                                           transfer.creditor_account)
                    lines.append(earlier.status() if same else LineStatus(
                        transfer.end_to_end_id, accepted=False, reason_code="AM05",
                        reason="this end-to-end id was already paid with another amount or account"))
                    continue
                booking = self._execute(transfer.end_to_end_id, batch.message_id, transfer.amount_fen,
                                        transfer.creditor_account, now, lumped=lumped)
                booked.append(booking)
                lines.append(booking.status())
            accepted = sum(line.accepted for line in lines)
            report = StatusReport(message_id=self._report_id(batch.message_id), original_message_id=batch.message_id,
                                  group_status="ACCP" if accepted == len(lines) else "RJCT" if accepted == 0 else "PART",
                                  created_at=now, lines=lines)
        self._record({"message_id": batch.message_id, "digest": digest, "report": _report_data(report),
                      "bookings": [vars(b) for b in booked]})  # flat records: no deep copy needed
        return report, True

    def settled(self) -> list[Booking]:
        return [b for b in self.bookings.values() if b.settled]

    def close_days(self, count: int) -> list[date]:
        """Close `count` business days, each with its statement; the business date moves on."""
        closed = []
        for _ in range(count):
            closed.append(self.day.business_date)
            self._record({"close": self.day.business_date.isoformat(), "at": datetime.now(UTC).isoformat(),
                          "loan_behaviour": asdict(self.loans.behaviour)})
        return closed

    def statement(self, day: date) -> bytes:
        if (xml := self.day.statements.get(day.isoformat())) is None:
            raise DayNotClosed(f"{day.isoformat()} is not a closed business day of this bank (its business date is "
                               f"{self.day.business_date.isoformat()}; a statement comes when the day closes)")
        return xml

    def notification(self, day: date) -> bytes:
        if (xml := self.day.notifications.get(day.isoformat())) is None:
            raise DayNotClosed(f"no camt.054 for {day.isoformat()}: the bank booked no lump debit that day, or the "
                               f"day is not closed")
        return xml

    def _publish(self, iso: str, kind: str, xml: bytes, into: dict[str, bytes]) -> None:
        into[iso] = xml
        if self.statements_dir:
            self.statements_dir.mkdir(parents=True, exist_ok=True)
            (self.statements_dir / f"{kind}-{iso}.xml").write_bytes(xml)

    def closed_days(self) -> list[str]:
        return sorted(self.day.statements)

    def _close(self, day: date, at: datetime) -> None:
        """The day's entries: payments booked on it (twice where the bank errs) and returns due on it."""
        iso = day.isoformat()
        entries: list[StatementEntry] = []
        lumps: dict[str, list[StatementEntry]] = {}
        for b in self.bookings.values():
            if b.settled and b.booked_on == iso and b.lump_ref:
                lumps.setdefault(b.lump_ref, []).append(StatementEntry(b.end_to_end_id, b.amount_fen, False,
                                                                       b.bank_reference, day))
            elif b.settled and b.booked_on == iso:
                entries.append(StatementEntry(b.end_to_end_id, b.amount_fen, False, b.bank_reference, day))
                if b.booked_twice:
                    entries.append(StatementEntry(b.end_to_end_id, b.amount_fen, False, f"{b.bank_reference}D", day))
            if b.settled and b.returned_on == iso:
                entries.append(StatementEntry(b.end_to_end_id, b.amount_fen, True, f"{b.bank_reference}R", day,
                                              return_reason_code=b.return_code))
        entries += [StatementEntry("", sum(x.amount_fen for x in lines), False, ref, day) for ref, lines in lumps.items()]
        movement = sum(e.amount_fen if e.credit else -e.amount_fen for e in entries)
        statement = Statement(message_id=f"STMT{iso.replace('-', '')}{self.day.sequence_number:06d}",
                              created_at=at, statement_id=f"{self.account.number}-{iso}",
                              sequence_number=self.day.sequence_number, account=self.account.number,
                              business_date=day, opening_balance_fen=self.day.opening_balance_fen,
                              closing_balance_fen=self.day.opening_balance_fen + movement, entries=entries)
        self._publish(iso, "camt.053", build_camt053(statement), self.day.statements)
        if lumps:
            self._publish(iso, "camt.054", build_camt054(Notification(
                message_id=f"NTFC{iso.replace('-', '')}{self.day.sequence_number:06d}", created_at=at,
                account=self.account.number, lumps=[Lump(ref, sum(x.amount_fen for x in lines), day, lines)
                                                    for ref, lines in lumps.items()])), self.day.notifications)
        self.day.business_date = next_business_day(day)
        self.day.sequence_number += 1
        self.day.opening_balance_fen = statement.closing_balance_fen

    def stats(self) -> dict:
        settled = self.settled()
        return {"messages": len(self.messages), "lines": len(self.bookings), "settled": len(settled),
                "rejected": len(self.bookings) - len(settled), "settled_fen": sum(b.amount_fen for b in settled),
                "repeated_messages": self.repeated_messages, "repeated_lines": self.repeated_lines}

    def _refusal(self, received: ReceivedBatch) -> tuple[str, str] | None:
        """A batch whose count or control sum disagrees with its lines is refused whole."""
        if received.stated_count != len(received.batch.transfers):
            return "AM18", (f"NbOfTxs says {received.stated_count}, the batch holds "
                            f"{len(received.batch.transfers)} transactions")
        if received.stated_control_sum_fen != received.batch.control_sum_fen:
            return "AM10", "CtrlSum does not match the sum of the transactions' amounts"
        return None

    def _execute(self, end_to_end_id: str, message_id: str, amount_fen: int, account: str,
                 now: datetime, *, lumped: bool = False) -> Booking:
        draw = self._draw(end_to_end_id)
        if draw < self.behaviour.failure_rate:
            code, reason = REJECTIONS[int(draw * 1000) % len(REJECTIONS)]
            return Booking(end_to_end_id, message_id, amount_fen, account, False, now.isoformat(), reason_code=code,
                           reason=reason)
        reference = f"BK{hashlib.sha256(end_to_end_id.encode()).hexdigest()[:16].upper()}"
        late, twice, back = (self._draw(f"{kind}:{end_to_end_id}") for kind in ("late", "twice", "return"))
        booked_on = next_business_day(self.day.business_date) if late < self.behaviour.late_rate and not lumped \
            else self.day.business_date
        returned = back < self.behaviour.return_rate
        return Booking(end_to_end_id, message_id, amount_fen, account, True, now.isoformat(),
                       bank_reference=reference, booked_on=booked_on.isoformat(),
                       booked_twice=twice < self.behaviour.duplicate_rate and not lumped,
                       lump_ref=f"LUMP{message_id}"[:35] if lumped else "",
                       returned_on=add_business_days(booked_on, 1 + int(back * 1000) % 3).isoformat() if returned else "",
                       return_code=RETURNS[int(back * 10000) % len(RETURNS)] if returned else "")

    def _draw(self, end_to_end_id: str) -> float:
        """The same line always draws the same fate, so a test can predict nothing but a rate."""
        digest = hashlib.sha256(f"{self.seed}:{end_to_end_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    @staticmethod
    def _report_id(message_id: str) -> str:
        return f"R{message_id}"[:35]

    def _record(self, entry: dict) -> None:
        self._replay(entry)
        if self.journal:
            with open(self.journal, "a") as journal:
                journal.write(json.dumps(entry, ensure_ascii=False) + "\n")

    def _replay(self, entry: dict) -> None:
        if "start" in entry:
            self.day.business_date = date.fromisoformat(entry["start"])
            return
        if "close" in entry:
            day = date.fromisoformat(entry["close"])
            self._close(day, datetime.fromisoformat(entry["at"]))
            self.loans.close(day, LoanBehaviour(**entry.get("loan_behaviour", {})))
            return
        if "loans" in entry or "loan_event" in entry:
            self.loans.replay(entry)
            return
        report = entry["report"]
        self.messages[entry["message_id"]] = (entry["digest"], StatusReport(
            **{**report, "created_at": datetime.fromisoformat(report["created_at"]),
               "lines": [LineStatus(**line) for line in report["lines"]]}))
        for booking in entry["bookings"]:
            # a journal from before business dates: its lines are booked on the first business date
            self.bookings[booking["end_to_end_id"]] = Booking(**{
                **booking, "booked_on": booking.get("booked_on") or self.day.business_date.isoformat()})


def _report_data(report: StatusReport) -> dict:
    """The report as the journal keeps it (its lines are flat records: no deep copy needed)."""
    return {**vars(report), "created_at": report.created_at.isoformat(), "lines": [vars(line) for line in report.lines]}

"""The simulated bank's books. A payment batch (pain.001) is executed once per message id and each of
its lines once per end-to-end id, whatever is resent; a resent message gets its first answer back.
Every batch is one append to a journal that survives restarts."""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from siji_shared.iso20022 import LineStatus, ReceivedBatch, StatusReport

REJECTIONS = (("AC04", "payee account closed"), ("AC06", "payee account frozen"),
              ("BE01", "payee name does not match the account"))


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


class Bank:
    def __init__(self, behaviour: Behaviour, *, seed: int, journal: Path | None) -> None:
        self.behaviour = behaviour
        self.seed = seed
        self.journal = journal
        self.bookings: dict[str, Booking] = {}
        self.messages: dict[str, tuple[str, StatusReport]] = {}
        self.repeated_messages = 0
        self.repeated_lines = 0
        self._random = random.Random(seed)
        if journal and journal.exists():
            for line in journal.read_text().splitlines():
                self._replay(json.loads(line))

    def outage_now(self) -> bool:
        return self._random.random() < self.behaviour.unavailable_rate

    def receive(self, received: ReceivedBatch, *, digest: str) -> StatusReport:
        """Execute a batch once; the same message again gets the same report."""
        batch = received.batch
        if known := self.messages.get(batch.message_id):
            if known[0] != digest:
                raise ConflictingMessage(f"message id {batch.message_id} was already used for another batch")
            self.repeated_messages += 1
            return known[1]
        now = datetime.now(UTC)
        refusal = self._refusal(received)
        booked: list[Booking] = []
        if refusal:
            report = StatusReport(message_id=self._report_id(batch.message_id), original_message_id=batch.message_id,
                                  group_status="RJCT", created_at=now, group_reason_code=refusal[0],
                                  group_reason=refusal[1])
        else:
            lines = []
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
                                        transfer.creditor_account, now)
                booked.append(booking)
                lines.append(booking.status())
            accepted = sum(line.accepted for line in lines)
            report = StatusReport(message_id=self._report_id(batch.message_id), original_message_id=batch.message_id,
                                  group_status="ACCP" if accepted == len(lines) else "RJCT" if accepted == 0 else "PART",
                                  created_at=now, lines=lines)
        self._record({"message_id": batch.message_id, "digest": digest, "report": _report_data(report),
                      "bookings": [asdict(b) for b in booked]})
        return report

    def settled(self) -> list[Booking]:
        return [b for b in self.bookings.values() if b.settled]

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
                 now: datetime) -> Booking:
        draw = self._draw(end_to_end_id)
        if draw < self.behaviour.failure_rate:
            code, reason = REJECTIONS[int(draw * 1000) % len(REJECTIONS)]
            return Booking(end_to_end_id, message_id, amount_fen, account, False, now.isoformat(), reason_code=code,
                           reason=reason)
        reference = f"BK{hashlib.sha256(end_to_end_id.encode()).hexdigest()[:16].upper()}"
        return Booking(end_to_end_id, message_id, amount_fen, account, True, now.isoformat(),
                       bank_reference=reference)

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
        report = entry["report"]
        self.messages[entry["message_id"]] = (entry["digest"], StatusReport(
            **{**report, "created_at": datetime.fromisoformat(report["created_at"]),
               "lines": [LineStatus(**line) for line in report["lines"]]}))
        for booking in entry["bookings"]:
            self.bookings[booking["end_to_end_id"]] = Booking(**booking)


def _report_data(report: StatusReport) -> dict:
    return {**asdict(report), "created_at": report.created_at.isoformat()}

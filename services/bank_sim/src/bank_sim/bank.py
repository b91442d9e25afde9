"""The simulated bank's books: each instruction id is executed at most once; repeats get the first answer."""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

REJECTIONS = ("payee account closed", "payee account frozen", "payee name does not match the account")


@dataclass(frozen=True)
class Transfer:
    instruction_id: str
    amount_fen: int
    payee_account: str
    payee_name: str
    status: str
    processed_at: str
    bank_reference: str | None = None
    reason: str | None = None


class ConflictingInstruction(Exception):
    pass


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
        self.transfers: dict[str, Transfer] = {}
        self.repeated_submissions = 0
        self._random = random.Random(seed)
        if journal and journal.exists():
            for line in journal.read_text().splitlines():
                transfer = Transfer(**json.loads(line))
                self.transfers[transfer.instruction_id] = transfer

    def outage_now(self) -> bool:
        return self._random.random() < self.behaviour.unavailable_rate

    def execute(self, *, instruction_id: str, amount_fen: int, payee_account: str, payee_name: str) -> Transfer:
        if known := self.transfers.get(instruction_id):
            if (known.amount_fen, known.payee_account) != (amount_fen, payee_account):
                raise ConflictingInstruction(f"instruction {instruction_id} was already used for another transfer")
            self.repeated_submissions += 1
            return known
        now = datetime.now(UTC).isoformat()
        draw = self._draw(instruction_id)
        if draw < self.behaviour.failure_rate:
            transfer = Transfer(instruction_id, amount_fen, payee_account, payee_name, "rejected", now,
                                reason=REJECTIONS[int(draw * 1000) % len(REJECTIONS)])
        else:
            reference = f"BK{hashlib.sha256(instruction_id.encode()).hexdigest()[:16].upper()}"
            transfer = Transfer(instruction_id, amount_fen, payee_account, payee_name, "settled", now,
                                bank_reference=reference)
        self._record(transfer)
        return transfer

    def settled(self) -> list[Transfer]:
        return [t for t in self.transfers.values() if t.status == "settled"]

    def stats(self) -> dict:
        settled = self.settled()
        return {"transfers": len(self.transfers), "settled": len(settled),
                "rejected": len(self.transfers) - len(settled), "settled_fen": sum(t.amount_fen for t in settled),
                "repeated_submissions": self.repeated_submissions}

    def _draw(self, instruction_id: str) -> float:
        """The same instruction always draws the same fate, so a test can predict nothing but a rate."""
        digest = hashlib.sha256(f"{self.seed}:{instruction_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64

    def _record(self, transfer: Transfer) -> None:
        self.transfers[transfer.instruction_id] = transfer
        if self.journal:
            with open(self.journal, "a") as journal:
                journal.write(json.dumps(asdict(transfer), ensure_ascii=False) + "\n")

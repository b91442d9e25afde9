"""Pays instructed payments through the bank in batches (one dispatcher per schema): gathers them into a
batch with a fixed message id, sends it as one pain.001, and records the bank's pain.002 answer for
every line in one transaction. A time-out or a crash leaves the batch open, and the same message goes
again later; the bank executes a message, and each line, once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
import structlog
from uuid_utils.compat import uuid7

from disbursement import domain, service
from disbursement import repository as repo
from disbursement.bank import BankOutcome, BankRefused, BankUnavailable
from disbursement.bootstrap import Disbursement
from siji_shared import outbox
from siji_shared.iso20022 import CreditTransfer, PaymentBatch, StatusReport
from siji_shared.leader import run_as_leader

log = structlog.get_logger(__name__)
SCHEMA = "disbursement"


class Dispatcher:
    def __init__(self, container: Disbursement) -> None:
        self.c = container

    async def run(self) -> None:
        schema = SCHEMA
        await run_as_leader(self.c.pool, name=f"siji-dispatcher:{schema}", channel=f"{schema}_payments",
                            step=self.dispatch_due, poll_seconds=self.c.settings.relay_poll_seconds)

    async def dispatch_due(self) -> bool:
        """One round: up to DISBURSEMENT_DISPATCH_IN_FLIGHT batches at the bank at once (so the bank's
        work and ours overlap), each answer recorded in a transaction of its own. True when more may be due."""
        batches: list[asyncpg.Record] = []
        async with self.c.pool.acquire() as conn:
            while len(batches) < self.c.settings.dispatch_in_flight:
                async with conn.transaction():
                    batch = await repo.due_batch(conn, besides=[b["batch_id"] for b in batches]) or \
                        await repo.make_batch(conn, batch_id=(batch_id := uuid7()),
                                              message_id=f"SIJI{batch_id.hex[:28].upper()}",
                                              limit=self.c.settings.dispatch_batch_size)
                if batch is None:
                    break
                batches.append(batch)
        return bool(batches) and all(await asyncio.gather(*(self._pay(batch) for batch in batches)))

    async def _pay(self, batch: asyncpg.Record) -> bool:
        """Send one batch and record the answer; False when the bank did not answer (it goes again later)."""
        async with self.c.pool.acquire() as conn:
            lines = await repo.batch_lines(conn, batch["batch_id"])
        message = PaymentBatch(
            message_id=batch["message_id"], created_at=batch["created_at"], debtor=self.c.settings.debtor(),
            transfers=[CreditTransfer(end_to_end_id=line["payment_id"].hex, amount_fen=line["amount_fen"],
                                      creditor_name=self.c.vault.decrypt(line["payee_name_enc"]),
                                      creditor_account=self.c.vault.decrypt(line["payee_account_enc"]))
                       for line in lines])
        try:
            report = await self.c.bank.send_batch(message)
        except BankRefused as exc:
            log.error("the bank refused a batch whole; its payments fail at the bank stage", error=str(exc),
                      batch_id=str(batch["batch_id"]), payments=len(lines))
            report = StatusReport(message_id="", original_message_id=batch["message_id"], group_status="RJCT",
                                  created_at=datetime.now(UTC), group_reason=str(exc))
        except BankUnavailable as exc:
            attempts = batch["attempts"] + 1
            if attempts < self.c.settings.bank_max_attempts:
                async with self.c.pool.acquire() as conn:
                    await repo.postpone_batch(conn, batch["batch_id"], delay=domain.retry_delay(attempts))
                log.warning("bank unavailable; the batch goes again later", batch_id=str(batch["batch_id"]),
                            payments=len(lines), attempts=attempts, error=str(exc))
                return False
            log.error("the bank did not answer a batch; its payments fail, explained", batch_id=str(batch["batch_id"]),
                      payments=len(lines), attempts=attempts, error=str(exc))
            report = StatusReport(message_id="", original_message_id=batch["message_id"], group_status="RJCT",
                                  created_at=datetime.now(UTC), group_reason=(
                                      f"no answer from the bank after {attempts} attempts ({exc}); should it have "
                                      f"booked the batch after all, reconciliation shows each line"))
        async with self.c.pool.acquire() as conn, conn.transaction():
            await repo.close_batch(conn, batch["batch_id"], group_status=report.group_status)
            await outbox.stage(conn, await service.record_bank_outcomes(
                conn, outcomes(report, [line["payment_id"] for line in lines]), batch_id=batch["batch_id"]))
        log.info("batch answered", batch_id=str(batch["batch_id"]), payments=len(lines),
                 group_status=report.group_status)
        return True


def outcomes(report: StatusReport, payment_ids: list[uuid.UUID]) -> list[BankOutcome]:
    """Each line's fate; a batch refused whole fails every one of its payments with the group's reason.
    A line the report leaves out has no outcome yet: it goes into a later batch."""
    at = datetime.now(UTC)
    if report.group_status == "RJCT" and not report.lines:
        reason = f"the bank refused the whole batch: {report.group_reason_code} {report.group_reason}".strip()
        return [BankOutcome(payment_id=p, settled=False, at=at, reason=reason) for p in payment_ids]
    return [BankOutcome(payment_id=uuid.UUID(line.end_to_end_id), settled=line.accepted, at=at,
                        bank_reference=line.bank_reference or f"{report.message_id}/{line.end_to_end_id}",
                        reason="" if line.accepted else f"{line.reason_code}: {line.reason}"[:500])
            for line in report.lines]

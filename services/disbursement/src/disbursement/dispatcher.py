"""Sends instructed payments to the bank (one dispatcher per schema) and records what the bank says."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog

from disbursement import domain, service
from disbursement import repository as repo
from disbursement.bank import BankClient, BankOutcome, BankUnavailable
from siji_shared import outbox
from siji_shared.pii import PiiVault

log = structlog.get_logger(__name__)


class Dispatcher:
    def __init__(self, pool: asyncpg.Pool, bank: BankClient, vault: PiiVault, *, batch_size: int,
                 concurrency: int) -> None:
        self.pool = pool
        self.bank = bank
        self.vault = vault
        self.batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)

    async def dispatch_due(self) -> bool:
        """One round: submit due payments, then record every outcome in one transaction.
        True when a full batch went out (more may be due)."""
        async with self.pool.acquire() as conn:
            due = await repo.due_payments(conn, limit=self.batch_size)
        if not due:
            return False
        results = await asyncio.gather(*(self._submit(row) for row in due))
        async with self.pool.acquire() as conn, conn.transaction():
            events = []
            for row, result in zip(due, results, strict=True):
                if isinstance(result, BankOutcome):
                    events += await service.record_bank_outcome(conn, result)
                else:
                    await repo.postpone_payment(conn, row["payment_id"], delay=domain.retry_delay(row["attempts"] + 1))
            await outbox.stage(conn, events)
        unavailable = sum(1 for r in results if not isinstance(r, BankOutcome))
        if unavailable:
            log.warning("bank unavailable for some payments; will retry", payments=unavailable)
        return len(due) == self.batch_size and unavailable < len(due)

    async def _submit(self, row: asyncpg.Record) -> BankOutcome | BankUnavailable:
        async with self._slots:
            try:
                return await self.bank.transfer(payment_id=row["payment_id"], amount_fen=row["amount_fen"],
                                                payee_account=self.vault.decrypt(row["payee_account_enc"]),
                                                payee_name=self.vault.decrypt(row["payee_name_enc"]))
            except BankUnavailable as exc:
                return exc

"""The loans service's link to the bank, one leader per schema: forward the approved loans (a batch per
call, idempotent per application at the bank, so a resend after a crash changes nothing), then take the
bank's loan event feed from the last event taken, a page per transaction. Every date the service acts on
comes from the bank's events, never from this machine's clock."""

from __future__ import annotations

from uuid import UUID

import httpx
import structlog

from loans import repository as repo
from loans import service
from loans.bootstrap import Loans
from siji_shared import outbox
from siji_shared.leader import run_as_schema_leader

log = structlog.get_logger(__name__)


class BankLink:
    def __init__(self, container: Loans) -> None:
        self.c = container

    async def run(self) -> None:
        await run_as_schema_leader(self.c.pool, job="bank", step=self.step, poll_seconds=self.c.settings.bank_poll_seconds)

    async def step(self) -> bool:
        """True while there is more to do at once."""
        try:
            forwarded = await self.forward()
            taken = await self.take_events()
        except httpx.HTTPError as exc:
            log.warning("the bank is out of reach; trying again", error=repr(exc))
            return False
        return forwarded or taken

    async def forward(self) -> bool:
        size = self.c.settings.forward_batch_size
        async with self.c.pool.acquire() as conn:
            loans = await repo.loans_to_forward(conn, size)
        if not loans:
            return False
        vault = self.c.vault
        answer = await self.c.bank.post("/v1/loans", json={"applications": [{
            "application_id": str(r["loan_id"]), "borrower_ref": r["borrower_ref"],
            "borrower_name": vault.decrypt(r["name_enc"]), "account": vault.decrypt(r["account_enc"]),
            "principal_fen": r["principal_fen"], "term_months": r["term_months"], "method": r["method"]}
            for r in loans]})
        answer.raise_for_status()
        answers = [service.BankAnswer(UUID(a["application_id"]), a["status"], a.get("loan_id"), a.get("reason"))
                   for a in answer.json()["loans"]]
        async with self.c.pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, await service.record_bank_answers(conn, answers, vault=vault))
        log.info("loans forwarded to the bank", loans=len(answers),
                 declined=sum(a.status == "declined" for a in answers))
        return len(loans) == size

    async def take_events(self) -> bool:
        async with self.c.pool.acquire() as conn:
            after = await repo.last_bank_seq(conn)
        size = self.c.settings.feed_page_size
        answer = await self.c.bank.get("/v1/loan-events", params={"after": after, "limit": size})
        answer.raise_for_status()
        events = answer.json()["events"]
        if not events:
            return False
        async with self.c.pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, await service.apply_bank_events(conn, events, vault=self.c.vault))
        log.info("bank loan events taken", events=len(events), last_seq=events[-1]["seq"])
        return len(events) == size

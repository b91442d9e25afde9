"""Disbursement's container: every collaborator its routes, handlers and jobs use, built in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from disbursement.bank import BankClient
from disbursement.config import Settings
from siji_shared.dead_letters import DeadLetters
from siji_shared.pii import PiiVault
from siji_shared.service_app import Runtime, current_container


@dataclass(kw_only=True)
class Disbursement(Runtime):
    settings: Settings
    vault: PiiVault
    bank: BankClient

    async def aclose(self) -> None:
        await self.bank.aclose()


def bootstrap(settings: Settings, *, pool: asyncpg.Pool, dead_letters: DeadLetters, vault: PiiVault | None = None,
              bank: BankClient | None = None) -> Disbursement:
    return Disbursement(settings=settings, pool=pool, dead_letters=dead_letters,
                        vault=vault or PiiVault(settings.pii_key.get_secret_value(), events=settings.sealing()),
                        bank=bank or BankClient(settings.bank_url, timeout=settings.bank_timeout_seconds))


Container = Annotated[Disbursement, Depends(current_container)]

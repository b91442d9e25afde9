"""The loans service's container: every collaborator its routes, handlers and jobs use, built in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
import httpx
from fastapi import Depends

from loans.config import Settings
from siji_shared.dead_letters import DeadLetters
from siji_shared.pii import PiiVault
from siji_shared.service_app import Runtime, current_container


@dataclass(kw_only=True)
class Loans(Runtime):
    settings: Settings
    vault: PiiVault
    bank: httpx.AsyncClient  # the bank's loan book

    async def aclose(self) -> None:
        await self.bank.aclose()


def bootstrap(settings: Settings, *, pool: asyncpg.Pool, dead_letters: DeadLetters, vault: PiiVault | None = None,
              bank: httpx.AsyncClient | None = None) -> Loans:
    return Loans(settings=settings, pool=pool, dead_letters=dead_letters,
                 vault=vault or PiiVault(settings.pii_key.get_secret_value(), events=settings.sealing()),
                 bank=bank or httpx.AsyncClient(base_url=settings.bank_url, timeout=settings.bank_timeout_seconds))


Container = Annotated[Loans, Depends(current_container)]

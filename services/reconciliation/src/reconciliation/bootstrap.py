"""Reconciliation's container: every collaborator its routes, handlers and jobs use, built in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
import httpx
from fastapi import Depends

from reconciliation.config import Settings
from siji_shared.dead_letters import DeadLetters
from siji_shared.service_app import Runtime, current_container


@dataclass(kw_only=True)
class Reconciliation(Runtime):
    settings: Settings
    bank: httpx.AsyncClient  # the bank's statement service

    async def aclose(self) -> None:
        await self.bank.aclose()


def bootstrap(settings: Settings, *, pool: asyncpg.Pool, dead_letters: DeadLetters,
              bank: httpx.AsyncClient | None = None) -> Reconciliation:
    return Reconciliation(settings=settings, pool=pool, dead_letters=dead_letters,
                          bank=bank or httpx.AsyncClient(base_url=settings.bank_url,
                                                         timeout=settings.bank_timeout_seconds))


Container = Annotated[Reconciliation, Depends(current_container)]

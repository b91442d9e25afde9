"""Eligibility's container: every collaborator its routes, handlers and jobs use, built in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from eligibility.config import Settings
from siji_shared.dead_letters import DeadLetters
from siji_shared.pii import PiiVault
from siji_shared.service_app import Runtime, current_container


@dataclass(kw_only=True)
class Eligibility(Runtime):
    settings: Settings
    vault: PiiVault


def bootstrap(settings: Settings, *, pool: asyncpg.Pool, dead_letters: DeadLetters,
              vault: PiiVault | None = None) -> Eligibility:
    return Eligibility(settings=settings, pool=pool, dead_letters=dead_letters,
                       vault=vault or PiiVault(settings.pii_key.get_secret_value(), events=settings.sealing()))


Container = Annotated[Eligibility, Depends(current_container)]

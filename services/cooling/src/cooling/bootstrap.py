"""Cooling's container: every collaborator its routes and handlers use, built in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from cooling.config import Settings
from siji_shared.dead_letters import DeadLetters
from siji_shared.pii import PiiVault
from siji_shared.service_app import Runtime, current_container


@dataclass(kw_only=True)
class Cooling(Runtime):
    settings: Settings
    vault: PiiVault  # the keyed hash a station's scanned ID is matched by


def bootstrap(settings: Settings, *, pool: asyncpg.Pool, dead_letters: DeadLetters,
              vault: PiiVault | None = None) -> Cooling:
    return Cooling(settings=settings, pool=pool, dead_letters=dead_letters,
                   vault=vault or PiiVault(settings.pii_key.get_secret_value(), events=settings.sealing()))


Container = Annotated[Cooling, Depends(current_container)]

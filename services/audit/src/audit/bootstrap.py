"""The audit service's container."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import asyncpg
from fastapi import Depends

from audit.config import Settings
from siji_shared.dead_letters import DeadLetters
from siji_shared.service_app import Runtime, current_container


@dataclass(kw_only=True)
class Audit(Runtime):
    settings: Settings


def bootstrap(settings: Settings, *, pool: asyncpg.Pool, dead_letters: DeadLetters) -> Audit:
    return Audit(settings=settings, pool=pool, dead_letters=dead_letters)


Container = Annotated[Audit, Depends(current_container)]

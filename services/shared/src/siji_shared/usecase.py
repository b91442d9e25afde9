"""What a use case gives back: its answer and the events it emits. The caller stages the events in
the same transaction (the consumer for a batch, `http.idempotent` for a caseworker's request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.envelope import Envelope


@dataclass(frozen=True)
class Done:
    body: Any
    events: list[Envelope] = field(default_factory=list)

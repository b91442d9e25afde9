"""`siji audit verify`: the invariants over the streams and, for auditors with read access, over the
services' books and the bank's statements as reconciliation took them. One report; clean or not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audit import books, streams
from siji_shared.kafka import KafkaConnection


@dataclass
class VerifyReport:
    streams: streams.AuditReport
    books: books.BooksReport | None

    @property
    def violations(self) -> list[str]:
        return [*self.streams.findings, *(self.books.violations if self.books else [])]

    @property
    def clean(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        return {"clean": self.clean, "violations": self.violations, "events": self.streams.events,
                "undecodable": self.streams.undecodable, "book_checks": self.books.checks if self.books else 0,
                "campaigns": {name: vars(t) for name, t in sorted(self.streams.campaigns.items())}}


async def verify(kafka: KafkaConnection, database_url: str | None, *, campaign: str | None = None) -> VerifyReport:
    return VerifyReport(streams=await streams.replay(kafka, campaign=campaign),
                        books=await books.check_books(database_url, campaign=campaign) if database_url else None)

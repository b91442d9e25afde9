"""Events the audit service produces on audit.findings, keyed by what the finding is about."""

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic


@register
class AuditFindingV1(EventPayload):
    """An invariant broke: `kind` says which, `subject` what it is about (a case, a payment, a campaign, a
    worker), `evidence` the ids of the events that prove it. Raised once per kind and subject."""

    topic: ClassVar[Topic] = Topic.AUDIT_FINDINGS
    event_type: ClassVar[str] = "audit.finding"
    schema_version: ClassVar[int] = 1

    finding_id: UUID
    kind: str = Field(min_length=1, max_length=80)
    subject: str = Field(min_length=1, max_length=200)
    campaign: str | None = None
    detail: str = Field(min_length=1, max_length=1000)
    evidence: tuple[UUID, ...] = Field(default=(), max_length=50)

    def partition_key(self) -> str:
        return self.subject

    def correlation(self) -> str:
        return self.campaign or self.subject

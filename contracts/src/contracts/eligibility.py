"""Events the eligibility service produces, on topic eligibility.cases keyed by case id."""

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic
from contracts.types import Code, Fen, PositiveFen


class CaseEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.ELIGIBILITY_CASES

    case_id: UUID
    campaign: Code

    def partition_key(self) -> str:
        return str(self.case_id)

    def correlation(self) -> str:
        return str(self.case_id)


@register
class CaseRegisteredV1(CaseEvent):
    """A caseworker registered an application. `member_ref` is a keyed hash, never the national ID."""

    event_type: ClassVar[str] = "case.registered"
    schema_version: ClassVar[int] = 1

    programme: Code
    region: Code
    year: int = Field(ge=2000, le=2100)
    member_ref: str = Field(min_length=16, max_length=64)
    registered_by: str


@register
class EligibilityAssessedV1(CaseEvent):
    """The case was assessed against a versioned rule set; `reasons` explain the outcome."""

    event_type: ClassVar[str] = "case.assessed"
    schema_version: ClassVar[int] = 1

    eligible: bool
    amount_fen: Fen
    tier: str | None = None
    rule_set_id: str
    rule_set_version: int = Field(ge=1)
    reasons: tuple[str, ...]
    approvals_required: int = Field(ge=1, le=2)


@register
class CaseApprovedV1(CaseEvent):
    """Final approval. Carries the payee's account because disbursement must instruct the bank."""

    event_type: ClassVar[str] = "case.approved"
    schema_version: ClassVar[int] = 1

    programme: Code
    region: Code
    amount_fen: PositiveFen
    approved_by: tuple[str, ...] = Field(min_length=1)
    rule_set_id: str
    rule_set_version: int = Field(ge=1)
    payee_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=r"^[0-9]{12,30}$")


@register
class CaseRejectedV1(CaseEvent):
    event_type: ClassVar[str] = "case.rejected"
    schema_version: ClassVar[int] = 1

    rejected_by: str
    reason: str = Field(min_length=1, max_length=500)

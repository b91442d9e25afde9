"""Events the reconciliation service produces, on topic reconciliation.items: each classification of a
payment, a bank statement entry or a statement, and each change of one; each business day closed."""

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic
from contracts.types import Fen

Classification = Literal["MATCHED", "IN_TRANSIT", "MISSING_AT_BANK", "UNKNOWN_BANK_ENTRY", "AMOUNT_MISMATCH",
                         "DUPLICATE_AT_BANK", "RETURNED", "INVALID_REVERSAL", "STATEMENT_BALANCE_ERROR",
                         "STATEMENT_GAP"]


@register
class ItemClassifiedV1(EventPayload):
    """A payment (`payment:<id>`), a statement entry (`entry:<bank reference>`) or a statement
    (`statement:<date>`) got its first classification, or a new one (`previous`)."""

    topic: ClassVar[Topic] = Topic.RECONCILIATION_ITEMS
    event_type: ClassVar[str] = "reconciliation.item_classified"
    schema_version: ClassVar[int] = 1

    item_id: str = Field(min_length=1, max_length=120)
    business_date: date
    classification: Classification
    previous: Classification | None = None
    payment_id: UUID | None = None
    end_to_end_id: str | None = None
    amount_fen: Fen = 0
    detail: str = ""
    explained: bool = Field(False, description="matched, in transit, or a return already re-issued")

    def partition_key(self) -> str:
        return self.item_id

    def correlation(self) -> str:
        return str(self.payment_id) if self.payment_id else self.item_id


@register
class DayClosedV1(EventPayload):
    """A business day reconciled: everything matched or explained, or signed off by finance with a reason."""

    topic: ClassVar[Topic] = Topic.RECONCILIATION_ITEMS
    event_type: ClassVar[str] = "reconciliation.day_closed"
    schema_version: ClassVar[int] = 1

    business_date: date
    closed_by: str
    open_items: int = Field(ge=0)
    reason: str = ""

    def partition_key(self) -> str:
        return f"day:{self.business_date.isoformat()}"

    def correlation(self) -> str:
        return self.partition_key()


@register
class ReturnFoundV1(EventPayload):
    """A paid line came back on the bank's statement (RETURNED): disbursement reverses it."""

    topic: ClassVar[Topic] = Topic.RECONCILIATION_ITEMS
    event_type: ClassVar[str] = "reconciliation.return_found"
    schema_version: ClassVar[int] = 1

    payment_id: UUID
    business_date: date
    reason: str = Field(min_length=1, max_length=500)

    def partition_key(self) -> str:
        return f"payment:{self.payment_id}"

    def correlation(self) -> str:
        return str(self.payment_id)

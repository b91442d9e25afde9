"""Events the disbursement service produces: payments on disbursement.payments keyed by payment id,
budgets on disbursement.budgets keyed by campaign."""

from enum import StrEnum
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic
from contracts.types import Code, Fen, PositiveFen


class PaymentEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.DISBURSEMENT_PAYMENTS

    payment_id: UUID
    case_id: UUID
    campaign: Code
    amount_fen: PositiveFen

    def partition_key(self) -> str:
        return str(self.payment_id)

    def correlation(self) -> str:
        return str(self.case_id)


@register
class PaymentInstructedV1(PaymentEvent):
    """Budget reserved and the payment instructed to the bank. The account is shown masked only."""

    event_type: ClassVar[str] = "payment.instructed"
    schema_version: ClassVar[int] = 1

    payee_account_masked: str
    reissue_of: UUID | None = Field(None, description="the returned payment this one pays again")


@register
class PaymentSettledV1(PaymentEvent):
    event_type: ClassVar[str] = "payment.settled"
    schema_version: ClassVar[int] = 1

    bank_reference: str
    settled_at: AwareDatetime


class FailureStage(StrEnum):
    BUDGET = "budget"
    BANK = "bank"


@register
class PaymentFailedV1(PaymentEvent):
    """No money moved: the budget could not cover it, or the bank refused it. The reservation is released."""

    event_type: ClassVar[str] = "payment.failed"
    schema_version: ClassVar[int] = 1

    stage: FailureStage
    reason: str = Field(min_length=1, max_length=500)
    failed_at: AwareDatetime | None = None


@register
class PaymentWaitingV1(PaymentEvent):
    """Approved, but the budget cannot cover it yet: it waits in the campaign's queue, neither failed nor
    lost, and is instructed in approval order once the budget is topped up."""

    event_type: ClassVar[str] = "payment.waiting"
    schema_version: ClassVar[int] = 1

    reason: str = Field(min_length=1, max_length=500)
    position: int = Field(ge=1, description="its place in the campaign's queue when it joined")


@register
class BudgetChangedV1(EventPayload):
    """A campaign's budget was created or topped up by finance."""

    topic: ClassVar[Topic] = Topic.DISBURSEMENT_BUDGETS
    event_type: ClassVar[str] = "budget.changed"
    schema_version: ClassVar[int] = 1

    campaign: Code
    change: Literal["created", "topped_up"]
    amount_fen: PositiveFen
    total_fen: PositiveFen
    available_fen: Fen
    changed_by: str

    def partition_key(self) -> str:
        return self.campaign

    def correlation(self) -> str:
        return self.campaign


@register
class PaymentReturnedV1(PaymentEvent):
    """The payee's bank sent a paid line back: reversed in the ledger (paid back to available); the case
    needs a corrected account before it is paid again."""

    event_type: ClassVar[str] = "payment.returned"
    schema_version: ClassVar[int] = 1

    reason: str = Field(min_length=1, max_length=500)

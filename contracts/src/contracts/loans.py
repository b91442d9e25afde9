"""Events the loans service produces: a loan's life on loans.loans and the subsidies it owes on
loans.subsidies, both keyed by loan id (the approved case's id), so one loan's events stay in order.
`campaign` is the subsidy fund: disbursement's budget of that code."""

from datetime import date
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic
from contracts.types import Code, Fen, PositiveFen, Sealed


class LoanEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.LOANS_LOANS

    loan_id: UUID
    campaign: Code

    def partition_key(self) -> str:
        return str(self.loan_id)

    def correlation(self) -> str:
        return str(self.loan_id)


@register
class LoanDisbursedV1(LoanEvent):
    """The bank lent the money; the projected subsidy is reserved from the fund (`reserved`), or the loan
    waits for a top-up (`waiting_position`)."""

    event_type: ClassVar[str] = "loan.disbursed"
    schema_version: ClassVar[int] = 1

    bank_loan_id: str
    principal_fen: PositiveFen
    annual_rate_bp: int = Field(gt=0)
    term_months: int = Field(ge=1)
    start: date
    method: Literal["equal_instalment", "equal_principal", "interest_only"]
    policy_id: str
    policy_version: int = Field(ge=1)
    projected_subsidy_fen: Fen
    reserved: bool
    waiting_position: int | None = Field(None, ge=1)


@register
class LoanDeclinedV1(LoanEvent):
    event_type: ClassVar[str] = "loan.declined"
    schema_version: ClassVar[int] = 1

    reason: str = Field(min_length=1, max_length=500)


@register
class SubsidyReservedV1(LoanEvent):
    """A loan that waited for the fund is taken up after a top-up: its projected subsidy is reserved."""

    event_type: ClassVar[str] = "subsidy.reserved"
    schema_version: ClassVar[int] = 1

    amount_fen: Fen


@register
class SubsidyForfeitedV1(LoanEvent):
    """A period that gets nothing: overdue (逾期) or extended (展期); its reservation goes back to the fund."""

    event_type: ClassVar[str] = "subsidy.forfeited"
    schema_version: ClassVar[int] = 1

    period_end: date
    reason: Literal["overdue", "extended"]
    released_fen: Fen


@register
class SubsidyStoppedV1(LoanEvent):
    """No more subsidy for this loan: repaid early, defaulted, matured, or forfeited (an overdue or
    extended period where the policy forfeits the rest); the rest of the reservation goes back to the fund."""

    event_type: ClassVar[str] = "subsidy.stopped"
    schema_version: ClassVar[int] = 1

    reason: Literal["repaid_early", "defaulted", "matured", "forfeited"]
    on: date
    released_fen: Fen


@register
class SubsidyClawbackRaisedV1(LoanEvent):
    """The policy claws back on default: what was paid becomes a receivable from the borrower."""

    event_type: ClassVar[str] = "subsidy.clawback_raised"
    schema_version: ClassVar[int] = 1

    amount_fen: PositiveFen
    reason: str = Field(min_length=1, max_length=500)


@register
class SubsidyPaidV1(LoanEvent):
    """Disbursement settled a period's subsidy at the bank."""

    event_type: ClassVar[str] = "subsidy.paid"
    schema_version: ClassVar[int] = 1

    period_end: date
    payment_id: UUID
    amount_fen: PositiveFen


@register
class SubsidyDueV1(EventPayload):
    """A period's interest subsidy (贴息), computed from the interest the bank charged: disbursement pays it
    like any payment from the fund's budget. `case_id` is the period's entitlement id (one payment per
    period, whatever is redelivered). Carries the account because disbursement must instruct the bank."""

    topic: ClassVar[Topic] = Topic.LOANS_SUBSIDIES
    event_type: ClassVar[str] = "subsidy.due"
    schema_version: ClassVar[int] = 1

    case_id: UUID
    loan_id: UUID
    campaign: Code
    amount_fen: PositiveFen
    period_start: date
    period_end: date
    interest_fen: Fen
    payee_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=r"^[0-9]{12,30}$")

    def partition_key(self) -> str:
        return str(self.loan_id)

    def correlation(self) -> str:
        return str(self.loan_id)


@register
class SubsidyDueV2(EventPayload):
    """A period's interest subsidy, as v1, with the payee's name and account sealed for disbursement."""

    topic: ClassVar[Topic] = Topic.LOANS_SUBSIDIES
    event_type: ClassVar[str] = "subsidy.due"
    schema_version: ClassVar[int] = 2

    case_id: UUID
    loan_id: UUID
    campaign: Code
    amount_fen: PositiveFen
    period_start: date
    period_end: date
    interest_fen: Fen
    payee_name_sealed: Sealed
    payee_account_sealed: Sealed

    def partition_key(self) -> str:
        return str(self.loan_id)

    def correlation(self) -> str:
        return str(self.loan_id)

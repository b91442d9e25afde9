"""Events the eligibility service produces, keyed by case id: a case's decisions and payee (approved,
rejected, ...) on eligibility.cases, which disbursement, loans and cooling act on; its registration and
assessments on eligibility.assessments, the record auditors read and no service acts on (two events
for every listed member, which the services would otherwise fetch only to skip). Hardship files on
eligibility.hardship-files keyed by file id. Member references are keyed hashes, never IDs."""

from datetime import date
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import EventPayload, register
from contracts.topics import Topic
from contracts.types import Code, Fen, PositiveFen, Sealed


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

    topic: ClassVar[Topic] = Topic.ELIGIBILITY_ASSESSMENTS
    event_type: ClassVar[str] = "case.registered"
    schema_version: ClassVar[int] = 1

    programme: Code
    region: Code
    year: int = Field(ge=2000, le=2100)
    member_ref: str = Field(min_length=16, max_length=64)
    registered_by: str


@register
class EligibilityAssessedV1(CaseEvent):
    """The case was assessed against a versioned rule set; `reasons` explain the outcome, each in Chinese
    with English in brackets. `inputs` are the exact (non-personal) facts it read and `decision_hash`
    covers them with the rule set's id, version and content, so an audit can re-run it and compare."""

    topic: ClassVar[Topic] = Topic.ELIGIBILITY_ASSESSMENTS
    event_type: ClassVar[str] = "case.assessed"
    schema_version: ClassVar[int] = 1

    eligible: bool
    amount_fen: Fen
    tier: str | None = None
    rule_set_id: str
    rule_set_version: int = Field(ge=1)
    reasons: tuple[str, ...]
    approvals_required: int = Field(ge=1, le=2)
    decision_hash: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    inputs: dict[str, Any] | None = None


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


@register
class CaseWithdrawnV1(CaseEvent):
    event_type: ClassVar[str] = "case.withdrawn"
    schema_version: ClassVar[int] = 1

    withdrawn_by: str
    reason: str = Field(min_length=1, max_length=500)


@register
class CaseAppealedV1(CaseEvent):
    """An appeal (申诉) against an ineligible or rejected case; a new case.assessed follows it."""

    event_type: ClassVar[str] = "case.appealed"
    schema_version: ClassVar[int] = 1

    appealed_by: str
    grounds: str = Field(min_length=1, max_length=2000)


class HardshipFileEvent(EventPayload):
    topic: ClassVar[Topic] = Topic.ELIGIBILITY_HARDSHIP_FILES

    file_id: UUID
    member_ref: str = Field(min_length=16, max_length=64)
    region: Code
    level: Literal["deep", "relative", "accident"]

    def partition_key(self) -> str:
        return str(self.file_id)

    def correlation(self) -> str:
        return str(self.file_id)


@register
class HardshipFileGradedV1(HardshipFileEvent):
    """A hardship file opened (`level_before` null) or reviewed, graded under the region's standards."""

    event_type: ClassVar[str] = "hardship_file.graded"
    schema_version: ClassVar[int] = 1

    level_before: Literal["deep", "relative", "accident"] | None = None
    valid_until: date
    standards_id: str
    standards_version: int = Field(ge=1)
    graded_by: str


@register
class HardshipFileExpiredV1(HardshipFileEvent):
    """A file past its period: no new eligibility until it is reviewed."""

    event_type: ClassVar[str] = "hardship_file.expired"
    schema_version: ClassVar[int] = 1

    valid_until: date


@register
class CasePayeeCorrectedV1(CaseEvent):
    """After a return, the caseworker entered the payee's corrected account: disbursement pays the
    entitlement again, once. Carries the account because disbursement must instruct the bank."""

    event_type: ClassVar[str] = "case.payee_corrected"
    schema_version: ClassVar[int] = 1

    returned_payment_id: UUID
    corrected_by: str
    payee_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=r"^[0-9]{12,30}$")


@register
class LoanApprovedV1(CaseEvent):
    """A loan application (贴息贷款) approved for an interest subsidy: the loans service forwards it to the
    bank. `campaign` is the subsidy fund's code. An enterprise is known by its unified social credit code
    (统一社会信用代码, public); an individual borrower only by a keyed hash. Carries the account because the
    bank lends to it and the subsidy is paid to it."""

    event_type: ClassVar[str] = "loan.approved"
    schema_version: ClassVar[int] = 1

    programme: Code
    region: Code
    year: int = Field(ge=2000, le=2100)
    borrower_kind: Literal["enterprise", "individual"]
    borrower_ref: str = Field(min_length=16, max_length=64)
    borrower_name: str = Field(min_length=1, max_length=100)
    payee_account: str = Field(pattern=r"^[0-9]{12,30}$")
    principal_fen: PositiveFen
    term_months: int = Field(ge=1, le=120)
    method: Literal["equal_instalment", "equal_principal", "interest_only"]
    staff_count: int = Field(ge=0)
    new_hires: int = Field(ge=0, description="jobs created: new hires on contracts of a year or more")
    approved_by: tuple[str, ...] = Field(min_length=1)
    rule_set_id: str
    rule_set_version: int = Field(ge=1)


@register
class WorkerRegisteredV1(CaseEvent):
    """A frontline worker's summer-cooling registration (夏送清凉) approved: the cooling service counts them
    at their site and serves them one kit. In kind, not cash: disbursement never pays it. `worker_ref` is
    the keyed hash of the national ID, the same a station computes from the ID it scans."""

    event_type: ClassVar[str] = "worker.registered"
    schema_version: ClassVar[int] = 1

    programme: Code
    region: Code
    year: int = Field(ge=2000, le=2100)
    worker_ref: str = Field(min_length=16, max_length=64)
    occupation: str = Field(min_length=1, max_length=40, description="construction, sanitation, courier, "
                                                                      "food_delivery, ride_hailing, truck_driver, ...")
    site: Code = Field(description="the worksite or station (工会驿站) they are served at")
    approved_by: tuple[str, ...] = Field(min_length=1)
    rule_set_id: str
    rule_set_version: int = Field(ge=1)


@register
class CaseApprovedV2(CaseEvent):
    """Final approval; the payee's name and account sealed for disbursement (no topic holds them in clear),
    the account's last digits for display."""

    event_type: ClassVar[str] = "case.approved"
    schema_version: ClassVar[int] = 2

    programme: Code
    region: Code
    amount_fen: PositiveFen
    approved_by: tuple[str, ...] = Field(min_length=1)
    rule_set_id: str
    rule_set_version: int = Field(ge=1)
    payee_name_sealed: Sealed
    payee_account_sealed: Sealed
    payee_account_masked: str = Field(max_length=40)


@register
class CasePayeeCorrectedV2(CaseEvent):
    """A corrected account after a return, sealed for disbursement, which pays the entitlement again, once."""

    event_type: ClassVar[str] = "case.payee_corrected"
    schema_version: ClassVar[int] = 2

    returned_payment_id: UUID
    corrected_by: str
    payee_name_sealed: Sealed
    payee_account_sealed: Sealed
    payee_account_masked: str = Field(max_length=40)


@register
class LoanApprovedV2(CaseEvent):
    """A loan approved for an interest subsidy, the borrower's name and account sealed for the loans service."""

    event_type: ClassVar[str] = "loan.approved"
    schema_version: ClassVar[int] = 2

    programme: Code
    region: Code
    year: int = Field(ge=2000, le=2100)
    borrower_kind: Literal["enterprise", "individual"]
    borrower_ref: str = Field(min_length=16, max_length=64)
    borrower_name_sealed: Sealed
    payee_account_sealed: Sealed
    principal_fen: PositiveFen
    term_months: int = Field(ge=1, le=120)
    method: Literal["equal_instalment", "equal_principal", "interest_only"]
    staff_count: int = Field(ge=0)
    new_hires: int = Field(ge=0, description="jobs created: new hires on contracts of a year or more")
    approved_by: tuple[str, ...] = Field(min_length=1)
    rule_set_id: str
    rule_set_version: int = Field(ge=1)

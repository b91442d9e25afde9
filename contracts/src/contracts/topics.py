"""Topics, by owning service and aggregate, keyed by aggregate id. Each has a dead-letter twin."""

from enum import StrEnum


class Topic(StrEnum):
    ELIGIBILITY_ASSESSMENTS = "eligibility.assessments"  # before the cases: audit replay reads topics in this order
    ELIGIBILITY_CASES = "eligibility.cases"
    ELIGIBILITY_HARDSHIP_FILES = "eligibility.hardship-files"
    DISBURSEMENT_PAYMENTS = "disbursement.payments"
    DISBURSEMENT_BUDGETS = "disbursement.budgets"
    RECONCILIATION_ITEMS = "reconciliation.items"
    LOANS_LOANS = "loans.loans"
    LOANS_SUBSIDIES = "loans.subsidies"
    COOLING_STOCK = "cooling.stock"
    COOLING_HANDOUTS = "cooling.handouts"
    AUDIT_FINDINGS = "audit.findings"

    @property
    def dead_letter(self) -> str:
        return dead_letter_of(self.value)


def dead_letter_of(topic: str) -> str:
    return f"{topic}.dlt"


def all_topics() -> list[str]:
    return [name for topic in Topic for name in (topic.value, topic.dead_letter)]

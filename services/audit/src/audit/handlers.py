"""Kafka subscribers, one consumer group over every topic the invariants read."""

from audit import watch
from audit.bootstrap import Audit
from contracts.cooling import KitHandedOutV1, OverIssueFoundV1
from contracts.disbursement import BudgetChangedV1, PaymentReturnedV1, PaymentSettledV1
from contracts.eligibility import CaseApprovedV1, CaseApprovedV2, WorkerRegisteredV1
from contracts.loans import SubsidyDueV1, SubsidyDueV2, SubsidyForfeitedV1
from contracts.topics import Topic
from siji_shared.consumer import EventConsumer

GROUP = "audit"


def register(container: Audit) -> list[EventConsumer]:
    def consumer(topic: Topic, handlers: dict) -> EventConsumer:
        return EventConsumer(topic=topic, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
                             handlers=handlers)

    return [consumer(Topic.ELIGIBILITY_CASES, {CaseApprovedV1: watch.entitlements, CaseApprovedV2: watch.entitlements,
                                               WorkerRegisteredV1: watch.registrations}),
            consumer(Topic.LOANS_SUBSIDIES, {SubsidyDueV1: watch.entitlements, SubsidyDueV2: watch.entitlements}),
            consumer(Topic.LOANS_LOANS, {SubsidyForfeitedV1: watch.forfeits}),
            consumer(Topic.DISBURSEMENT_PAYMENTS, {PaymentSettledV1: watch.settlements,
                                                   PaymentReturnedV1: watch.returns}),
            consumer(Topic.DISBURSEMENT_BUDGETS, {BudgetChangedV1: watch.budgets}),
            consumer(Topic.COOLING_HANDOUTS, {KitHandedOutV1: watch.handouts, OverIssueFoundV1: watch.over_issues})]

"""Kafka subscribers: approved loans from eligibility, the fund's budget and the subsidy payments'
outcomes from disbursement."""

from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg

from contracts import Envelope
from contracts.disbursement import BudgetChangedV1, PaymentFailedV1, PaymentSettledV1
from contracts.eligibility import LoanApprovedV1, LoanApprovedV2
from contracts.topics import Topic
from loans import repository as repo
from loans import service
from loans.bootstrap import Loans
from siji_shared.consumer import CampaignsRead, EventConsumer

GROUP = "loans"
Handler = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[list[Envelope]]]


def register(container: Loans) -> list[EventConsumer]:
    def consumer(topic: Topic, handlers: dict, campaigns: CampaignsRead | None = None) -> EventConsumer:
        return EventConsumer(topic=topic, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
                             handlers=handlers, campaigns=campaigns)

    approved: Handler = partial(service.record_approved, vault=container.vault)
    fund: Handler = partial(service.fund_changed, vault=container.vault)
    return [consumer(Topic.ELIGIBILITY_CASES, {LoanApprovedV1: approved, LoanApprovedV2: approved}),
            consumer(Topic.DISBURSEMENT_BUDGETS, {BudgetChangedV1: fund}),
            consumer(Topic.DISBURSEMENT_PAYMENTS, {PaymentSettledV1: service.record_payments,
                                                   PaymentFailedV1: service.record_payments},
                     campaigns=repo.loan_campaigns)]  # a subsidy is paid in its loan's campaign: the rest is not ours

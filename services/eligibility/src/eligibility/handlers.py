"""Kafka subscribers: the payment outcomes eligibility shows on its cases."""

from contracts.disbursement import (
    PaymentFailedV1,
    PaymentInstructedV1,
    PaymentReturnedV1,
    PaymentSettledV1,
    PaymentWaitingV1,
)
from contracts.topics import Topic
from eligibility import service
from eligibility.bootstrap import Eligibility
from siji_shared.consumer import EventConsumer

GROUP = "eligibility"


def register(container: Eligibility) -> list[EventConsumer]:
    return [EventConsumer(
        topic=Topic.DISBURSEMENT_PAYMENTS, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
        handlers={event: service.record_payment_outcomes
                  for event in (PaymentWaitingV1, PaymentInstructedV1, PaymentSettledV1, PaymentFailedV1,
                                PaymentReturnedV1)},
    )]

"""Kafka subscribers: the payment outcomes eligibility shows on its cases."""

from contracts.disbursement import PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.topics import Topic
from eligibility import service
from siji_shared.consumer import EventConsumer
from siji_shared.service_app import Runtime

GROUP = "eligibility"


def register(runtime: Runtime) -> list[EventConsumer]:
    return [EventConsumer(
        topic=Topic.DISBURSEMENT_PAYMENTS, group_id=GROUP, pool=runtime.pool, dead_letters=runtime.dead_letters,
        handlers={event: service.record_payment_outcome
                  for event in (PaymentInstructedV1, PaymentSettledV1, PaymentFailedV1)},
    )]

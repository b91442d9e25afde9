"""Kafka subscribers: the payments as disbursement reports them."""

from contracts.disbursement import PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.topics import Topic
from reconciliation import service
from reconciliation.bootstrap import Reconciliation
from siji_shared.consumer import EventConsumer

GROUP = "reconciliation"


def register(container: Reconciliation) -> list[EventConsumer]:
    return [EventConsumer(
        topic=Topic.DISBURSEMENT_PAYMENTS, group_id=GROUP, pool=container.pool, dead_letters=container.dead_letters,
        handlers={PaymentInstructedV1: service.record_payments, PaymentSettledV1: service.record_payments,
                  PaymentFailedV1: service.record_payments},
    )]

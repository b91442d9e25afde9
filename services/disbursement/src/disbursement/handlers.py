"""Kafka subscribers: approved cases become payments."""

from functools import partial

from contracts.eligibility import CaseApprovedV1
from contracts.topics import Topic
from disbursement import service
from siji_shared.consumer import EventConsumer
from siji_shared.pii import PiiVault
from siji_shared.service_app import Runtime

GROUP = "disbursement"


def register(runtime: Runtime, vault: PiiVault) -> list[EventConsumer]:
    return [EventConsumer(
        topic=Topic.ELIGIBILITY_CASES, group_id=GROUP, pool=runtime.pool, dead_letters=runtime.dead_letters,
        handlers={CaseApprovedV1: partial(service.instruct_payment, vault=vault)},
    )]

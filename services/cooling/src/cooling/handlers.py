"""Kafka subscribers: the approved summer-cooling registrations from eligibility."""

from contracts.eligibility import WorkerRegisteredV1
from contracts.topics import Topic
from cooling import service
from cooling.bootstrap import Cooling
from siji_shared.consumer import EventConsumer

GROUP = "cooling"


def register(container: Cooling) -> list[EventConsumer]:
    return [EventConsumer(topic=Topic.ELIGIBILITY_CASES, group_id=GROUP, pool=container.pool,
                          dead_letters=container.dead_letters,
                          handlers={WorkerRegisteredV1: service.record_registrations})]

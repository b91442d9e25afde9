"""The batch consumer's error policy on real PostgreSQL and Kafka: a rule-breaking event inside a
batch is dead-lettered alone while the rest of the batch takes effect; a bug stops the consumer with
nothing committed; a version without a handler is counted; two consumer groups in one schema each
handle every event (the inbox is per group); a consumer that follows some campaigns passes over the
others' events unparsed."""

import uuid
from typing import ClassVar

import pytest
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY

from contracts import encode
from contracts.eligibility import CaseRegisteredV1
from contracts.topics import Topic
from siji_shared.consumer import EventConsumer
from siji_shared.dead_letters import REASON, DeadLetters
from siji_shared.kafka import RenewingProducer, event_headers
from support.events import case_registered, envelope_of, record_effects
from support.kafka import read_topic


def as_record(body: bytes, offset: int, key: bytes = b"k", headers=()) -> ConsumerRecord:
    return ConsumerRecord(Topic.ELIGIBILITY_CASES.value, 0, offset, 0, 0, key, body, None, len(key), len(body),
                          list(headers))


@pytest.fixture
async def dead_letter_producer(infra):
    producer = RenewingProducer(infra.kafka, client_id="test-batch-dlt")
    await producer.start()
    yield producer
    await producer.stop()


def consumer_of(pool, producer, group: str, handler=record_effects) -> EventConsumer:
    return EventConsumer(topic=Topic.ELIGIBILITY_CASES, group_id=group, pool=pool,
                         dead_letters=DeadLetters(producer, group_id=group), handlers={CaseRegisteredV1: handler})


async def effects_of(pool, campaign: str) -> list[uuid.UUID]:
    async with pool.acquire() as conn:
        return [r["event_id"] for r in await conn.fetch("SELECT event_id FROM effects WHERE campaign = $1", campaign)]


async def test_a_rule_breaking_event_inside_a_batch_is_dead_lettered_alone(infra, pool, dead_letter_producer):
    campaign = f"batch-{uuid.uuid4().hex[:8]}"
    good = [envelope_of(case_registered(campaign)) for _ in range(7)]
    bad = envelope_of(case_registered(campaign, programme="forbidden"))
    batch = [*good[:3], bad, *good[3:]]
    group = f"g-{uuid.uuid4().hex[:8]}"
    await consumer_of(pool, dead_letter_producer, group).process(
        [as_record(encode(e), i, key=str(e.event_id).encode()) for i, e in enumerate(batch)])

    assert sorted(await effects_of(pool, campaign)) == sorted(e.event_id for e in good)
    dead = await read_topic(infra.kafka, Topic.ELIGIBILITY_CASES.dead_letter,
                            until=lambda rs: any(r.key == str(bad.event_id).encode() for r in rs))
    mine = [r for r in dead if dict(r.headers).get("dlt-consumer-group") == group.encode()]
    assert [r.key for r in mine] == [str(bad.event_id).encode()]
    assert b"forbidden" in dict(mine[0].headers)[REASON]
    async with pool.acquire() as conn:
        claimed = {r["event_id"] for r in await conn.fetch("SELECT event_id FROM inbox WHERE consumer_group = $1",
                                                           group)}
    assert claimed == {e.event_id for e in good}, "the dead-lettered event's claim was rolled back"


async def test_a_bug_stops_the_consumer_with_nothing_committed(pool, dead_letter_producer):
    campaign = f"bug-{uuid.uuid4().hex[:8]}"
    stopped = []

    async def buggy(conn, envelopes):
        await record_effects(conn, envelopes)
        raise TypeError("a bug in the handler")

    async def stop():
        stopped.append(True)

    consumer = consumer_of(pool, dead_letter_producer, f"g-{uuid.uuid4().hex[:8]}", handler=buggy)
    consumer.bind_stop(stop)
    events = [envelope_of(case_registered(campaign)) for _ in range(3)]
    with pytest.raises(TypeError):
        await consumer.process([as_record(encode(e), i) for i, e in enumerate(events)])
    assert consumer.stopped_by == "TypeError: a bug in the handler"
    assert await effects_of(pool, campaign) == [], "nothing of the batch was committed"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM inbox WHERE consumer_group = $1", consumer.group_id) == 0
    await consumer._stopping
    assert stopped == [True]


class CaseRegisteredV9(CaseRegisteredV1):
    """A later version this test's consumer handles instead of v1 (never registered in the contracts)."""

    schema_version: ClassVar[int] = 9


async def test_a_version_without_a_handler_is_counted_and_skipped(pool, dead_letter_producer):
    campaign = f"ver-{uuid.uuid4().hex[:8]}"
    older = envelope_of(case_registered(campaign))
    consumer = consumer_of(pool, dead_letter_producer, f"g-{uuid.uuid4().hex[:8]}")
    consumer.handlers = {CaseRegisteredV9: record_effects}
    consumer.__post_init__()
    await consumer.process([as_record(encode(older), 0), as_record(b"{not json", 1)])
    assert consumer.unhandled_versions == {("case.registered", 1): 1}
    assert await effects_of(pool, campaign) == []
    assert consumer.stopped_by is None


async def test_two_consumer_groups_in_one_schema_each_handle_every_event(pool, dead_letter_producer):
    campaign = f"groups-{uuid.uuid4().hex[:8]}"
    events = [envelope_of(case_registered(campaign)) for _ in range(4)]
    records = [as_record(encode(e), i) for i, e in enumerate(events)]
    for group in ("projection", "handler"):
        consumer = consumer_of(pool, dead_letter_producer, f"{group}-{campaign}")
        await consumer.process(records)
        await consumer.process(records)  # redelivered: no second effect
    assert sorted(await effects_of(pool, campaign)) == sorted([e.event_id for e in events] * 2)


async def test_a_consumer_following_some_campaigns_passes_over_the_others_unparsed(pool, dead_letter_producer):
    ours, theirs = f"ours-{uuid.uuid4().hex[:8]}", f"theirs-{uuid.uuid4().hex[:8]}"
    consumer = consumer_of(pool, dead_letter_producer, f"g-{ours}")
    asked = []

    async def followed(conn):
        asked.append(await conn.fetchval("SELECT 1"))
        return [ours]

    consumer.campaigns = followed
    mine, unlabelled = envelope_of(case_registered(ours)), envelope_of(case_registered(theirs))
    await consumer.process([
        as_record(encode(mine), 0, headers=event_headers(mine.event_type, mine.campaign)),
        as_record(b"{not json", 1, headers=event_headers("case.registered", theirs)),  # parsed, it would be dead
        as_record(encode(unlabelled), 2, headers=event_headers(unlabelled.event_type)),  # no campaign told: parsed
    ])
    assert asked == [1] and consumer.stopped_by is None
    assert await effects_of(pool, ours) == [mine.event_id]
    assert await effects_of(pool, theirs) == [unlabelled.event_id]
    assert REGISTRY.get_sample_value("siji_dead_letters_total", {
        "consumer_group": consumer.group_id, "topic": consumer.topic, "cause": "UndecodableEvent"}) is None

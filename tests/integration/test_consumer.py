"""Inbox and dead letters through a real broker: duplicates have one effect, poison is set aside,
and the consumer carries on with the events after it."""

import json
import uuid

from aiokafka import AIOKafkaProducer
from faststream.kafka import KafkaBroker

from contracts import encode
from contracts.eligibility import CaseRegisteredV1
from contracts.topics import Topic
from siji_shared.consumer import EventConsumer, subscribe
from siji_shared.dead_letters import REASON, DeadLetters
from siji_shared.kafka import RenewingProducer
from support.events import case_registered, envelope_of, record_effects
from support.kafka import eventually, read_topic


async def test_duplicates_have_one_effect_and_poison_goes_to_dead_letters(infra, pool, schema):
    campaign = f"inbox-{uuid.uuid4().hex[:8]}"
    first = envelope_of(case_registered(campaign))
    after_poison = envelope_of(case_registered(campaign))
    breaks_rule = envelope_of(case_registered(campaign, programme="forbidden"))
    wrong_schema = json.loads(encode(envelope_of(case_registered(campaign))))
    del wrong_schema["payload"]["member_ref"]
    poison_key = f"poison-{uuid.uuid4()}".encode()
    poison = [b"{not json", json.dumps(wrong_schema).encode(), encode(breaks_rule)]

    producer = AIOKafkaProducer(**infra.kafka.client_kwargs())
    await producer.start()
    try:
        for body in [encode(first), encode(first), *poison, encode(first), encode(after_poison)]:
            key = poison_key if body in poison else b"k"
            await producer.send_and_wait(Topic.ELIGIBILITY_CASES, body, key=key)
    finally:
        await producer.stop()

    dlt_producer = RenewingProducer(infra.kafka, client_id="test-dlt")
    await dlt_producer.start()
    broker = KafkaBroker(infra.bootstrap_servers, security=infra.kafka.security(), logger=None)
    group = f"test-{schema}"
    consumer = EventConsumer(topic=Topic.ELIGIBILITY_CASES, group_id=group, pool=pool,
                             dead_letters=DeadLetters(dlt_producer, group_id=group),
                             handlers={CaseRegisteredV1: record_effects})
    subscribe(broker, consumer)

    def ours(records):  # other consumer groups of the topic dead-letter the undecodable bytes too
        return [r for r in records if r.key == poison_key and dict(r.headers)["dlt-consumer-group"] == group.encode()]

    await broker.start()
    try:
        async def effects():
            async with pool.acquire() as conn:
                rows = await conn.fetch("SELECT event_id FROM effects WHERE campaign = $1", campaign)
            return [r["event_id"] for r in rows] if len(rows) >= 2 else None

        effected = await eventually(effects)
        # The poison has another key, so maybe another partition: read it while the consumer still runs.
        dead = ours(await read_topic(infra.kafka, Topic.ELIGIBILITY_CASES.dead_letter,
                                     until=lambda rs: len(ours(rs)) >= 3))
    finally:
        await broker.stop()
        await dlt_producer.stop()

    assert sorted(effected) == sorted([first.event_id, after_poison.event_id])
    assert [r.value for r in dead] == poison, "original bytes kept, in order"
    reasons = [dict(r.headers)[REASON].decode() for r in dead]
    assert "not an envelope" in reasons[0]
    assert "member_ref" in reasons[1]
    assert "RuleViolation" in reasons[2] and "forbidden" in reasons[2]
    assert all(dict(r.headers)["dlt-source-topic"] == Topic.ELIGIBILITY_CASES.value.encode() for r in dead)

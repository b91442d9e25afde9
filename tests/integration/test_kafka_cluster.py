"""Three KRaft brokers on loopback: with acks=all and min.insync.replicas=2, stopping one broker loses
no acknowledged event and producing carries on."""

import shutil
import uuid
from dataclasses import replace

import pytest
from aiokafka import AIOKafkaConsumer

from siji_shared.kafka import KafkaConnection, ensure_topics, idempotent_producer
from support.infra import TEST_STATE, THREE_BROKERS_PORT


@pytest.fixture(scope="module")
def cluster(infra):
    """Of the session's kind: broker processes, or containers under `make test-containers`."""
    state = TEST_STATE / "kafka-3"
    shutil.rmtree(state, ignore_errors=True)
    three = infra.stack.kafka_cluster(state, brokers=3, base_port=THREE_BROKERS_PORT, heap="384m")
    three.start(timeout=120)
    yield three
    three.stop(kill=True)  # with a voter gone, the last controller cannot shut down gracefully (no quorum)


async def produce(kafka: KafkaConnection, topic: str, values: list[bytes]) -> None:
    producer = idempotent_producer(kafka, client_id="cluster-test")
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=value[-1:])
    finally:
        await producer.stop()


async def test_three_brokers_survive_losing_one(cluster):
    assert len(cluster.running()) == 3
    topic = f"cluster-{uuid.uuid4().hex[:8]}"
    await ensure_topics(cluster.connection(), [topic], partitions=3)
    before = [f"before-{i}".encode() for i in range(100)]
    after = [f"after-{i}".encode() for i in range(100)]
    await produce(cluster.connection(), topic, before)

    cluster.stop_node(cluster.nodes[2], kill=True)
    survivors = replace(cluster.connection(), bootstrap_servers=",".join(node.address for node in cluster.nodes[:2]))
    await produce(survivors, topic, after)

    consumer = AIOKafkaConsumer(topic, **survivors.client_kwargs(), group_id=f"g-{topic}",
                                auto_offset_reset="earliest")
    await consumer.start()
    seen: list[bytes] = []
    try:
        for _ in range(60):
            for records in (await consumer.getmany(timeout_ms=500)).values():
                seen.extend(r.value for r in records)
            if len(seen) >= 200:
                break
    finally:
        await consumer.stop()
    assert sorted(seen) == sorted(before + after)

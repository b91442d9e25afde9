"""A producer the broker answers out of sequence (it lost the producer's last batches): the relay's and the
dead-letter publisher's are replaced, and what failed goes again with the new one."""

import asyncio
import contextlib

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY

from siji_shared import kafka, outbox
from siji_shared.dead_letters import DeadLetters
from siji_shared.kafka import KafkaConnection, RenewingProducer


class Batch:
    def __init__(self):
        self.records = []

    def append(self, **record):
        self.records.append(record)
        return record


class Producer:
    def __init__(self, broken):
        self.broken, self.sent, self.started, self.stopped = broken, [], False, False

    async def partitions_for(self, topic):
        return {0}

    def create_batch(self):
        return Batch()

    async def send_batch(self, batch, topic, partition):
        delivery = asyncio.get_running_loop().create_future()
        if self.broken:
            delivery.set_exception(OutOfOrderSequenceNumber())
        else:
            self.sent += batch.records
            delivery.set_result(None)
        return delivery

    async def send_and_wait(self, topic, value, *, key, headers):
        if self.broken:
            raise OutOfOrderSequenceNumber()
        self.sent.append({"topic": topic, "key": key, "value": value, "headers": dict(headers)})

    async def start(self):
        self.started = True

    async def stop(self):
        self.stopped = True
        if self.broken:
            raise OutOfOrderSequenceNumber()


class Connection:
    def __init__(self, rows):
        self.rows, self.deleted = rows, []

    async def fetch(self, query, limit):
        return self.rows

    async def execute(self, query, ids):
        self.deleted += ids


class Pool:
    def __init__(self, conn):
        self.conn = conn

    @contextlib.asynccontextmanager
    async def acquire(self):
        yield self.conn


@pytest.fixture
def producers(monkeypatch):
    made = [Producer(broken=True), Producer(broken=False)]
    supply = iter(made)
    monkeypatch.setattr(kafka, "idempotent_producer", lambda connection, client_id: next(supply))
    return made


async def test_the_relay_replaces_a_producer_out_of_sequence_and_the_rows_go_again(producers):
    conn = Connection([{"id": 1, "event_type": "case.approved", "topic": "eligibility.cases", "key": "k",
                        "body": b"{}", "campaign": None, "traceparent": None}])
    relay = outbox.OutboxRelay(Pool(conn), schema="eligibility", kafka=KafkaConnection(bootstrap_servers="x:9092"))

    with pytest.raises(OutOfOrderSequenceNumber):
        await relay.publish_pending()
    assert conn.deleted == []  # nothing acknowledged, nothing forgotten
    assert producers[0].stopped and producers[1].started

    await relay.publish_pending()
    assert [r["key"] for r in producers[1].sent] == [b"k"]
    assert conn.deleted == [1]


async def test_the_dead_letter_publisher_replaces_a_producer_out_of_sequence(producers):
    """Raised, the consumer's batch is redelivered (offsets uncommitted) and its dead letter goes again."""
    poison = ConsumerRecord("eligibility.cases", 3, 41, 0, 0, b"k", b"{not json", None, 1, 9, [])
    renewing = RenewingProducer(KafkaConnection(bootstrap_servers="x:9092"), client_id="disbursement-dead-letters")
    renewed_before = REGISTRY.get_sample_value("siji_kafka_producers_renewed_total",
                                               {"client_id": "disbursement-dead-letters"}) or 0
    dead_letters = DeadLetters(renewing, group_id="disbursement")

    with pytest.raises(OutOfOrderSequenceNumber):
        await dead_letters.publish(poison, "not an envelope")
    assert producers[0].stopped and producers[1].started
    assert REGISTRY.get_sample_value("siji_kafka_producers_renewed_total",
                                     {"client_id": "disbursement-dead-letters"}) == renewed_before + 1

    await dead_letters.publish(poison, "not an envelope")
    [letter] = producers[1].sent
    assert letter["topic"] == "eligibility.cases.dlt" and letter["value"] == b"{not json"
    assert letter["headers"]["dlt-source-offset"] == b"41" and letter["headers"]["dlt-consumer-group"] == b"disbursement"

"""The relay's producer after a broker lost its last batches: replaced, and the rows sent again."""

import asyncio
import contextlib

import pytest
from aiokafka.errors import OutOfOrderSequenceNumber

from siji_shared import outbox
from siji_shared.kafka import KafkaConnection


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


async def test_a_producer_out_of_sequence_is_replaced_and_the_rows_go_again(monkeypatch):
    producers = [Producer(broken=True), Producer(broken=False)]
    made = iter(producers)
    monkeypatch.setattr(outbox, "idempotent_producer", lambda kafka, client_id: next(made))
    conn = Connection([{"id": 1, "event_type": "case.approved", "topic": "eligibility.cases", "key": "k",
                        "body": b"{}", "traceparent": None}])
    relay = outbox.OutboxRelay(Pool(conn), schema="eligibility", kafka=KafkaConnection(bootstrap_servers="x:9092"))

    with pytest.raises(OutOfOrderSequenceNumber):
        await relay.publish_pending()
    assert conn.deleted == []  # nothing acknowledged, nothing forgotten
    assert producers[0].stopped and producers[1].started

    await relay.publish_pending()
    assert [r["key"] for r in producers[1].sent] == [b"k"]
    assert conn.deleted == [1]

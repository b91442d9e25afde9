"""Kafka is not an open bus: the brokers authenticate every client (SASL/SCRAM) and the authorizer lets a
principal write only its own topics. A forged event from anything else is refused by the broker."""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, KafkaError, TopicAuthorizationFailedError

from contracts.topics import Topic
from siji_shared.kafka import KafkaConnection, idempotent_producer


async def send(kafka: KafkaConnection, topic: str) -> None:
    producer = idempotent_producer(kafka, client_id="access-test")
    await producer.start()
    try:
        await asyncio.wait_for(producer.send_and_wait(topic, b'{"forged": true}', key=b"k"), 20)
    finally:
        await producer.stop()


async def test_a_producer_without_credentials_is_refused(infra):
    anonymous = AIOKafkaProducer(bootstrap_servers=infra.bootstrap_servers, request_timeout_ms=3000,
                                 metadata_max_age_ms=3000)
    with pytest.raises((KafkaError, asyncio.TimeoutError)):
        await asyncio.wait_for(anonymous.start(), 10)
        await asyncio.wait_for(anonymous.send_and_wait(Topic.ELIGIBILITY_CASES.value, b'{"forged": true}'), 10)
    await anonymous.stop()


async def test_a_service_writes_its_own_topics_and_no_other(infra):
    await send(infra.connection_for("eligibility"), Topic.ELIGIBILITY_CASES.value)
    await send(infra.connection_for("eligibility"), Topic.DISBURSEMENT_PAYMENTS.dead_letter)  # what it consumes
    with pytest.raises(TopicAuthorizationFailedError):
        await send(infra.connection_for("loans"), Topic.ELIGIBILITY_CASES.value)
    with pytest.raises((TopicAuthorizationFailedError, ClusterAuthorizationFailedError)):  # it may not even produce
        await send(infra.connection_for("siji-auditor"), Topic.DISBURSEMENT_PAYMENTS.value)

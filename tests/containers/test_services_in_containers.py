"""The services as production runs them: every service and the bank simulator a container of the siji and
siji-bank images, on a Docker network with a three-broker Kafka (replication 3, min.insync.replicas 2, SASL
and ACLs) and PostgreSQL, all containers; a winter campaign passes through them, one broker killed mid-campaign
and brought back, and the audit agrees. Runs under `make test-containers` (the images are built there)."""

import asyncio

import pytest

from contracts.topics import all_topics
from siji_cli import faults
from siji_cli.campaign import CampaignRun
from siji_cli.infra.containers import KafkaContainers, PostgresContainer, ServiceContainers, remove_all
from siji_shared.kafka import ensure_topics
from support.campaigns import assert_paid_once
from support.infra import TEST_PORT_OFFSET, TEST_STATE

STATE = TEST_STATE / "containers"
NETWORK = "siji-production-like"


@pytest.fixture(scope="module")
def stack():
    remove_all(STATE)
    kafka = KafkaContainers(STATE / "kafka", network=NETWORK, brokers=3, base_port=19392, heap="384m")
    postgres = PostgresContainer(STATE / "postgres", network=NETWORK, port=15632)
    services = ServiceContainers(
        state_dir=STATE, bootstrap_servers=kafka.bootstrap_servers, database_url=postgres.url,
        token_secret="test-token-secret-of-at-least-32-bytes", pii_key="test-pii-key",
        port_offset=TEST_PORT_OFFSET + 200, kafka_passwords=kafka.passwords, network=NETWORK,
        internal_bootstrap_servers=kafka.internal_bootstrap_servers, internal_database_url=postgres.internal_url,
        extra_env={"DISBURSEMENT_RELAY_POLL_SECONDS": "0.5", "ELIGIBILITY_RELAY_POLL_SECONDS": "0.5",
                   "DISBURSEMENT_DISPATCH_BATCH_SIZE": "40", "BANK_SIM_LATENCY_MS": "200"})
    try:
        postgres.start()
        kafka.start(timeout=120)
        kafka.provision()
        asyncio.run(ensure_topics(kafka.connection(), all_topics()))
        services.start_all()
        yield kafka, postgres, services
    finally:
        remove_all(STATE)


async def test_a_campaign_through_the_services_as_containers_survives_losing_one_of_three_brokers(stack):
    kafka, postgres, services = stack
    assert len(kafka.running()) == 3
    run = CampaignRun(services, recipients=300, autumn_aid_share=0, show_progress=False)
    campaign = asyncio.create_task(run.run(settle_timeout=300))
    await faults.when_settled(postgres.url, run.campaign, at_least=40)
    await faults.broker_lost(kafka, kafka.nodes[2], 15)  # replication 3, min.insync.replicas 2: writes go on
    report = await campaign
    assert len(kafka.running()) == 3

    assert report["registered"] == 300
    assert report["bank_day"]["unexplained"] == report["bank_day"]["open"] == 0, "the bank's camt.053 reconciled"
    totals = await assert_paid_once(kafka.connection(), postgres.url, report)
    assert totals.settled_fen == report["budget_used_fen"] > 0

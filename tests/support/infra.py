"""Session infrastructure for tests: external Kafka/PostgreSQL when KAFKA_BOOTSTRAP_SERVERS /
DATABASE_URL are set, otherwise the project's local launchers (processes, or containers when
SIJI_INFRA=containers) on test-only ports, in a state folder wiped at the start of every session."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

from siji_cli.infra.stack import Infrastructure
from siji_cli.paths import ROOT
from siji_cli.services import Deployment
from siji_shared.kafka import KafkaConnection

TEST_STATE = ROOT / ".state" / "test"
# SIJI_TEST_SLOT=N (default 0) moves every port a test session listens on by 4000*N, so sessions in two
# checkouts (each has its own state folder) can run side by side.
SLOT_SHIFT = 4000 * int(os.environ.get("SIJI_TEST_SLOT", "0"))
TEST_PORT_OFFSET = 1000 + SLOT_SHIFT  # services on 9101, 9102, 9109 in slot 0, apart from a developer's `siji up`
KAFKA_PORT, POSTGRES_PORT, THREE_BROKERS_PORT = 19092 + SLOT_SHIFT, 15432 + SLOT_SHIFT, 19192 + SLOT_SHIFT
# Every port a test listens on stays below 32768, outside Linux's ephemeral range, so no client
# connection's local port can take it first.


@dataclass(frozen=True)
class Endpoints:
    bootstrap_servers: str
    database_url: str
    stack: Infrastructure

    @property
    def kafka(self) -> KafkaConnection:
        """The brokers' super user: what a test sets up and reads with."""
        return self.stack.kafka_connection

    def connection_for(self, principal: str) -> KafkaConnection:
        return self.stack.connection_for(principal)


def test_infrastructure() -> Infrastructure:
    return Infrastructure.apart(TEST_STATE, kafka_port=KAFKA_PORT, postgres_port=POSTGRES_PORT)


def fresh_test_infrastructure() -> Infrastructure:
    stack = test_infrastructure()
    stack.down()
    shutil.rmtree(TEST_STATE, ignore_errors=True)
    return stack


def test_deployment(endpoints: Endpoints) -> Deployment:
    return Deployment(
        state_dir=TEST_STATE, bootstrap_servers=endpoints.bootstrap_servers, database_url=endpoints.database_url,
        token_secret="test-token-secret-of-at-least-32-bytes", pii_key="test-pii-key", port_offset=TEST_PORT_OFFSET,
        kafka_passwords=endpoints.stack.kafka_passwords,
        extra_env={"BANK_SIM_FAILURE_RATE": "0.03", "BANK_SIM_LATENCY_MS": "2",
                   "ELIGIBILITY_RELAY_POLL_SECONDS": "0.5", "DISBURSEMENT_RELAY_POLL_SECONDS": "0.5",
                   "DISBURSEMENT_DISPATCH_BATCH_SIZE": "40",  # several bank batches even in small campaigns
                   "AUDIT_GRACE_SECONDS": "2", "AUDIT_SWEEP_SECONDS": "1"},
    )

"""Session infrastructure for tests: external Kafka/PostgreSQL when KAFKA_BOOTSTRAP_SERVERS /
DATABASE_URL are set, otherwise the project's local launchers on test-only ports and state."""

from __future__ import annotations

from dataclasses import dataclass

from siji_cli.infra.stack import Infrastructure
from siji_cli.paths import ROOT
from siji_cli.settings import CliSettings

TEST_STATE = ROOT / ".state" / "test"


@dataclass(frozen=True)
class Endpoints:
    bootstrap_servers: str
    database_url: str


def test_infrastructure() -> Infrastructure:
    base = CliSettings()
    return Infrastructure(CliSettings(
        KAFKA_BOOTSTRAP_SERVERS=base.kafka_bootstrap_servers,
        DATABASE_URL=base.database_url,
        SIJI_STATE_DIR=TEST_STATE,
        SIJI_KAFKA_PORT=39092,
        SIJI_POSTGRES_PORT=35432,
    ))

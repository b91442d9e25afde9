"""The infrastructure a run needs: external Kafka/PostgreSQL when configured, else the local launchers."""

from __future__ import annotations

from dataclasses import dataclass

from siji_cli.infra.kafka import KafkaCluster
from siji_cli.infra.postgres import LocalPostgres
from siji_cli.settings import CliSettings
from siji_shared.kafka import KafkaConnection


@dataclass
class Infrastructure:
    settings: CliSettings

    @property
    def kafka(self) -> KafkaCluster | None:
        if self.settings.kafka_bootstrap_servers:
            return None
        return KafkaCluster(self.settings.state_dir / "kafka", base_port=self.settings.kafka_port,
                            lib_dir=self.settings.kafka_lib_dir)

    @property
    def postgres(self) -> LocalPostgres | None:
        if self.settings.database_url:
            return None
        return LocalPostgres(self.settings.state_dir / "postgres", port=self.settings.postgres_port)

    @property
    def bootstrap_servers(self) -> str:
        if self.settings.kafka_bootstrap_servers:
            return self.settings.kafka_bootstrap_servers
        assert self.kafka is not None
        return self.kafka.bootstrap_servers

    @property
    def kafka_connection(self) -> KafkaConnection:
        return KafkaConnection(self.bootstrap_servers)

    @property
    def database_url(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        assert self.postgres is not None
        return self.postgres.url

    def up(self) -> None:
        if self.postgres:
            self.postgres.start()
        if self.kafka:
            self.kafka.start()

    def down(self) -> None:
        if self.kafka:
            self.kafka.stop()
        if self.postgres:
            self.postgres.stop()

    def status(self) -> dict[str, str]:
        kafka = "external" if not self.kafka else ("running" if self.kafka.running() else "stopped")
        postgres = "external" if not self.postgres else ("running" if self.postgres.running() else "stopped")
        return {
            "kafka": f"{kafka} ({self.bootstrap_servers})",
            "postgres": f"{postgres} ({self.database_url})",
        }

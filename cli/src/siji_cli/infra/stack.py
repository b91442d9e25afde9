"""The infrastructure a run needs: external Kafka/PostgreSQL when configured, else the local launchers
(processes, or containers of the local images when SIJI_INFRA=containers)."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from pathlib import Path

from contracts.topics import all_topics
from siji_cli.infra import access
from siji_cli.infra.containers import KafkaContainers, PostgresContainer, remove_all
from siji_cli.infra.kafka import KafkaCluster
from siji_cli.infra.postgres import LocalPostgres
from siji_cli.settings import CliSettings
from siji_shared.kafka import KafkaConnection, ensure_topics


@dataclass
class Infrastructure:
    settings: CliSettings

    @classmethod
    def apart(cls, state_dir: Path, *, kafka_port: int, postgres_port: int) -> Infrastructure:
        """Infrastructure of its own (tests, bench, soak): its state folder and ports; the external Kafka
        and PostgreSQL, the jar cache and the kind (processes or containers) as configured."""
        base = CliSettings()
        return cls(CliSettings(KAFKA_BOOTSTRAP_SERVERS=base.kafka_bootstrap_servers, DATABASE_URL=base.database_url,
                               SIJI_STATE_DIR=state_dir, SIJI_INFRA=base.infra, SIJI_KAFKA_LIB_DIR=base.kafka_lib_dir,
                               SIJI_KAFKA_PORT=kafka_port, SIJI_POSTGRES_PORT=postgres_port))

    @property
    def kafka(self) -> KafkaCluster | None:
        if self.settings.kafka_bootstrap_servers:
            return None
        return self.kafka_cluster(self.settings.state_dir / "kafka", base_port=self.settings.kafka_port)

    def kafka_cluster(self, state_dir: Path, *, brokers: int = 1, base_port: int, heap: str = "512m") -> KafkaCluster:
        """A cluster of this infrastructure's kind: processes from the jars, or containers."""
        if self.containers:
            return KafkaContainers(state_dir, network=f"siji-{base_port}", brokers=brokers, base_port=base_port,
                                   heap=heap)
        return KafkaCluster(state_dir, lib_dir=self.settings.kafka_lib_dir, brokers=brokers, base_port=base_port,
                            heap=heap)

    @property
    def postgres(self) -> LocalPostgres | PostgresContainer | None:
        if self.settings.database_url:
            return None
        if self.containers:
            return PostgresContainer(self.settings.state_dir / "postgres", network=self.network,
                                     port=self.settings.postgres_port)
        return LocalPostgres(self.settings.state_dir / "postgres", port=self.settings.postgres_port)

    @property
    def containers(self) -> bool:
        return self.settings.infra == "containers"

    @property
    def network(self) -> str:
        """The Docker network of the containers: one per cluster (named after its first port), PostgreSQL
        and the services on the main cluster's."""
        return f"siji-{self.settings.kafka_port}"

    @property
    def bootstrap_servers(self) -> str:
        if self.settings.kafka_bootstrap_servers:
            return self.settings.kafka_bootstrap_servers
        assert self.kafka is not None
        return self.kafka.bootstrap_servers

    @property
    def kafka_connection(self) -> KafkaConnection:
        """The brokers' super user on the local cluster (an external one: as configured)."""
        return self.connection_for(access.ADMIN)

    def connection_for(self, principal: str) -> KafkaConnection:
        return self.kafka.connection(principal) if self.kafka else KafkaConnection(self.bootstrap_servers)

    @property
    def kafka_passwords(self) -> dict[str, str] | None:
        """The services' SCRAM passwords on the local cluster; None on an external one."""
        return self.kafka.passwords if self.kafka else None

    @property
    def database_url(self) -> str:
        if self.settings.database_url:
            return self.settings.database_url
        assert self.postgres is not None
        return self.postgres.url

    def up(self) -> None:
        """Start what is local; on the local cluster provision the users and ACLs and create every topic
        (the services may not: each only writes and reads its own)."""
        if self.postgres:
            self.postgres.start()
        if self.kafka:
            self.kafka.start()
            self.kafka.provision()
        asyncio.run(ensure_topics(self.kafka_connection, all_topics()))

    def down(self) -> None:
        if self.kafka:
            self.kafka.stop()
        if self.postgres:
            self.postgres.stop()
        if self.containers:
            remove_all(self.settings.state_dir)

    def status(self) -> dict[str, str]:
        kafka = "external" if not self.kafka else ("running" if self.kafka.running() else "stopped")
        postgres = "external" if not self.postgres else ("running" if self.postgres.running() else "stopped")
        return {
            "kafka": f"{kafka} ({self.bootstrap_servers})",
            "postgres": f"{postgres} ({re.sub(r':[^:@/]+@', ':***@', self.database_url)})",
        }

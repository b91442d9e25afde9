"""Apache Kafka 4.x in KRaft mode from the official broker jars, resolved once by Maven.

`KafkaCluster(state_dir, brokers=3)` runs that many combined broker+controller nodes on loopback,
each with its own data folder under `state_dir`, so fault tests can stop one of them. Clients (and the
brokers among themselves) authenticate with SASL/SCRAM-SHA-512 and the KRaft standard authorizer
decides what each principal may do (no ACL: no access); the super user `admin` is written into the
metadata when the storage is formatted, and `access.provision` adds the services' users and ACLs. The
controller listener is plaintext on loopback only (the brokers' own quorum traffic).
"""

from __future__ import annotations

import base64
import logging
import shutil
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from siji_cli.infra import access, processes
from siji_cli.paths import DEPLOY_DIR
from siji_shared.kafka import KafkaConnection

POM = DEPLOY_DIR / "kafka" / "pom.xml"
LOG4J = DEPLOY_DIR / "kafka" / "log4j2.yaml"


def ensure_jars(lib_dir: Path) -> Path:
    """Copy the broker's runtime classpath into `lib_dir` unless a complete copy is there already."""
    marker = lib_dir / ".complete"
    if marker.exists() and marker.read_text() == POM.read_text():
        return lib_dir
    if shutil.which("mvn") is None:
        raise RuntimeError("Maven (mvn) is needed once to fetch the Kafka broker jars")
    shutil.rmtree(lib_dir, ignore_errors=True)
    subprocess.run(
        ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
         f"-DoutputDirectory={lib_dir}", "-DincludeScope=runtime"],
        check=True,
    )
    marker.write_text(POM.read_text())
    return lib_dir


@dataclass(frozen=True)
class KafkaNode:
    node_id: int
    broker_port: int
    controller_port: int
    data_dir: Path

    @property
    def pid_file(self) -> Path:
        return self.data_dir.parent / f"node-{self.node_id}.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir.parent / f"node-{self.node_id}.log"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.broker_port}"


class KafkaCluster:
    def __init__(self, state_dir: Path, *, lib_dir: Path, brokers: int = 1, base_port: int = 29092,
                 heap: str = "512m") -> None:
        self.state_dir = state_dir
        self.lib_dir = lib_dir
        self.heap = heap
        self.nodes = [
            KafkaNode(i + 1, base_port + 2 * i, base_port + 2 * i + 1, state_dir / f"node-{i + 1}")
            for i in range(brokers)
        ]

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(node.address for node in self.nodes)

    @property
    def passwords(self) -> dict[str, str]:
        return access.credentials(self.state_dir / "credentials.json")

    def connection(self, principal: str = access.ADMIN) -> KafkaConnection:
        """How `principal` reaches this cluster."""
        return KafkaConnection(self.bootstrap_servers, security_protocol="SASL_PLAINTEXT",
                               sasl_mechanism=access.SCRAM, username=principal,
                               password=SecretStr(self.passwords[principal]))

    def provision(self) -> None:
        access.provision(self.bootstrap_servers, self.passwords)

    def start(self, *, timeout: float = 90.0) -> None:
        self._prepare()
        try:
            for node in self.nodes:
                self.start_node(node)
            self._wait_until_answering(timeout)
        except BaseException:
            self.stop(kill=True)  # leave no half-started broker behind
            raise

    def _prepare(self) -> None:
        ensure_jars(self.lib_dir)
        self._format_once()

    def _wait_until_answering(self, timeout: float) -> None:
        processes.wait_until(self._answers, timeout=timeout, what="Kafka", log_file=self.nodes[0].log_file)

    def start_node(self, node: KafkaNode) -> None:
        if processes.read_pid(node.pid_file) is not None:
            return
        processes.start_detached(
            ["java", f"-Xmx{self.heap}", "-Xms128m", "-XX:+UseG1GC", "-Djava.awt.headless=true",
             f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{self.lib_dir}/*", "kafka.Kafka",
             str(self._config_file(node))],
            log_file=node.log_file, pid_file=node.pid_file,
        )

    def stop_node(self, node: KafkaNode, *, kill: bool = False) -> None:
        processes.stop(node.pid_file, timeout=60.0, sig=signal.SIGKILL if kill else signal.SIGTERM)

    def stop(self, *, kill: bool = False) -> None:
        for node in reversed(self.nodes):
            self.stop_node(node, kill=kill)

    def running(self) -> list[KafkaNode]:
        return [node for node in self.nodes if processes.read_pid(node.pid_file) is not None]

    def _answers(self) -> bool:
        for node in self.nodes:
            try:
                with socket.create_connection(("127.0.0.1", node.broker_port), timeout=1):
                    pass
            except OSError:
                return False
        return metadata_shows_brokers(self.connection(), len(self.nodes))

    def _format_once(self) -> None:
        cluster_id = self._cluster_id()
        for node in self.nodes:
            if (node.data_dir / "meta.properties").exists():
                continue
            subprocess.run(
                ["java", f"-Dlog4j2.configurationFile={LOG4J}", "-cp", f"{self.lib_dir}/*",
                 "kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}",  # an id may start with "-"
                 "-c", str(self._config_file(node)),
                 "--add-scram", f"{access.SCRAM}=[name={access.ADMIN},password={self.passwords[access.ADMIN]}]"],
                check=True, stdout=subprocess.DEVNULL,
            )

    def _cluster_id(self) -> str:
        cluster_id_file = self.state_dir / "cluster.id"
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if not cluster_id_file.exists():
            cluster_id_file.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
        return cluster_id_file.read_text().strip()

    def _config_file(self, node: KafkaNode) -> Path:
        replicas = min(3, len(self.nodes))
        config = {
            "process.roles": "broker,controller",
            "node.id": node.node_id,
            **self._listeners(node),
            "controller.listener.names": "CONTROLLER",
            "sasl.enabled.mechanisms": access.SCRAM,
            "sasl.mechanism.inter.broker.protocol": access.SCRAM,
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "allow.everyone.if.no.acl.found": "false",
            # the brokers' quorum traffic on the controller listener carries no credentials
            "super.users": f"User:{access.ADMIN};User:ANONYMOUS",
            "log.dirs": self._data_dir(node),
            "auto.create.topics.enable": "false",
            "num.partitions": 3,
            "default.replication.factor": replicas,
            "min.insync.replicas": max(1, replicas - 1),
            "offsets.topic.replication.factor": replicas,
            "transaction.state.log.replication.factor": replicas,
            "transaction.state.log.min.isr": max(1, replicas - 1),
            "group.initial.rebalance.delay.ms": 0,
            "log.retention.hours": 168,
        }
        path = self.state_dir / f"node-{node.node_id}.properties"
        path.write_text("".join(f"{key}={value}\n" for key, value in config.items()))
        return path

    def _listeners(self, node: KafkaNode) -> dict[str, object]:
        """One SASL listener for clients and brokers on loopback, the controller listener beside it."""
        return {
            "controller.quorum.voters": ",".join(f"{n.node_id}@127.0.0.1:{n.controller_port}" for n in self.nodes),
            "listeners": f"SASL_PLAINTEXT://127.0.0.1:{node.broker_port},CONTROLLER://127.0.0.1:{node.controller_port}",
            "advertised.listeners": f"SASL_PLAINTEXT://127.0.0.1:{node.broker_port}",
            "listener.security.protocol.map": "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": self._jaas(),
        }

    def _jaas(self) -> str:
        return ("org.apache.kafka.common.security.scram.ScramLoginModule required "
                f'username="{access.ADMIN}" password="{self.passwords[access.ADMIN]}";')

    def _data_dir(self, node: KafkaNode) -> str:
        return str(node.data_dir)


def metadata_shows_brokers(kafka: KafkaConnection, expected: int) -> bool:
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    async def count() -> int:
        admin = AIOKafkaAdminClient(**kafka.client_kwargs(), request_timeout_ms=3000)
        try:
            await admin.start()
            cluster = await admin.describe_cluster()
            return len(cluster["brokers"])
        finally:
            await admin.close()

    quiet = logging.getLogger("aiokafka")
    level, quiet.level = quiet.level, logging.CRITICAL  # a broker still starting is expected here, not an error
    try:
        return asyncio.run(count()) >= expected
    except Exception:  # noqa: BLE001 - any failure means "not ready yet"
        return False
    finally:
        quiet.setLevel(level)

"""Kafka, PostgreSQL and the services as containers of the local images (`siji images build`), started with
testcontainers behind the same interface as the local launchers: `Infrastructure` picks them when
SIJI_INFRA=containers. Each container is named after its published port, so a later process (`siji down`,
the next test session) finds it again, and carries the label `siji.state` (the state folder it belongs
to): testcontainers' reaper is off (TESTCONTAINERS_RYUK_DISABLED=true: no registry to pull it from), and
what a run leaves behind is removed by that label. All of one stack share a Docker network, on which the
brokers are kafka-1…N, PostgreSQL is postgres and each service answers on its own name."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from siji_cli.infra import images, processes
from siji_cli.infra.kafka import KafkaCluster, KafkaNode
from siji_cli.infra.postgres import DATABASE
from siji_cli.services import Deployment, ServiceSpec

LABEL = "siji.state"
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")  # read when testcontainers is imported
INTERNAL_PORT = 9092  # the brokers' listener for containers on the network
CONTROLLER_PORT = 9093


def _docker() -> Any:
    import docker  # type: ignore[import-untyped]

    return docker.from_env()


def _container(name: str) -> Any | None:
    import docker.errors  # type: ignore[import-untyped]

    try:
        return _docker().containers.get(name)
    except docker.errors.NotFound:
        return None


def _network(name: str, state_dir: Path) -> Any:
    """The stack's network, made once; an object testcontainers takes for `with_network`."""
    from testcontainers.core.network import Network

    client = _docker()
    if not client.networks.list(names=[name]):
        client.networks.create(name, labels={LABEL: str(state_dir)})
    network = Network()
    network.name = name
    return network


def _run(image: str, name: str, state_dir: Path, network: str, alias: str, *, ports: dict[int, int],
         env: dict[str, str], command: list[str] | None = None, volumes: dict[Path, str] | None = None,
         **options: Any) -> None:
    """Start the container `name`: again if it is stopped, else created from `image`."""
    from testcontainers.core.container import DockerContainer

    existing = _container(name)
    if existing is not None:
        if existing.status != "running":
            existing.start()
        return
    if not images.image_exists(image):
        raise RuntimeError(f"no image {image} on this machine: build the images first (`make images`)")
    container = (DockerContainer(image).with_name(name).with_network(_network(network, state_dir))
                 .with_network_aliases(alias).with_envs(**env)
                 .with_kwargs(labels={LABEL: str(state_dir)}, **options))
    for inside, outside in ports.items():
        container = container.with_bind_ports(inside, outside)
    for host_path, inside_path in (volumes or {}).items():
        container = container.with_volume_mapping(str(host_path), inside_path, "ro")
    if command:
        container = container.with_command(command)
    container.start()


def _remove(name: str, *, kill: bool = False) -> bool:
    container = _container(name)
    if container is None:
        return False
    if kill:
        container.kill()
    container.remove(force=True)
    return True


def _is_running(name: str) -> bool:
    container = _container(name)
    return container is not None and container.status == "running"


def _logs(name: str, lines: int = 40) -> str:
    container = _container(name)
    return container.logs(tail=lines).decode(errors="replace") if container is not None else ""


def _wait_until(check: Callable[[], bool], *, timeout: float, what: str, container: str) -> None:
    """`processes.wait_until`, with the container's last log lines when it times out."""
    try:
        processes.wait_until(check, timeout=timeout, what=what)
    except TimeoutError as timed_out:
        raise TimeoutError(f"{timed_out}\n{_logs(container)}") from None


def remove_all(state_dir: Path) -> None:
    """Every container and network labelled with `state_dir` or a folder in it: what a run (or a killed
    one) left."""
    client = _docker()

    def ours(labels: dict[str, str]) -> bool:
        return Path(labels.get(LABEL, "/")).is_relative_to(state_dir)

    for container in client.containers.list(all=True, filters={"label": LABEL}):
        if ours(container.labels):
            container.remove(force=True)
    for network in client.networks.list(filters={"label": LABEL}):
        if ours(network.attrs.get("Labels") or {}):
            network.remove()


class KafkaContainers(KafkaCluster):
    """`KafkaCluster`'s brokers as containers of the siji-kafka image: node N answers clients on this
    machine at 127.0.0.1:<its port> (published as the same port) and containers at kafka-N:9092."""

    def __init__(self, state_dir: Path, *, network: str, brokers: int = 1, base_port: int = 29092,
                 heap: str = "512m") -> None:
        super().__init__(state_dir, lib_dir=Path("/opt/kafka/libs"), brokers=brokers, base_port=base_port, heap=heap)
        self.network = network

    @property
    def internal_bootstrap_servers(self) -> str:
        return ",".join(f"kafka-{node.node_id}:{INTERNAL_PORT}" for node in self.nodes)

    def container_name(self, node: KafkaNode) -> str:
        return f"siji-kafka-{node.broker_port}"

    def _prepare(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)  # the image formats each node's storage itself

    def _wait_until_answering(self, timeout: float) -> None:
        _wait_until(self._answers, timeout=timeout, what="Kafka (containers)", container=self.container_name(self.nodes[0]))

    def start_node(self, node: KafkaNode) -> None:
        config = self._config_file(node)
        config.chmod(0o644)  # read by the image's kafka user
        _run(images.KAFKA, self.container_name(node), self.state_dir, self.network, f"kafka-{node.node_id}",
             ports={node.broker_port: node.broker_port}, volumes={config: "/etc/kafka/server.properties"},
             env={"KAFKA_CLUSTER_ID": self._cluster_id(), "KAFKA_ADMIN_PASSWORD": self.passwords["admin"],
                  "KAFKA_HEAP": self.heap})

    def stop_node(self, node: KafkaNode, *, kill: bool = False) -> None:
        """Stopped, not removed: `start_node` starts it again on its own data."""
        container = _container(self.container_name(node))
        if container is not None and container.status == "running":
            container.kill() if kill else container.stop(timeout=60)

    def stop(self, *, kill: bool = False) -> None:
        for node in reversed(self.nodes):
            _remove(self.container_name(node), kill=kill and _is_running(self.container_name(node)))

    def running(self) -> list[KafkaNode]:
        return [node for node in self.nodes if _is_running(self.container_name(node))]

    def _listeners(self, node: KafkaNode) -> dict[str, object]:
        """INTERNAL for the brokers and the containers beside them, EXTERNAL for this machine's clients."""
        return {
            "controller.quorum.voters": ",".join(f"{n.node_id}@kafka-{n.node_id}:{CONTROLLER_PORT}" for n in self.nodes),
            "listeners": f"INTERNAL://0.0.0.0:{INTERNAL_PORT},EXTERNAL://0.0.0.0:{node.broker_port},"
                         f"CONTROLLER://0.0.0.0:{CONTROLLER_PORT}",
            "advertised.listeners": f"INTERNAL://kafka-{node.node_id}:{INTERNAL_PORT},"
                                    f"EXTERNAL://127.0.0.1:{node.broker_port}",
            "listener.security.protocol.map": "INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT",
            "inter.broker.listener.name": "INTERNAL",
            "listener.name.internal.scram-sha-512.sasl.jaas.config": self._jaas(),
            "listener.name.external.scram-sha-512.sasl.jaas.config": self._jaas(),
        }

    def _data_dir(self, node: KafkaNode) -> str:
        return "/var/lib/kafka/data"


class PostgresContainer:
    """PostgreSQL of the siji-postgres image: at 127.0.0.1:<port> here and postgres:5432 on the network; its
    super user's password is made once and kept in the state folder."""

    def __init__(self, state_dir: Path, *, network: str, port: int = 25432) -> None:
        self.state_dir = state_dir
        self.network = network
        self.port = port
        self.name = f"siji-postgres-{port}"

    @property
    def password(self) -> str:
        path = self.state_dir / "password"
        if not path.exists():
            self.state_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(24))
            path.chmod(0o600)
        return path.read_text().strip()

    @property
    def url(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def internal_url(self) -> str:
        return f"postgresql://postgres:{self.password}@postgres:5432/{DATABASE}"

    def start(self, *, timeout: float = 90.0) -> None:
        _run(images.POSTGRES, self.name, self.state_dir, self.network, "postgres", ports={5432: self.port},
             env={"POSTGRES_PASSWORD": self.password, "POSTGRES_DB": DATABASE}, shm_size="256m")
        _wait_until(self._accepts, timeout=timeout, what="PostgreSQL (container)", container=self.name)

    def stop(self) -> None:
        _remove(self.name)

    def running(self) -> bool:
        return _is_running(self.name)

    def _accepts(self) -> bool:
        container = _container(self.name)
        if container is None or container.status != "running":
            return False
        exit_code, _ = container.exec_run(["pg_isready", "-q", "-h", "127.0.0.1", "-d", DATABASE])
        return exit_code == 0 and _port_answers(self.port)


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class ServiceContainers(Deployment):
    """The services and the bank simulator as containers of the siji and siji-bank images on `network`,
    each publishing its port at port + port_offset here (what `url` gives this machine's clients); they
    reach Kafka, PostgreSQL and each other by their names on the network."""

    network: str = "siji"
    internal_bootstrap_servers: str = ""
    internal_database_url: str = ""

    def container_name(self, name: str, instance: int = 0) -> str:
        return f"siji-{name.replace('_', '-')}-{self.port(name, instance)}"

    def internal_url(self, name: str) -> str:
        return f"http://{name.replace('_', '-')}:{self.spec(name).port}"

    def container_env(self, spec: ServiceSpec) -> dict[str, str]:
        env = self.settings_env(spec, url=self.internal_url, bootstrap_servers=self.internal_bootstrap_servers,
                                database_url=self.internal_database_url, port=spec.port)
        return {**env, f"{spec.env_prefix}HTTP_HOST": "0.0.0.0"}

    def start(self, name: str, *, instance: int = 0, timeout: float = 120.0) -> None:
        spec = self.spec(name)
        _run(images.BANK if name == "bank_sim" else images.SIJI, self.container_name(name, instance),
             self.state_dir, self.network, name.replace("_", "-"), ports={spec.port: self.port(name, instance)},
             env=self.container_env(spec), command=[spec.module])
        _wait_until(lambda: self.healthy(name, instance), timeout=timeout, what=name,
                    container=self.container_name(name, instance))

    def stop(self, name: str, *, instance: int = 0, kill: bool = False) -> bool:
        return _remove(self.container_name(name, instance), kill=kill)

    def running(self, name: str, instance: int = 0) -> bool:
        return _is_running(self.container_name(name, instance))

    def exit_report(self, name: str, instance: int = 0) -> str:
        return f"its log:\n{_logs(self.container_name(name, instance))}"

"""The Siji services as background processes: env, ports, logs in files, health checks."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from siji_cli.infra import processes


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    env_prefix: str
    port: int
    uses_infra: bool = True


SERVICES = (
    ServiceSpec("bank_sim", "bank_sim", "BANK_SIM_", 8109, uses_infra=False),
    ServiceSpec("eligibility", "eligibility", "ELIGIBILITY_", 8101),
    ServiceSpec("disbursement", "disbursement", "DISBURSEMENT_", 8102),
    ServiceSpec("reconciliation", "reconciliation", "RECONCILIATION_", 8103),
    ServiceSpec("loans", "loans", "LOANS_", 8104),
    ServiceSpec("cooling", "cooling", "COOLING_", 8105),
    ServiceSpec("audit", "audit", "AUDIT_", 8106),
    ServiceSpec("console", "console", "CONSOLE_", 8107, uses_infra=False),
)


INSTANCE_PORT_STEP = 20
MAX_INSTANCES = 4


def _instance_name(name: str, instance: int) -> str:
    return f"{name}-{instance}" if instance else name


@dataclass
class Deployment:
    """Where the services run and what they connect to. Tests make one with their own ports."""

    state_dir: Path
    bootstrap_servers: str
    database_url: str
    token_secret: str
    pii_key: str
    port_offset: int = 0
    extra_env: dict[str, str] | None = None
    kafka_passwords: dict[str, str] | None = None  # each service's SCRAM password on an authenticated cluster

    def port(self, name: str, instance: int = 0) -> int:
        """A second instance of a service (instance 1) listens INSTANCE_PORT_STEP above the first."""
        return self.spec(name).port + self.port_offset + INSTANCE_PORT_STEP * instance

    def url(self, name: str, instance: int = 0) -> str:
        return f"http://127.0.0.1:{self.port(name, instance)}"

    def spec(self, name: str) -> ServiceSpec:
        return next(s for s in SERVICES if s.name == name)

    def pid_file(self, name: str, instance: int = 0) -> Path:
        return self.state_dir / "run" / f"{_instance_name(name, instance)}.pid"

    def log_file(self, name: str, instance: int = 0) -> Path:
        return self.state_dir / "logs" / f"{_instance_name(name, instance)}.log"

    def running(self, name: str, instance: int = 0) -> bool:
        return processes.read_pid(self.pid_file(name, instance)) is not None

    def exit_report(self, name: str, instance: int = 0) -> str:
        """Where to see why an instance exited."""
        return f"see {self.log_file(name, instance)}"

    def instances(self, name: str) -> list[int]:
        """The instances of `name` this deployment started that are running."""
        return [i for i in range(MAX_INSTANCES) if self.running(name, i)]

    def env(self, spec: ServiceSpec, instance: int = 0) -> dict[str, str]:
        return {**os.environ,
                "BANK_SIM_JOURNAL": str(self.state_dir / "bank_sim.journal"),
                "BANK_SIM_STATEMENTS_DIR": str(self.state_dir / "bank_statements"),
                **self.settings_env(spec, url=self.url, bootstrap_servers=self.bootstrap_servers,
                                    database_url=self.database_url, port=self.port(spec.name, instance))}

    def settings_env(self, spec: ServiceSpec, *, url: Callable[[str], str], bootstrap_servers: str,
                     database_url: str, port: int) -> dict[str, str]:
        """The service's settings: where it listens, what it connects to (the other services at `url`)."""
        p = spec.env_prefix
        env = {f"{p}HTTP_PORT": str(port), f"{p}LOG_FORMAT": "json"}
        if spec.uses_infra:
            env.update({
                f"{p}DATABASE_URL": database_url,
                f"{p}KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
                f"{p}TOKEN_SECRET": self.token_secret,
                f"{p}PII_KEY": self.pii_key,
            })
            if self.kafka_passwords:
                env.update({f"{p}KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT", f"{p}KAFKA_USERNAME": spec.name,
                            f"{p}KAFKA_PASSWORD": self.kafka_passwords[spec.name]})
        env.update({"DISBURSEMENT_BANK_URL": url("bank_sim"), "RECONCILIATION_BANK_URL": url("bank_sim"),
                    "LOANS_BANK_URL": url("bank_sim"),
                    "CONSOLE_ELIGIBILITY_URL": url("eligibility"), "CONSOLE_DISBURSEMENT_URL": url("disbursement"),
                    "CONSOLE_RECONCILIATION_URL": url("reconciliation"), "CONSOLE_LOANS_URL": url("loans"),
                    "CONSOLE_COOLING_URL": url("cooling"), "CONSOLE_AUDIT_URL": url("audit")})
        env.update(self.extra_env or {})
        return env

    def start(self, name: str, *, instance: int = 0, timeout: float = 60.0) -> None:
        """Start `name` (another instance of it beside the first when `instance` > 0: the bank simulator
        keeps one journal and has none) and wait until it is healthy."""
        spec = self.spec(name)
        if instance and not spec.uses_infra:
            raise ValueError(f"{name} runs as one instance only")
        if not self.running(name, instance):
            port = self.port(name, instance)
            if not processes.port_free(port):  # else its /health would pass for ours: a stale run's process
                raise RuntimeError(f"{name}: port {port} is taken by another process (one left by an earlier run?); "
                                   f"stop it first")
            processes.start_detached([sys.executable, "-P", "-m", spec.module], log_file=self.log_file(name, instance),
                                     pid_file=self.pid_file(name, instance), env=self.env(spec, instance))
        processes.wait_until(lambda: self.healthy(name, instance), timeout=timeout, what=name,
                             log_file=self.log_file(name, instance))

    def stop(self, name: str, *, instance: int = 0, kill: bool = False) -> bool:
        return processes.stop(self.pid_file(name, instance), timeout=20.0,
                              sig=signal.SIGKILL if kill else signal.SIGTERM)

    def start_all(self) -> None:
        for spec in SERVICES:
            self.start(spec.name)

    def stop_all(self) -> None:
        for spec in reversed(SERVICES):
            for instance in reversed(self.instances(spec.name)):
                self.stop(spec.name, instance=instance)

    def healthy(self, name: str, instance: int = 0) -> bool:
        if not self.running(name, instance):
            raise RuntimeError(f"{name} exited; {self.exit_report(name, instance)}")
        try:
            return httpx.get(f"{self.url(name, instance)}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def status(self) -> dict[str, str]:
        return {s.name: ("running" if self.running(s.name) else "stopped") + f" ({self.url(s.name)})" for s in SERVICES}

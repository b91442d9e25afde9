"""The Strimzi resources that follow from the code, so the cluster on Kubernetes never drifts from it: a
KafkaTopic per topic and dead-letter twin (`contracts.topics`) and a KafkaUser per principal with exactly the
ACLs `access.grants()` gives. `make docs` writes them to deploy/k8s/kafka/ (`python -P -m
siji_cli.infra.strimzi deploy/k8s/kafka`); tests/unit/test_deploy_manifests.py fails when the committed files
are stale. The Kafka cluster itself is deploy/k8s/kafka/kafka.yaml."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType

from contracts.topics import all_topics
from siji_cli.infra.access import CONSUMES, Grant, grants, principals

API_VERSION = "kafka.strimzi.io/v1beta2"
CLUSTER = "siji"  # the Kafka resource's name: each topic and user carries it as its strimzi.io/cluster label
PARTITIONS = 6  # as siji_shared.kafka.ensure_topics creates them locally (the test holds the two together)
REPLICAS = 3
HEADER = ("# Generated from {source} by `make docs` (siji_cli.infra.strimzi): do not edit,\n"
          "# change the code and regenerate.\n")

_RESOURCE_TYPES = {ResourceType.TOPIC: "topic", ResourceType.GROUP: "group",
                   ResourceType.TRANSACTIONAL_ID: "transactionalId", ResourceType.BROKER: "cluster"}
_PATTERNS = {ResourcePatternType.LITERAL: "literal", ResourcePatternType.PREFIXED: "prefix"}


def service_secret(service: str) -> str:
    """The Secret that holds a service's own settings (deploy/k8s/production): its KAFKA_PASSWORD is the
    password Strimzi gives the service's user, so the two cannot disagree."""
    return f"siji-{service}"


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "labels": {"strimzi.io/cluster": CLUSTER}}


def topic(name: str) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "KafkaTopic", "metadata": _metadata(name),
            "spec": {"partitions": PARTITIONS, "replicas": REPLICAS}}


def _operation(operation: AclOperation) -> str:
    return "".join(word.capitalize() for word in operation.name.split("_"))  # IDEMPOTENT_WRITE: IdempotentWrite


def _acls(granted: list[Grant]) -> list[dict[str, Any]]:
    """One rule per resource, with its operations, in the order the policy grants them."""
    rules: dict[tuple[ResourceType, str, ResourcePatternType], list[str]] = {}
    for grant in granted:
        rules.setdefault((grant.resource, grant.name, grant.pattern), []).append(_operation(grant.operation))
    out = []
    for (resource, name, pattern), operations in rules.items():
        target: dict[str, str] = {"type": _RESOURCE_TYPES[resource]}
        if resource != ResourceType.BROKER:  # the cluster resource has no name in Strimzi
            target.update(name=name, patternType=_PATTERNS[pattern])
        out.append({"resource": target, "operations": operations})
    return out


def user(principal: str) -> dict[str, Any]:
    """A service's password comes from its own Secret; the auditor's and the operator's are made by Strimzi's
    User Operator (in the Secret named after the user)."""
    authentication: dict[str, Any] = {"type": "scram-sha-512"}
    if principal in CONSUMES:
        authentication["password"] = {"valueFrom": {"secretKeyRef": {"name": service_secret(principal),
                                                                     "key": "KAFKA_PASSWORD"}}}
    return {"apiVersion": API_VERSION, "kind": "KafkaUser", "metadata": _metadata(principal),
            "spec": {"authentication": authentication,
                     "authorization": {"type": "simple",
                                       "acls": _acls([g for g in grants() if g.principal == principal])}}}


class _Dumper(yaml.SafeDumper):
    """Block lists indented under their key, as the hand-written manifests have them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _documents(header: str, resources: list[dict[str, Any]]) -> str:
    return header + yaml.dump_all(resources, Dumper=_Dumper, sort_keys=False, explicit_start=True, width=120,
                                  default_flow_style=None)


def generated() -> dict[str, str]:
    """Every file `make docs` writes, by its name under deploy/k8s/kafka/."""
    return {
        "topics.yaml": _documents(HEADER.format(source="contracts/src/contracts/topics.py"),
                                  [topic(name) for name in all_topics()]),
        "users.yaml": _documents(HEADER.format(source="cli/src/siji_cli/infra/access.py"),
                                 [user(principal) for principal in principals()]),
    }


def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in generated().items():
        (directory / name).write_text(text)
        print(f"wrote {directory / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))

"""Who may do what on Kafka: each service is its own SCRAM principal that may write only the topics it
owns (and the dead-letter twins of what it consumes) and read only what it consumes; the auditors read
everything; the operator re-drives dead letters; `admin` (the brokers' super user) provisions. The policy
is this module's tables; `provision` applies it to a running cluster (users and ACLs, idempotently), and
`deploy/README.md` shows it for production."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from confluent_kafka.admin import (
    AclBinding,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialAlteration,
    UserScramCredentialUpsertion,
)

from contracts.topics import Topic, all_topics, dead_letter_of

ADMIN = "admin"
SCRAM = "SCRAM-SHA-512"
ITERATIONS = 8192

# the topics each service consumes (the services' handlers.register say the same)
CONSUMES: dict[str, tuple[Topic, ...]] = {
    "eligibility": (Topic.DISBURSEMENT_PAYMENTS,),
    "disbursement": (Topic.ELIGIBILITY_CASES, Topic.LOANS_SUBSIDIES, Topic.RECONCILIATION_ITEMS),
    "reconciliation": (Topic.DISBURSEMENT_PAYMENTS,),
    "loans": (Topic.ELIGIBILITY_CASES, Topic.DISBURSEMENT_BUDGETS, Topic.DISBURSEMENT_PAYMENTS),
    "cooling": (Topic.ELIGIBILITY_CASES,),
    "audit": (Topic.ELIGIBILITY_CASES, Topic.LOANS_SUBSIDIES, Topic.LOANS_LOANS, Topic.DISBURSEMENT_PAYMENTS,
              Topic.DISBURSEMENT_BUDGETS, Topic.COOLING_HANDOUTS),
}
# what a service reads without consuming it: audit's GET /cases/{id}/trail reads the assessments too (a case's
# registration and every assessment), besides the case, loan and payment topics its consumers read
READS: dict[str, tuple[Topic, ...]] = {"audit": (Topic.ELIGIBILITY_ASSESSMENTS,)}
AUDITOR, OPERATOR = "siji-auditor", "siji-operator"


@dataclass(frozen=True)
class Grant:
    principal: str
    resource: ResourceType
    name: str
    operation: AclOperation
    pattern: ResourcePatternType = ResourcePatternType.LITERAL


def owned(service: str) -> list[str]:
    return [t.value for t in Topic if t.value.split(".")[0] == service]


def grants() -> list[Grant]:
    """The whole policy, as ACL bindings."""
    out: list[Grant] = []
    for service, consumed in CONSUMES.items():
        writes = [*owned(service), *(dead_letter_of(t.value) for t in consumed)]
        reads = [t.value for t in (*consumed, *READS.get(service, ()))]
        out += [Grant(service, ResourceType.TOPIC, t, op) for t in writes
                for op in (AclOperation.WRITE, AclOperation.DESCRIBE)]
        out += [Grant(service, ResourceType.TOPIC, t, op) for t in reads
                for op in (AclOperation.READ, AclOperation.DESCRIBE)]
        out += [Grant(service, ResourceType.GROUP, service, AclOperation.READ),
                Grant(service, ResourceType.TRANSACTIONAL_ID, service, AclOperation.WRITE, ResourcePatternType.PREFIXED),
                Grant(service, ResourceType.BROKER, "kafka-cluster", AclOperation.IDEMPOTENT_WRITE),
                Grant(service, ResourceType.BROKER, "kafka-cluster", AclOperation.DESCRIBE)]
    out += [Grant(AUDITOR, ResourceType.TOPIC, t, op) for t in all_topics()
            for op in (AclOperation.READ, AclOperation.DESCRIBE)]
    out += [Grant(OPERATOR, ResourceType.TOPIC, t, op) for t in all_topics()
            for op in ((AclOperation.READ, AclOperation.DESCRIBE) if t.endswith(".dlt")
                       else (AclOperation.WRITE, AclOperation.DESCRIBE))]
    out += [Grant(OPERATOR, ResourceType.GROUP, "siji-redrive", AclOperation.READ, ResourcePatternType.PREFIXED),
            Grant(OPERATOR, ResourceType.BROKER, "kafka-cluster", AclOperation.IDEMPOTENT_WRITE)]
    return out


def principals() -> list[str]:
    return [*CONSUMES, AUDITOR, OPERATOR]


def password_variable(principal: str) -> str:
    """Where `siji infra provision` reads `principal`'s password (deploy/compose.yaml gives them): the variable the
    service reads its own from (ELIGIBILITY_KAFKA_PASSWORD), SIJI_AUDITOR_KAFKA_PASSWORD, ADMIN_KAFKA_PASSWORD."""
    return f"{principal.upper().replace('-', '_')}_KAFKA_PASSWORD"


def credentials(path: Path) -> dict[str, str]:
    """Every principal's password, made once and kept in the local state (mode 600)."""
    known = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in (ADMIN, *principals()) if name not in known]
    if missing:
        known.update({name: secrets.token_urlsafe(24) for name in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(known, indent=2))
        path.chmod(0o600)
    return known


def provision(bootstrap: str, passwords: dict[str, str], *, timeout: float = 30.0) -> None:
    """Users and ACLs on a running cluster, as its super user; applying it again changes nothing."""
    admin = AdminClient({"bootstrap.servers": bootstrap, "security.protocol": "SASL_PLAINTEXT",
                         "sasl.mechanism": SCRAM, "sasl.username": ADMIN, "sasl.password": passwords[ADMIN]})
    users: list[UserScramCredentialAlteration] = [UserScramCredentialUpsertion(name, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, ITERATIONS),
                                          passwords[name].encode()) for name in principals()]
    for future in admin.alter_user_scram_credentials(users).values():
        future.result(timeout)
    bindings = [AclBinding(g.resource, g.name, g.pattern, f"User:{g.principal}", "*", g.operation,
                           AclPermissionType.ALLOW) for g in grants()]
    for future in admin.create_acls(bindings).values():
        future.result(timeout)

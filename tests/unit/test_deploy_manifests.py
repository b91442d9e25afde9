"""The deployment manifests hold together, offline. Every manifest the kustomizations under deploy/k8s list is loaded
(kustomize is not needed: the loader follows `resources:`), the built-in kinds validate against the Kubernetes API
schemas (kubernetes-validate, strict), and what it has no schema for, the Strimzi and CloudNativePG resources, is
checked here fact by fact: the brokers, replication, authentication, every topic, each principal's ACLs exactly as
access.grants() gives them, PostgreSQL's instances and connection budget. The Strimzi topics and users are generated
from the code and must be current. deploy/compose.yaml is checked for its structure (Docker compose is not run here)."""

import inspect
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from confluent_kafka.admin import AclOperation, ResourcePatternType, ResourceType
from typer.testing import CliRunner

from contracts.topics import all_topics
from siji_cli import main
from siji_cli.infra import access, images, strimzi
from siji_cli.services import SERVICES, Deployment, ServiceSpec
from siji_shared.kafka import ensure_topics
from siji_shared.settings import ServiceSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")  # the oldest Strimzi 0.51 runs on, the newest kubernetes-validate knows
CUSTOM_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io")


def render(directory: Path) -> list[tuple[Path, dict]]:
    """The resources a kustomization lists, following `resources:` into files and into other kustomizations
    (kustomize's transformations, namespace, labels, images, patches, are left out)."""
    listed = yaml.safe_load((directory / "kustomization.yaml").read_text())["resources"]
    out: list[tuple[Path, dict]] = []
    for entry in listed:
        path = (directory / entry).resolve()
        out += render(path) if path.is_dir() else [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return out


PRODUCTION = [doc for _, doc in render(K8S)]
STAGING = render(K8S / "staging")
INFRA_SERVICES = [spec for spec in SERVICES if spec.uses_infra]  # a schema and a Kafka principal each
DEPLOYED = [spec for spec in SERVICES if spec.name != "bank_sim"]  # the simulator is staging's only


def of_kind(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for doc in PRODUCTION if doc["kind"] == kind}


def only(kind: str) -> dict:
    (resource,) = of_kind(kind).values()
    return resource


def is_custom(doc: dict) -> bool:
    return doc["apiVersion"].split("/")[0] in CUSTOM_GROUPS


# --- the kustomizations -------------------------------------------------------------------------------------------

def test_every_manifest_is_applied_by_a_kustomization():
    manifests = {path for path in K8S.rglob("*.yaml") if path.name != "kustomization.yaml"}
    assert {path for path, _ in STAGING} == manifests


def test_production_is_staging_without_the_bank_simulator():
    def names(docs):
        return sorted((doc["kind"], doc["metadata"]["name"]) for doc in docs)

    assert names(PRODUCTION) == names(doc for _, doc in STAGING if not doc["metadata"]["name"].startswith("bank-sim"))
    assert len(set(names(PRODUCTION))) == len(PRODUCTION)


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("doc", [doc for _, doc in STAGING if not is_custom(doc)],
                         ids=[f"{doc['kind']}/{doc['metadata']['name']}" for _, doc in STAGING if not is_custom(doc)])
def test_built_in_kinds_match_the_kubernetes_schema(doc, version):
    kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("kind", sorted({(doc["apiVersion"], doc["kind"]) for _, doc in STAGING if is_custom(doc)}))
def test_kubernetes_validate_has_no_schema_for_the_operators_kinds(kind):
    """Why the facts below are asserted one by one; if this fails, validate them against the schema instead."""
    api_version, name = kind
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate({"apiVersion": api_version, "kind": name}, KUBERNETES_VERSIONS[-1], strict=True)


# --- the services: Deployments, Services, disruption budgets, autoscalers ------------------------------------------

def container(spec: ServiceSpec) -> dict:
    (only_container,) = of_kind("Deployment")[spec.name]["spec"]["template"]["spec"]["containers"]
    return only_container


@pytest.mark.parametrize("spec", DEPLOYED, ids=lambda spec: spec.name)
def test_each_service_runs_its_module_on_its_port_with_probes_and_resources(spec):
    deployment = of_kind("Deployment")[spec.name]
    c = container(spec)
    assert c["image"] == "siji" and c["command"] == ["python", "-P", "-m", spec.module]
    assert c["ports"] == [{"name": "http", "containerPort": spec.port}]
    assert {"name": f"{spec.env_prefix}HTTP_PORT", "value": str(spec.port)} in c["env"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert {"cpu", "memory"} <= set(c["resources"]["requests"]) and "memory" in c["resources"]["limits"]
    assert c["securityContext"]["allowPrivilegeEscalation"] is False
    assert "replicas" not in deployment["spec"], "the autoscaler sets the replicas: kubectl apply must not"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels == of_kind("Service")[spec.name]["spec"]["selector"]
    assert of_kind("Service")[spec.name]["spec"]["ports"] == [{"name": "http", "port": spec.port, "targetPort": "http"}]


@pytest.mark.parametrize("spec", INFRA_SERVICES, ids=lambda spec: spec.name)
def test_each_service_reads_the_shared_config_and_secrets_and_its_own_under_its_prefix(spec):
    assert container(spec)["envFrom"] == [
        {"configMapRef": {"name": "siji-common"}, "prefix": spec.env_prefix},
        {"secretRef": {"name": "siji-shared"}, "prefix": spec.env_prefix},
        {"secretRef": {"name": strimzi.service_secret(spec.name)}, "prefix": spec.env_prefix},
    ]
    assert container(spec)["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}


def test_the_console_holds_no_secret():
    assert "envFrom" not in container(next(spec for spec in SERVICES if spec.name == "console"))


@pytest.mark.parametrize("spec", DEPLOYED, ids=lambda spec: spec.name)
def test_each_service_has_a_disruption_budget_of_one_pod(spec):
    budget = of_kind("PodDisruptionBudget")[spec.name]["spec"]
    assert budget.get("maxUnavailable") == 1 or budget.get("minAvailable") == 1
    pods = of_kind("Deployment")[spec.name]["spec"]["template"]["metadata"]["labels"]
    assert budget["selector"]["matchLabels"].items() <= pods.items()


def partitions(topic: str) -> int:
    return of_kind("KafkaTopic")[topic]["spec"]["partitions"]


@pytest.mark.parametrize("spec", DEPLOYED, ids=lambda spec: spec.name)
def test_each_service_scales_on_cpu_and_never_beyond_the_partitions_it_consumes(spec):
    hpa = of_kind("HorizontalPodAutoscaler")[spec.name]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name}
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"] == ["cpu"]
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    consumed = access.CONSUMES.get(spec.name, ())
    assert spec.uses_infra == bool(consumed)
    if consumed:
        assert hpa["spec"]["maxReplicas"] <= min(partitions(topic.value) for topic in consumed)


def test_every_workload_has_a_budget_and_an_autoscaler_and_nothing_else_does():
    deployments = set(of_kind("Deployment"))
    assert set(of_kind("PodDisruptionBudget")) == set(of_kind("HorizontalPodAutoscaler")) == deployments


# --- Kafka (Strimzi) ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(strimzi.generated()))
def test_committed_strimzi_resources_are_current(name):
    committed = K8S / "kafka" / name
    assert committed.read_text() == strimzi.generated()[name], \
        f"deploy/k8s/kafka/{name} is out of date: run `make docs` and commit it"


def test_the_generator_makes_topics_as_the_services_create_them_locally():
    assert strimzi.PARTITIONS == inspect.signature(ensure_topics).parameters["partitions"].default


def test_kafka_is_a_kraft_cluster_of_three_brokers_and_three_controllers():
    kafka = only("Kafka")
    assert kafka["metadata"]["name"] == strimzi.CLUSTER
    assert kafka["metadata"]["annotations"] == {"strimzi.io/kraft": "enabled", "strimzi.io/node-pools": "enabled"}
    pools = of_kind("KafkaNodePool").values()
    assert all(pool["metadata"]["labels"]["strimzi.io/cluster"] == strimzi.CLUSTER for pool in pools)
    assert sum(pool["spec"]["replicas"] for pool in pools if "broker" in pool["spec"]["roles"]) == 3
    assert sum(pool["spec"]["replicas"] for pool in pools if "controller" in pool["spec"]["roles"]) == 3
    for pool in pools:
        assert all(volume["type"] == "persistent-claim" and volume["deleteClaim"] is False
                   for volume in pool["spec"]["storage"]["volumes"])


def test_kafka_runs_the_version_the_local_broker_runs():
    local = re.search(r"<kafka.version>(.+)</kafka.version>", (DEPLOY / "kafka" / "pom.xml").read_text())
    assert local is not None
    kafka = only("Kafka")["spec"]["kafka"]
    assert kafka["version"] == local.group(1)
    assert kafka["metadataVersion"].startswith(".".join(local.group(1).split(".")[:2]) + "-")


def test_kafka_keeps_three_replicas_and_acknowledges_on_two():
    config = only("Kafka")["spec"]["kafka"]["config"]
    assert config["default.replication.factor"] == config["offsets.topic.replication.factor"] == 3
    assert config["transaction.state.log.replication.factor"] == 3
    assert config["min.insync.replicas"] == config["transaction.state.log.min.isr"] == 2
    assert config["auto.create.topics.enable"] is False


def test_every_client_authenticates_with_scram_over_tls_and_acls_decide():
    kafka = only("Kafka")["spec"]["kafka"]
    assert kafka["listeners"] and all(listener["tls"] is True and listener["authentication"]["type"] == "scram-sha-512"
                                      for listener in kafka["listeners"])
    assert kafka["authorization"]["type"] == "simple"
    (listener,) = kafka["listeners"]
    common = of_kind("ConfigMap")["siji-common"]["data"]
    assert common["KAFKA_BOOTSTRAP_SERVERS"] == f"{strimzi.CLUSTER}-kafka-bootstrap:{listener['port']}"
    assert (common["KAFKA_SECURITY_PROTOCOL"], common["KAFKA_SASL_MECHANISM"]) == ("SASL_SSL", access.SCRAM)


def test_every_topic_and_its_dead_letter_twin_is_a_kafka_topic():
    topics = of_kind("KafkaTopic")
    assert sorted(topics) == sorted(all_topics())
    min_insync = only("Kafka")["spec"]["kafka"]["config"]["min.insync.replicas"]
    for topic in topics.values():
        assert topic["metadata"]["labels"] == {"strimzi.io/cluster": strimzi.CLUSTER}
        assert topic["spec"]["partitions"] == strimzi.PARTITIONS and topic["spec"]["replicas"] == 3 > min_insync


RESOURCES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.BROKER,
             "transactionalId": ResourceType.TRANSACTIONAL_ID}
PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefix": ResourcePatternType.PREFIXED}


def acls_of(user: dict) -> list[access.Grant]:
    """A KafkaUser's ACLs read back into the policy's terms (operation IdempotentWrite: IDEMPOTENT_WRITE)."""
    out = []
    for rule in user["spec"]["authorization"]["acls"]:
        resource = rule["resource"]
        assert rule.get("type", "allow") == "allow" and rule.get("host", "*") == "*"
        for operation in rule["operations"]:
            out.append(access.Grant(user["metadata"]["name"], RESOURCES[resource["type"]],
                                    resource.get("name", "kafka-cluster"),
                                    AclOperation[re.sub(r"(?<!^)(?=[A-Z])", "_", operation).upper()],
                                    PATTERNS[resource.get("patternType", "literal")]))
    return out


def test_every_principal_is_a_kafka_user_with_exactly_the_acls_the_policy_grants():
    users = of_kind("KafkaUser")
    assert sorted(users) == sorted(access.principals())
    for principal, user in users.items():
        assert user["metadata"]["labels"] == {"strimzi.io/cluster": strimzi.CLUSTER}
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        assert user["spec"]["authorization"]["type"] == "simple"
        granted = acls_of(user)
        assert len(granted) == len(set(granted))
        assert set(granted) == {grant for grant in access.grants() if grant.principal == principal}


@pytest.mark.parametrize("spec", INFRA_SERVICES, ids=lambda spec: spec.name)
def test_a_services_kafka_password_is_the_one_its_deployment_reads(spec):
    password = of_kind("KafkaUser")[spec.name]["spec"]["authentication"]["password"]["valueFrom"]["secretKeyRef"]
    assert password == {"name": strimzi.service_secret(spec.name), "key": "KAFKA_PASSWORD"}


# --- PostgreSQL (CloudNativePG) -----------------------------------------------------------------------------------

def test_postgres_is_three_instances_with_the_database_siji_and_synchronous_commits():
    cluster = only("Cluster")["spec"]
    assert cluster["instances"] == 3
    assert cluster["bootstrap"]["initdb"]["database"] == "siji"
    assert cluster["postgresql"]["synchronous"]["number"] >= 1


def test_each_service_logs_in_as_its_own_role_that_may_create_its_schema():
    cluster = only("Cluster")["spec"]
    roles = {role["name"]: role for role in cluster["managed"]["roles"]}
    assert sorted(roles) == sorted(spec.name for spec in INFRA_SERVICES)
    statements = cluster["bootstrap"]["initdb"]["postInitApplicationSQL"]
    for name, role in roles.items():
        assert role["login"] is True and role["passwordSecret"] == {"name": f"siji-{name}-db"}
        assert f"CREATE ROLE {name}; GRANT CREATE ON DATABASE siji TO {name}" in statements


def test_the_connections_of_every_replica_the_autoscalers_allow_fit_in_postgres():
    """Each replica holds its pool and one connection for its migrations."""
    cluster = only("Cluster")["spec"]
    per_replica = ServiceSettings.model_fields["pool_size"].default + 1
    limits = {role["name"]: role["connectionLimit"] for role in cluster["managed"]["roles"]}
    for name, limit in limits.items():
        assert limit >= of_kind("HorizontalPodAutoscaler")[name]["spec"]["maxReplicas"] * per_replica
    room = 50  # the operator's own connections, the auditors' tools, the super user's reserved slots
    assert sum(limits.values()) + room <= int(cluster["postgresql"]["parameters"]["max_connections"])


# --- deploy/compose.yaml ------------------------------------------------------------------------------------------

COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
BROKERS = sorted(name for name in COMPOSE if re.fullmatch(r"kafka-\d+", name))
DEFAULTED = ("TOKEN_SECRET", "PII_KEY", "LOG_FORMAT")  # left at the development defaults on a laptop


def compose_name(spec: ServiceSpec) -> str:
    return spec.name.replace("_", "-")


def test_compose_runs_three_brokers_postgres_the_provisioner_and_every_service():
    assert BROKERS == ["kafka-1", "kafka-2", "kafka-3"]
    assert set(COMPOSE) == {*BROKERS, "postgres", "kafka-provision", *(compose_name(spec) for spec in SERVICES)}


def test_compose_runs_the_images_make_images_builds():
    assert {COMPOSE[name]["image"] for name in BROKERS} == {images.KAFKA}
    assert COMPOSE["postgres"]["image"] == images.POSTGRES
    assert COMPOSE["kafka-provision"]["image"] == images.SIJI
    for spec in SERVICES:
        assert COMPOSE[compose_name(spec)]["image"] == (images.BANK if spec.name == "bank_sim" else images.SIJI)


@pytest.mark.parametrize("spec", SERVICES, ids=lambda spec: spec.name)
def test_compose_publishes_each_service_on_its_port_on_loopback(spec):
    service = COMPOSE[compose_name(spec)]
    assert service["ports"] == [f"127.0.0.1:{spec.port}:{spec.port}"]
    assert service["environment"][f"{spec.env_prefix}HTTP_PORT"] == str(spec.port)
    assert service.get("command", [spec.module]) == [spec.module]  # the image's entry point is python -P -m


def variable(text: str) -> str:
    match = re.fullmatch(r"\$\{(\w+):\?[^}]*\}", text)
    assert match, f"{text} is not a required variable"
    return match.group(1)


@pytest.mark.parametrize("spec", INFRA_SERVICES, ids=lambda spec: spec.name)
def test_compose_gives_each_service_the_settings_the_launchers_give_it(spec):
    """Deployment.settings_env is what `siji up` and the container tests give a service; on compose its own Kafka
    principal, the brokers, PostgreSQL and the bank by their names on the network."""
    expected = Deployment(Path("."), "", "", "", "", kafka_passwords={spec.name: ""}).settings_env(
        spec, url=lambda name: "", bootstrap_servers="", database_url="", port=spec.port)
    env = COMPOSE[compose_name(spec)]["environment"]
    wanted = {key for key in expected if key.startswith(spec.env_prefix)} - {spec.env_prefix + key for key in DEFAULTED}
    assert set(env) == wanted | {f"{spec.env_prefix}HTTP_HOST"}
    assert env[f"{spec.env_prefix}KAFKA_BOOTSTRAP_SERVERS"] == ",".join(f"{broker}:9092" for broker in BROKERS)
    assert env[f"{spec.env_prefix}KAFKA_USERNAME"] == spec.name
    assert variable(env[f"{spec.env_prefix}KAFKA_PASSWORD"]) == access.password_variable(spec.name)
    assert re.fullmatch(r"postgresql://postgres:\$\{POSTGRES_PASSWORD:\?[^}]*\}@postgres:5432/siji",
                        env[f"{spec.env_prefix}DATABASE_URL"])
    if f"{spec.env_prefix}BANK_URL" in env:
        assert env[f"{spec.env_prefix}BANK_URL"] == "http://bank-sim:8109"


def test_compose_points_the_console_at_each_service_by_name():
    env = COMPOSE["console"]["environment"]
    for spec in INFRA_SERVICES:
        assert env[f"CONSOLE_{spec.name.upper()}_URL"] == f"http://{compose_name(spec)}:{spec.port}"


def test_compose_starts_the_services_once_postgres_answers_and_kafka_is_provisioned():
    for spec in INFRA_SERVICES:
        assert COMPOSE[compose_name(spec)]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "kafka-provision": {"condition": "service_completed_successfully"}}
    assert "healthcheck" in COMPOSE["postgres"]
    assert sorted(COMPOSE["kafka-provision"]["depends_on"]) == BROKERS


def test_compose_provisions_every_principal_with_the_password_its_service_uses():
    provision = COMPOSE["kafka-provision"]
    assert provision["entrypoint"] == ["siji"]
    assert provision["command"] == ["infra", "provision", "--brokers", str(len(BROKERS))]
    env = provision["environment"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == ",".join(f"{broker}:9092" for broker in BROKERS)
    passwords = {key: variable(value) for key, value in env.items() if key != "KAFKA_BOOTSTRAP_SERVERS"}
    assert set(passwords) == {access.password_variable(name) for name in (access.ADMIN, *access.principals())}
    assert passwords.pop(access.password_variable(access.ADMIN)) == "KAFKA_ADMIN_PASSWORD"  # as the brokers have it
    assert all(key == value for key, value in passwords.items())


def test_compose_brokers_share_one_configuration_and_differ_by_their_environment():
    properties = dict(line.split("=", 1) for line in (DEPLOY / "compose" / "kafka.properties").read_text().splitlines()
                      if line and not line.startswith("#"))
    voters = [voter.split("@") for voter in properties["controller.quorum.voters"].split(",")]
    ports = set()
    for broker in BROKERS:
        service = COMPOSE[broker]
        env = service["environment"]
        assert [f"{int(env['KAFKA_NODE_ID'])}", f"{broker}:9093"] in voters
        assert f"127.0.0.1:{env['KAFKA_EXTERNAL_PORT']}:{env['KAFKA_EXTERNAL_PORT']}" in service["ports"]
        ports.add(env["KAFKA_EXTERNAL_PORT"])
        assert "./compose/kafka.properties:/etc/kafka/server.properties:ro" in service["volumes"]
        (data,) = [volume.split(":")[1] for volume in service["volumes"] if volume.startswith(f"{broker}:")]
        assert properties["log.dirs"].startswith(data + "/")
        assert variable(env["KAFKA_CLUSTER_ID"]) == "KAFKA_CLUSTER_ID"
    assert len(voters) == len(ports) == len(BROKERS)
    assert properties["min.insync.replicas"] == "2" and properties["default.replication.factor"] == "3"
    passwords = re.findall(r'password="([^"]*)"', "\n".join(properties.values()))
    assert passwords and set(passwords) == {"${env:KAFKA_ADMIN_PASSWORD}"}  # no password in the file


def test_the_development_env_file_sets_every_variable_compose_needs():
    text = (DEPLOY / "compose.yaml").read_text()
    needed = set(re.findall(r"\$\{(\w+):\?", text))
    given = dict(line.split("=", 1) for line in (DEPLOY / "compose" / "development.env").read_text().splitlines()
                 if line and not line.startswith("#"))
    assert needed == set(given) and all(given.values())


# --- `siji infra provision`, the compose file's one-shot -----------------------------------------------------------

def test_provision_refuses_to_start_without_the_brokers_and_every_password(monkeypatch):
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    for name in (access.ADMIN, *access.principals()):
        monkeypatch.delenv(access.password_variable(name), raising=False)
    monkeypatch.setenv("ELIGIBILITY_KAFKA_PASSWORD", "x")
    result = CliRunner().invoke(main.app, ["infra", "provision"])
    assert result.exit_code == 2
    assert {"KAFKA_BOOTSTRAP_SERVERS", "ADMIN_KAFKA_PASSWORD", "SIJI_OPERATOR_KAFKA_PASSWORD"} <= set(
        re.findall(r"[A-Z_]+", result.output))
    assert "ELIGIBILITY_KAFKA_PASSWORD" not in result.output


def test_provision_waits_for_the_brokers_then_applies_the_policy_and_the_topics(monkeypatch):
    calls = []
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    for name in (access.ADMIN, *access.principals()):
        monkeypatch.setenv(access.password_variable(name), f"pw-{name}")
    monkeypatch.setattr(main, "metadata_shows_brokers", lambda kafka, expected: calls.append(("wait", expected)) or True)
    monkeypatch.setattr(main.access, "provision", lambda bootstrap, passwords: calls.append(("users", passwords)))

    async def topics(kafka, names):
        calls.append(("topics", kafka.username, names))

    monkeypatch.setattr(main, "ensure_topics", topics)
    result = CliRunner().invoke(main.app, ["infra", "provision", "--brokers", "2"])
    assert result.exit_code == 0, result.output
    assert calls == [("wait", 2), ("users", {name: f"pw-{name}" for name in (access.ADMIN, *access.principals())}),
                     ("topics", access.ADMIN, all_topics())]

"""The committed AsyncAPI documents and docs/events.md are what the contracts and the services' consumers
make now, and each document holds together: every reference resolves, every id is one AsyncAPI accepts."""

import json
import re
from pathlib import Path

import pytest

from contracts.topics import Topic
from siji_shared.asyncapi import SERVICES, consumers_of, document, generated, owner

DOCS = Path(__file__).resolve().parents[2] / "docs"
GENERATED = generated()


def committed() -> dict[str, str]:
    paths = [*sorted(DOCS.glob("asyncapi/*.json")), DOCS / "events.md"]
    return {path.relative_to(DOCS).as_posix(): path.read_text() for path in paths if path.exists()}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_committed_document_is_current(name):
    assert committed().get(name) == GENERATED[name], f"docs/{name} is out of date: run `make docs` and commit it"


def test_no_document_is_left_for_a_service_that_is_gone():
    assert set(committed()) == set(GENERATED)


def test_every_topic_is_owned_by_a_service():
    assert {owner(topic.value) for topic in Topic} <= set(SERVICES)


def references(node):
    if isinstance(node, dict):
        yield from ([node["$ref"]] if "$ref" in node else [])
        for value in node.values():
            yield from references(value)
    elif isinstance(node, list):
        for value in node:
            yield from references(value)


@pytest.mark.parametrize("service", SERVICES)
def test_every_reference_resolves_within_the_document(service):
    doc = json.loads(GENERATED[f"asyncapi/{service}.json"])
    for reference in set(references(doc)):
        node = doc
        for part in reference.removeprefix("#/").split("/"):
            assert part in node, f"{reference} does not resolve"
            node = node[part]


@pytest.mark.parametrize("service", SERVICES)
def test_ids_are_asyncapi_identifiers(service):
    doc = json.loads(GENERATED[f"asyncapi/{service}.json"])
    assert all(re.fullmatch(r"[A-Za-z0-9_\-]+", key) for key in [*doc["channels"], *doc["operations"]])
    assert all(re.fullmatch(r"[A-Za-z0-9.\-_]+", key) for kind in doc["components"].values() for key in kind)


@pytest.mark.parametrize("service", SERVICES)
def test_each_consumer_is_a_receive_operation_with_its_handled_events(service):
    doc = document(service, consumers_of(service))
    for consumer in consumers_of(service):
        operation = doc["operations"][f"receive_{consumer.topic.replace('.', '_')}"]
        handled = {ref["$ref"].rsplit("/", 1)[-1] for ref in operation["messages"]}
        assert handled == {payload.__name__ for payload in consumer.handlers}
        assert operation["bindings"]["kafka"]["groupId"]["enum"] == [consumer.group_id]

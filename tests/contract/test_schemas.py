"""The committed JSON Schemas are the contract. Within a version only additive, optional changes."""

import copy
import json

import pytest

from contracts.compat import breaking_changes
from contracts.export import SCHEMA_DIR, generated

GENERATED = generated()


def committed() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(SCHEMA_DIR.glob("*.json"))}


@pytest.mark.parametrize("name", sorted(GENERATED))
def test_no_breaking_change_against_the_committed_schema(name):
    assert name in committed(), f"{name} is not committed: run `make schemas`"
    problems = breaking_changes(json.loads(committed()[name]), json.loads(GENERATED[name]))
    assert not problems, f"breaking change to {name}; publish a new version (V2) beside it instead: {problems}"


def test_committed_schemas_are_current():
    assert committed() == GENERATED, "schemas are out of date: run `make schemas` and commit them"


def test_every_committed_schema_still_has_its_event():
    assert set(committed()) <= set(GENERATED), "an event version was removed while its schema is committed"


BASE = {"type": "object", "required": ["a"],
        "properties": {"a": {"type": "integer"}, "b": {"type": "string", "maxLength": 10}}}


def changed(edit) -> dict:
    schema = copy.deepcopy(BASE)
    edit(schema)
    return schema


@pytest.mark.parametrize(("edit", "problem"), [
    (lambda s: s["properties"].pop("b"), "b: removed"),
    (lambda s: s["required"].append("b"), "b: became required"),
    (lambda s: s["properties"]["a"].update(type="string"), "a: type"),
    (lambda s: s["properties"]["b"].update(maxLength=5), "b: maxLength tightened"),
])
def test_compat_checker_catches_breaking_edits(edit, problem):
    problems = breaking_changes(BASE, changed(edit))
    assert any(problem in p for p in problems), problems


def test_compat_checker_allows_optional_additions_and_loosening():
    loosened = changed(lambda s: (s["properties"].update(c={"type": "string"}),
                                  s["properties"]["b"].update(maxLength=50)))
    assert breaking_changes(BASE, loosened) == []

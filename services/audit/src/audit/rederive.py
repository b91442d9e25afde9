"""Re-derive: every assessed case decided again from what is recorded — its rule set version's content as
loaded and the exact inputs it was assessed on. Two things are compared, each difference reported:
- the decision hash, computed by the published formula (SHA-256 over the rule set id, version, content
  hash and canonical inputs) independently of the eligibility service's code: a rule set changed after
  the fact, or inputs altered, show;
- the outcome (eligible or not, amount, tier, the reasons that fired), by running eligibility's own pure
  assessment (`eligibility.domain`, no I/O) on the recorded rule set and inputs: the hash does not cover
  the outcome, so a stored amount or eligibility altered after the decision shows only here. The one
  place audit runs another service's code: re-running the rules is what re-deriving means."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import asyncpg

from eligibility.domain import (
    Assessment,
    Inputs,
    LoanFacts,
    RegistrationFacts,
    assess,
    assess_loan,
    assess_registration,
)
from eligibility.policy import LoanProgrammeRules, PolicyInvalid, ProgrammeRules, RegistrationRules, parse


def canonical(data: Any, *, ascii_only: bool) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)


def decision_hash(rule_set_id: str, version: int, rules: Any, inputs: Any) -> str:
    content = hashlib.sha256(canonical(rules, ascii_only=False).encode()).hexdigest()
    text = canonical(inputs, ascii_only=True)
    return hashlib.sha256(f"{rule_set_id}\n{version}\n{content}\n{text}".encode()).hexdigest()


def reassess(rules: Any, inputs: dict[str, Any]) -> Assessment | None:
    """The rule set's own assessment of the inputs; None for a document that assesses no case."""
    match rules:
        case ProgrammeRules():
            return assess(rules, Inputs.from_json(inputs))
        case LoanProgrammeRules():
            return assess_loan(rules, LoanFacts.from_json(inputs))
        case RegistrationRules():
            return assess_registration(rules, RegistrationFacts.from_json(inputs))
    return None


def outcome_differences(case: asyncpg.Record | dict[str, Any], again: Assessment) -> list[str]:
    """What the stored case says that the assessment re-run does not. A case's status moves on after its
    assessment (approved, rejected), but only an eligible one is approved or rejected, and only an
    ineligible one stays ineligible; a withdrawn case may have been either."""
    recorded: dict[str, Any] = {"amount_fen": case["amount_fen"], "tier": case["tier"],
                                "reasons": [f"{r['zh']}（{r['en']}）" if isinstance(r, dict) else r
                                            for r in json.loads(case["reasons"])]}
    derived: dict[str, Any] = {"amount_fen": again.amount_fen, "tier": again.tier, "reasons": list(again.reasons)}
    if case["status"] != "withdrawn":
        recorded["eligible"], derived["eligible"] = case["status"] != "ineligible", again.eligible
    found = [f"{name} recorded {recorded[name]!r}, re-derived {derived[name]!r}"
             for name in ("eligible", "amount_fen", "tier") if name in recorded and recorded[name] != derived[name]]
    if recorded["reasons"] != derived["reasons"]:
        pairs = zip(recorded["reasons"], derived["reasons"], strict=False)
        first = next((pair for pair in pairs if pair[0] != pair[1]),
                     (f"{len(recorded['reasons'])} reasons", f"{len(derived['reasons'])} reasons"))
        found.append(f"reasons differ: recorded {first[0][:160]!r}, re-derived {first[1][:160]!r}")
    return found


@dataclass
class RederiveReport:
    cases: int
    differences: list[str]
    rule_sets_changed: list[str]


async def rederive(database_url: str, *, campaign: str | None = None, shown: int = 100) -> RederiveReport:
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            rule_sets = {(r["rule_set_id"], r["version"]): r for r in await conn.fetch(
                "SELECT rule_set_id, version, rules::text AS rules, content_sha256 FROM eligibility.rule_sets")}
            cases = await conn.fetch(
                "SELECT case_id, rule_set_id, rule_set_version, inputs::text AS inputs, decision_hash, status, "
                "amount_fen, tier, reasons::text AS reasons "
                "FROM eligibility.cases WHERE decision_hash IS NOT NULL AND ($1::text IS NULL OR campaign = $1)",
                campaign)
    finally:
        await conn.close()
    changed = [f"{key[0]} v{key[1]}: its content no longer hashes to the {r['content_sha256'][:12]}… it was loaded with"
               for key, r in sorted(rule_sets.items()) if r["content_sha256"] and hashlib.sha256(
                   canonical(json.loads(r["rules"]), ascii_only=False).encode()).hexdigest() != r["content_sha256"]]
    documents: dict[tuple[str, int], Any] = {}
    differences = []
    for case in cases:
        key = (case["rule_set_id"], case["rule_set_version"])
        rules = rule_sets.get(key)
        inputs = json.loads(case["inputs"])
        again = rules and decision_hash(*key, json.loads(rules["rules"]), inputs)
        if again != case["decision_hash"]:
            differences.append(f"case {case['case_id']}: recorded {case['decision_hash'][:16]}…, re-derived "
                               f"{(again or 'no rule set')[:16]}… under {key[0]} v{key[1]}")
        if rules is None:
            continue
        if key not in documents:
            try:
                documents[key] = parse(json.loads(rules["rules"]), source=f"{key[0]} v{key[1]}")
            except PolicyInvalid as invalid:
                documents[key] = invalid
        document = documents[key]
        if isinstance(document, PolicyInvalid):
            differences.append(f"case {case['case_id']}: its rule set no longer reads as one ({document})"[:300])
            continue
        try:
            assessment = reassess(document, inputs)
        except (KeyError, ValueError, TypeError) as unreadable:
            differences.append(f"case {case['case_id']}: its inputs cannot be assessed again ({unreadable!r})")
            continue
        if assessment is not None:
            differences += [f"case {case['case_id']}: {d} under {key[0]} v{key[1]}"
                            for d in outcome_differences(case, assessment)]
    return RederiveReport(cases=len(cases), differences=differences[:shown], rule_sets_changed=changed)

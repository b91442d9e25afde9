"""Re-derive: every assessed case's decision hash computed again from what is recorded — its rule set
version's content as loaded and the exact inputs it was assessed on — by the published formula
(SHA-256 over the rule set id, version, content hash and canonical inputs), independently of the
eligibility service's code. A rule set changed after the fact, or inputs altered, shows as a difference."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import asyncpg


def canonical(data: Any, *, ascii_only: bool) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only)


def decision_hash(rule_set_id: str, version: int, rules: Any, inputs: Any) -> str:
    content = hashlib.sha256(canonical(rules, ascii_only=False).encode()).hexdigest()
    text = canonical(inputs, ascii_only=True)
    return hashlib.sha256(f"{rule_set_id}\n{version}\n{content}\n{text}".encode()).hexdigest()


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
                "SELECT case_id, rule_set_id, rule_set_version, inputs::text AS inputs, decision_hash "
                "FROM eligibility.cases WHERE decision_hash IS NOT NULL AND ($1::text IS NULL OR campaign = $1)",
                campaign)
    finally:
        await conn.close()
    changed = [f"{key[0]} v{key[1]}: its content no longer hashes to the {r['content_sha256'][:12]}… it was loaded with"
               for key, r in sorted(rule_sets.items()) if r["content_sha256"] and hashlib.sha256(
                   canonical(json.loads(r["rules"]), ascii_only=False).encode()).hexdigest() != r["content_sha256"]]
    differences = []
    for case in cases:
        rules = rule_sets.get((case["rule_set_id"], case["rule_set_version"]))
        again = rules and decision_hash(case["rule_set_id"], case["rule_set_version"], json.loads(rules["rules"]),
                                        json.loads(case["inputs"]))
        if again != case["decision_hash"]:
            differences.append(f"case {case['case_id']}: recorded {case['decision_hash'][:16]}…, re-derived "
                               f"{(again or 'no rule set')[:16]}… under {case['rule_set_id']} v{case['rule_set_version']}")
    return RederiveReport(cases=len(cases), differences=differences[:shown], rule_sets_changed=changed)

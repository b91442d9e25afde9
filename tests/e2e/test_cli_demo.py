"""`siji demo --json` as a person runs it, against the running services."""

import json
import subprocess

from support.cli import siji


def last_json_line(done: subprocess.CompletedProcess) -> dict:
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_demo_prints_the_summary_as_json_on_the_last_line_and_the_audit_agrees(infra, deployment):
    summary = last_json_line(siji(infra, deployment, "demo", "--recipients", "40", "--json"))
    assert summary["recipients"] == 40
    assert summary["registered"] == summary["eligible"] + summary["ineligible"]
    assert summary["settled"] + summary["failed"] == summary["approved"] > 30
    assert summary["budget_used_fen"] == summary["reconciliation"]["bank_booked_fen"] > 0
    assert summary["budget_balanced"] is True

    audit = last_json_line(siji(infra, deployment, "audit", "verify", "--campaign", summary["campaign"], "--json"))
    assert audit["violations"] == []
    totals = audit["campaigns"][summary["campaign"]]
    assert (totals["approved"], totals["settled"], totals["failed"], totals["awaiting_outcome"]) == \
        (summary["approved"], summary["settled"], summary["failed"], 0)
    assert totals["settled_fen"] == summary["budget_used_fen"]


def test_the_whole_event_history_of_the_session_passes_the_audit(infra, deployment):
    """Every campaign, failure and dead letter the tests have made so far: no fen misdirected (the streams;
    the books hold on purpose some half-done states, such as an approval whose campaign has no budget)."""
    audit = last_json_line(siji(infra, deployment, "audit", "verify", "--streams-only", "--json"))
    assert audit["violations"] == []
    assert sum(t["settled"] for t in audit["campaigns"].values()) > 0


def test_siji_policies_load_list_and_diff(infra, deployment):
    """The admin's commands: the shipped documents are loaded already (the service did it on its fresh
    start), so loading them again changes nothing; list shows every programme."""
    loaded = last_json_line(siji(infra, deployment, "policies", "load", "--json"))
    assert {r["status"] for r in loaded["rule_sets"]} == {"unchanged"} and len(loaded["rule_sets"]) == 21
    listed = last_json_line(siji(infra, deployment, "policies", "list", "--region", "taicang", "--json"))
    assert {r["programme"] for r in listed["rule_sets"]} >= {"winter-warmth", "autumn-education-aid", "living-relief",
                                                              "serious-illness-relief", "hardship-standards"}
    same = last_json_line(siji(infra, deployment, "policies", "diff", "winter-warmth/taicang/2026", "1", "1", "--json"))
    assert same["changes"] == []


def test_siji_status_shows_each_service_its_lag_backlog_and_dead_letters(infra, deployment):
    status = last_json_line(siji(infra, deployment, "status", "--json"))
    services = status["services"]
    assert set(services) >= {"eligibility", "disbursement", "reconciliation", "loans", "cooling", "audit"}
    assert all(s["health"] == "ok" for s in services.values()), services
    disbursement = services["disbursement"]
    assert set(disbursement["consumer_lag"]) == {"eligibility.cases", "loans.subsidies", "reconciliation.items"}
    assert all(isinstance(n, int) and n >= 0 for n in disbursement["consumer_lag"].values())
    assert disbursement["outbox_backlog"] >= 0 and "eligibility.cases.dlt" in disbursement["dead_letters"]

"""Eligibility in depth through the running services: the policies the service loaded on its fresh
start, listed and diffed by an admin; an appeal decided by another approver and paid through Kafka,
with its whole trail on the case page; the hardship-file events on their topic."""

import json
import uuid

from eligibility.policy import POLICY_DIR, HardshipLevel
from siji_cli.synthetic import members
from siji_shared.auth import Role
from support.kafka import eventually, read_topic
from support.service import hardship_file

ADMIN = dict(user="admin-01", role=Role.ADMIN)
MAKER = dict(user="cw-taicang-11", role=Role.CASEWORKER)
CHECKER_1 = dict(user="ap-taicang-11", role=Role.APPROVER)
CHECKER_2 = dict(user="ap-taicang-12", role=Role.APPROVER)
FINANCE = dict(user="fin-taicang-11", role=Role.FINANCE)


def shipped() -> list[dict]:
    return [{"source": p.name, "document": json.loads(p.read_text(encoding="utf-8"))}
            for p in sorted(POLICY_DIR.glob("*.v*.json"))]


async def test_policies_are_loaded_once_listed_and_diffed_by_an_admin(api):
    again = await api.post("eligibility", "/policies", shipped(), key=None, **ADMIN)
    assert again.status_code == 200, again.text
    assert {r["status"] for r in again.json()["rule_sets"]} == {"unchanged"}, "loaded at start-up already"

    listed = await api.get("eligibility", "/policies?region=yancheng", **ADMIN, region="province")
    assert {r["programme"] for r in listed.json()["rule_sets"]} == {
        "winter-warmth", "autumn-education-aid", "living-relief", "serious-illness-relief", "hardship-standards",
        "loan-subsidy", "summer-cooling"}
    by_caseworker = await api.get("eligibility", "/policies", user="cw-1", role=Role.CASEWORKER)
    assert by_caseworker.status_code == 403

    v1 = next(i["document"] for i in shipped() if i["document"]["rule_set_id"] == "serious-illness-relief/yancheng/2026")
    conflicting = {**v1, "medical_costs": {**v1["medical_costs"], "share_percent": 60}}
    refused = await api.post("eligibility", "/policies", [{"source": "edited.json", "document": conflicting}],
                             key=None, **ADMIN)
    assert refused.status_code == 409 and "version 2" in refused.json()["detail"]
    bad = await api.post("eligibility", "/policies", [{"source": "bad.json", "document": {**v1, "version": 0}}],
                         key=None, **ADMIN)
    assert bad.status_code == 422 and "bad.json" in bad.json()["detail"]
    if not any(r["version"] == 2 for r in listed.json()["rule_sets"]
               if r["rule_set_id"] == "serious-illness-relief/yancheng/2026"):
        loaded = await api.post("eligibility", "/policies", [{"source": "v2.json",
                                                              "document": {**conflicting, "version": 2}}],
                                key=None, **ADMIN)
        assert loaded.status_code == 201, loaded.text
    diff = (await api.get("eligibility", "/policies/diff?rule_set_id=serious-illness-relief/yancheng/2026&from=1&to=2",
                          **ADMIN)).json()
    assert {"path": "medical_costs.share_percent", "from": 50, "to": 60, "change": "changed"} in diff["changes"]


async def test_an_appeal_is_decided_by_another_approver_paid_and_shown_with_its_trail(api, infra):
    campaign = f"ww-appeal-{uuid.uuid4().hex[:8]}"
    person = members(1, region="taicang", seed=uuid.uuid4().int % 10**6)[0]
    graded = await api.post("eligibility", "/hardship-files", hardship_file(person, HardshipLevel.RELATIVE)
                            .model_dump(mode="json"), **MAKER)
    assert graded.status_code == 201 and graded.json()["level"] == "relative"
    assert (await api.post("disbursement", "/budgets", {"campaign": campaign, "programme": "winter-warmth",
                                                        "total_fen": 100000}, **FINANCE)).status_code == 201
    case = (await api.post("eligibility", "/cases", {
        "programme": "winter-warmth", "campaign": campaign, "year": 2026, "national_id": person.national_id,
        "payee_name": person.name, "payee_account": person.account}, **MAKER)).json()
    case_id = case["case_id"]
    rejected = await api.post("eligibility", f"/cases/{case_id}/reject", {"reason": "收入证明缺失 no income proof"},
                              **CHECKER_1)
    assert rejected.status_code == 200, rejected.text

    appealed = await api.post("eligibility", f"/cases/{case_id}/appeals",
                              {"grounds": "已补交收入证明 income proof supplied"}, **MAKER)
    assert appealed.status_code == 200 and appealed.json()["status"] == "eligible", appealed.text
    same = await api.post("eligibility", f"/cases/{case_id}/approve", None, **CHECKER_1)
    assert same.status_code == 409 and "different approver" in same.json()["detail"]
    await api.set_bank(failure_rate=0.0)
    try:
        assert (await api.post("eligibility", f"/cases/{case_id}/approve", None,
                               **CHECKER_2)).json()["status"] == "approved"

        async def paid():
            page = (await api.get("eligibility", f"/cases/{case_id}")).json()
            return page if page["payment"]["status"] == "settled" else None

        page = await eventually(paid)
    finally:
        await api.set_bank()
    assert [(h["action"], h["by"]) for h in page["history"]] == [
        ("registered", MAKER["user"]), ("rejected", CHECKER_1["user"]), ("appealed", MAKER["user"]),
        ("reassessed", MAKER["user"]), ("approved", CHECKER_2["user"])]
    assert page["assessment"]["decision_hash"] and page["assessment"]["rule_set"]["version"] >= 1
    assert person.account not in json.dumps(page) and person.name not in json.dumps(page)

    records = await read_topic(infra.kafka, "eligibility.cases", until=lambda rs: any(
        case_id in (r.value or b"").decode() and b"case.appealed" in (r.value or b"") for r in rs))
    appeal = next(json.loads(r.value) for r in records if case_id in r.value.decode()
                  and json.loads(r.value)["event_type"] == "case.appealed")
    assert appeal["payload"]["grounds"].startswith("已补交")
    files = await read_topic(infra.kafka, "eligibility.hardship-files", until=lambda rs: any(
        graded.json()["file_id"] in (r.value or b"").decode() for r in rs))
    event = next(json.loads(r.value) for r in files if graded.json()["file_id"] in r.value.decode())
    assert event["event_type"] == "hardship_file.graded" and person.national_id not in r_text(files)


def r_text(records) -> str:
    return "".join((r.value or b"").decode() for r in records)

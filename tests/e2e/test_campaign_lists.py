"""The bulk path through the running services: campaign-list imports with the dirt real rosters carry,
the approval queue, and batch approval with mixed outcomes."""

import csv
import io
import json
import uuid

import httpx

from eligibility.policy import HardshipLevel
from siji_cli.synthetic import FULL_WIDTH, members
from siji_shared.auth import Role
from siji_shared.pii import national_id_check_digit
from support.api import Api
from support.cli import siji
from support.service import hardship_file

CASEWORKER = dict(user="cw-taicang-11", role=Role.CASEWORKER)
APPROVER_1 = dict(user="ap-taicang-11", role=Role.APPROVER)
APPROVER_2 = dict(user="ap-taicang-12", role=Role.APPROVER)


def roster(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


async def upload(api: Api, path: str, body: bytes, *, user: dict = CASEWORKER, region: str | None = None,
                 **params) -> httpx.Response:
    headers = api.auth(user["user"], user["role"], region)
    return await api.http.post(f"{api.deployment.url('eligibility')}{path}", params=params, content=body,
                               headers=headers)


async def open_files(api: Api, people, levels) -> None:
    files = [hardship_file(m, HardshipLevel(level)) for m, level in zip(people, levels, strict=True)]
    body = roster(["姓名", "身份证号", "家庭人口", "家庭月收入", "致困原因"],
                  [[f.name, f.national_id, f.household_size, f.income_fen_per_month / 100,
                    "、".join({"accident": "意外"}.get(c, c) for c in f.causes)] for f in files])
    answer = await upload(api, "/hardship-files/imports", body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["accepted"] == len(people)


async def test_a_campaign_list_reports_every_bad_row_by_number_and_twice_changes_nothing(api):
    campaign = f"ww-list-{uuid.uuid4().hex[:8]}"
    people = members(8, region="taicang", seed=uuid.uuid4().int % 10**6)
    await open_files(api, people, ["deep", "relative"] * 4)
    wrong_check = people[0].national_id[:17] + ("1" if people[0].national_id[17] != "1" else "2")
    impossible = "32058519801301" + "123"
    impossible += national_id_check_digit(impossible)
    rows = [
        ["1", people[0].name, people[0].national_id, people[0].account],                       # row 2
        ["2", people[1].name, people[1].national_id.translate(FULL_WIDTH), people[1].account],  # 3: full-width
        [],                                                                                      # 4: blank
        ["3", people[2].name, f" {people[2].national_id.lower()}　", people[2].account],         # 5: spaces
        ["4", people[3].name, wrong_check, people[3].account],                                   # 6: check digit
        ["5", people[4].name, people[4].national_id[:6] + people[4].national_id[8:17], people[4].account],  # 7
        ["6", people[5].name, people[5].national_id, "12-34"],                                   # 8: account
        ["7", "", people[6].national_id, people[6].account],                                     # 9: no name
        ["8", people[0].name, people[0].national_id, people[0].account],                         # 10: duplicate
        ["9", people[7].name, impossible, people[7].account],                                    # 11: birth date
        ["10", people[7].name, people[7].national_id, people[7].account],                        # 12
    ]
    body = roster(["序号", "姓名", "身份证号", "银行账号"], rows)
    first = await upload(api, f"/campaigns/{campaign}/imports", body, programme="winter-warmth", year=2026,
                         filename="list.csv")
    assert first.status_code == 201, first.text
    record = first.json()
    assert (record["accepted"], record["rejected"], record["eligible"]) == (4, 6, 4)
    assert record["eligible_fen"] == 80000 + 50000 + 80000 + 50000, "what finance budgets for"
    assert [e["row"] for e in record["first_errors"]] == [6, 7, 8, 9, 10, 11]
    reasons = {e["row"]: e["reason"] for e in record["first_errors"]}
    assert "GB 11643" in reasons[6] and "2" in reasons[10]
    assert not any(p.national_id in str(record) or p.account in str(record) for p in people), "no personal data"

    report = await api.http.get(f"{api.deployment.url('eligibility')}{record['errors_csv']}",
                                headers=api.auth(**CASEWORKER))
    assert report.status_code == 200 and report.content.startswith("\ufeff".encode())
    assert [line[0] for line in csv.reader(io.StringIO(report.text.lstrip("\ufeff")))][1:] == \
        ["6", "7", "8", "9", "10", "11"]

    again = await upload(api, f"/campaigns/{campaign}/imports", body, programme="winter-warmth", year=2026,
                         filename="list.csv")
    assert again.status_code == 200 and again.json()["import_id"] == record["import_id"]
    summary = (await api.get("eligibility", f"/campaigns/{campaign}/summary")).json()
    assert summary["registered"] == 4

    same_rows = body + b"\r\n"  # another file (one more blank line) holding the same rows
    repeat = await upload(api, f"/campaigns/{campaign}/imports", same_rows, programme="winter-warmth", year=2026)
    assert repeat.status_code == 201 and repeat.json()["already_registered"] == 4
    assert (await api.get("eligibility", f"/campaigns/{campaign}/summary")).json()["registered"] == 4


async def test_a_file_without_the_needed_columns_is_refused_whole(api):
    answer = await upload(api, "/campaigns/ww-cols/imports", roster(["姓名", "电话"], [["张三", "123"]]),
                          programme="winter-warmth", year=2026)
    assert answer.status_code == 422 and "身份证号" in answer.json()["detail"]


async def test_batch_approval_answers_per_case_and_the_queue_pages(api):
    campaign = f"ww-appr-{uuid.uuid4().hex[:8]}"
    people = members(5, region="taicang", seed=uuid.uuid4().int % 10**6)
    await open_files(api, people, ["deep", "accident", "relative", "relative", "deep"])
    body = roster(["姓名", "身份证号", "银行账号"], [[m.name, m.national_id, m.account] for m in people])
    imported = (await upload(api, f"/campaigns/{campaign}/imports", body, programme="winter-warmth",
                             year=2026)).json()

    page = (await api.get("eligibility", f"/cases?import_id={imported['import_id']}&status=eligible&limit=2",
                          user=CASEWORKER["user"], role=Role.CASEWORKER)).json()
    rest = (await api.get("eligibility", f"/cases?import_id={imported['import_id']}&limit=10&after="
                                         f"{page['next_after']}")).json()
    ids = [c["case_id"] for c in page["cases"] + rest["cases"]]
    assert len(set(ids)) == 5 and rest["next_after"] is None
    assert (await api.get("eligibility", f"/cases?import_id={imported['import_id']}", region="fuzhou")).json() == \
        {"cases": [], "next_after": None}, "another region sees none of them"

    by_registrant = await api.post("eligibility", f"/campaigns/{campaign}/approvals", {"case_ids": ids[:1]},
                                   user=CASEWORKER["user"], role=Role.APPROVER)
    assert by_registrant.json()["cases"][0]["status"] == "refused"
    elsewhere = await api.post("eligibility", f"/campaigns/{campaign}/approvals", {"case_ids": ids[:1]},
                               user="ap-fuzhou-01", role=Role.APPROVER, region="fuzhou")
    assert elsewhere.json()["refused"] == 1 and "region" in elsewhere.json()["cases"][0]["reason"]

    first = (await api.post("eligibility", f"/campaigns/{campaign}/approvals",
                            {"import_id": imported["import_id"]}, **APPROVER_1)).json()
    assert (first["approved"], first["awaiting_second_approval"], first["refused"]) == (4, 1, 0)
    awaiting = next(c["case_id"] for c in first["cases"] if c["status"] == "awaiting_second_approval")
    approved = next(c["case_id"] for c in first["cases"] if c["status"] == "approved")
    rejected = (await api.post("eligibility", f"/campaigns/{campaign}/rejections",
                               {"case_ids": [awaiting, approved], "reason": "收入超标"}, **APPROVER_2)).json()
    assert (rejected["rejected"], rejected["refused"]) == (1, 1)
    assert {c["case_id"]: c["status"] for c in rejected["cases"]} == {awaiting: "rejected", approved: "refused"}
    second = (await api.post("eligibility", f"/campaigns/{campaign}/approvals",
                             {"import_id": imported["import_id"]}, **APPROVER_2)).json()
    assert (second["approved"], second["awaiting_second_approval"]) == (0, 0), "the rejected case is not eligible"
    shown = (await api.get("eligibility", f"/cases/{awaiting}")).json()
    assert (shown["status"], shown["decision_reason"], shown["history"][-1]["by"]) == ("rejected", "收入超标", "ap-taicang-12")
    bad = await api.post("eligibility", f"/campaigns/{campaign}/approvals", {"case_ids": [], "import_id": None},
                         **APPROVER_1)
    assert bad.status_code == 422


async def test_the_siji_commands_import_a_list_reject_a_selection_and_approve_the_rest(api, infra, deployment,
                                                                                     tmp_path):
    campaign = f"ww-cli-{uuid.uuid4().hex[:8]}"
    people = members(3, region="taicang", seed=uuid.uuid4().int % 10**6)
    await open_files(api, people, ["deep", "relative", "relative"])
    listed = tmp_path / "花名册.csv"
    listed.write_bytes(roster(["姓名", "身份证号", "银行账号"], [[m.name, m.national_id, m.account] for m in people]))

    def command(*args: str) -> dict:
        done = siji(infra, deployment, *args, "--region", "taicang", "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    imported = command("import", str(listed), "--campaign", campaign, "--year", "2026")
    assert (imported["accepted"], imported["eligible"]) == (3, 3)
    cases = (await api.get("eligibility", f"/cases?import_id={imported['import_id']}")).json()["cases"]
    rejected = command("reject", "--campaign", campaign, "--case", cases[0]["case_id"], "--case", str(uuid.uuid4()),
                       "--reason", "收入超标")
    assert (rejected["rejected"], rejected["refused"]) == (1, 1)
    approved = command("approve", "--campaign", campaign, "--import", imported["import_id"])
    assert (approved["approved"], approved["refused"]) == (2, 0)

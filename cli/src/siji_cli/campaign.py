"""A season driven through the caseworker HTTP APIs the way a union runs one at scale: a caseworker
imports the hardship roster (households graded under the region's standards) and the winter-warmth
campaign list (花名册, with the dirt real rosters have), finance sets the budget, an approver rejects a
few cases and two approvers approve the rest in batches, the services pay through Kafka and the bank's
batch files; then an autumn education aid campaign (金秋助学) runs on the same members' children. The
outcome is summarised and reconciled with the bank's statement."""

from __future__ import annotations

import asyncio
import csv
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from siji_cli.driver import ApiDriver
from siji_cli.synthetic import HARDSHIP_HEADER, dirty_rows, members, untidy
from siji_shared.auth import Role

PROGRAMME = "winter-warmth"
SETTLE_SECONDS = 10.0  # once the day's statement is in, how long its reconciliation may take to close it
CASES_HEADER = ["序号", "姓名", "身份证号", "银行账号"]
AID_HEADER = [*CASES_HEADER, "入学阶段", "录取通知书编号"]
SCHOOLS = ["高中", "中职", "大专", "本科", "研究生"]


@dataclass
class CampaignRun(ApiDriver):
    recipients: int
    year: int = 2026
    reject_share: float = 0.01
    duplicate_share: float = 0.01
    bad_rows: int = 5
    campaign: str = field(default_factory=lambda: f"ww-2026-{uuid.uuid4().hex[:8]}")
    autumn_aid_share: float = 0.1  # members whose child enters school; 0: winter warmth alone (the benchmark)
    close_bank_day: bool = True  # end with the bank's day closed and reconciled (not in tests sharing one bank)

    async def run(self, *, settle_timeout: float = 600.0) -> dict:
        started = time.monotonic()
        self.caseworker = f"cw-{self.region}-01"
        with self._progress() as self.progress, tempfile.TemporaryDirectory(prefix="siji-demo-") as folder:
            async with httpx.AsyncClient(timeout=600.0) as self.http:
                report = await self._drive(Path(folder), settle_timeout)
        report["wall_seconds"] = round(time.monotonic() - started, 2)
        return report

    async def _drive(self, folder: Path, settle_timeout: float) -> dict:
        elig, disb = self.deployment.url("eligibility"), self.deployment.url("disbursement")
        people = members(self.recipients, region=self.region, seed=hash(self.campaign) & 0xFFFF)
        roster = write_csv(folder / "困难职工花名册.csv", HARDSHIP_HEADER, (
            [i, m.name, m.national_id, *m.hardship_cells()]
            for i, m in enumerate((m for m in people if m.on_hardship_roster), start=1)))
        files = await self._stage("hardship files imported", len(people), self._upload(
            f"{elig}/hardship-files/imports", roster))
        duplicates = people[: int(len(people) * self.duplicate_share)]
        campaign_list = write_csv(folder / f"{self.campaign}-花名册.csv", CASES_HEADER, (
            [i, *row] for i, row in enumerate([*([m.name, untidy(m.national_id, i), m.account]
                                                 for i, m in enumerate(people)),
                                               *([m.name, m.national_id, m.account] for m in duplicates),
                                               *dirty_rows(self.bad_rows, region=self.region)], start=1)))
        imported = await self._stage("campaign list imported", len(people), self._upload(
            f"{elig}/campaigns/{self.campaign}/imports?programme={PROGRAMME}&year={self.year}"
            f"&filename={campaign_list.name}", campaign_list))
        import_id = imported["import_id"]

        await self._post(f"{disb}/budgets", self.finance(key=True),
                         {"campaign": self.campaign, "programme": PROGRAMME,
                          "total_fen": (imported["eligible_fen"] * 105 // 100) // 100 * 100})
        to_reject = await self._first_eligible(elig, import_id, int(imported["eligible"] * self.reject_share))
        if to_reject:
            await self._stage("cases rejected", len(to_reject), self._post(
                f"{elig}/campaigns/{self.campaign}/rejections",
                self.headers(f"ap-{self.region}-01", Role.APPROVER, key=True),
                {"case_ids": to_reject, "reason": "household income above the limit on review"}))
        approvals = await self._stage("approvals", imported["eligible"] - len(to_reject),
                                      self._approve_import(elig, self.campaign, import_id))

        summary = await self._await_outcomes(elig, self.campaign, approvals, timeout=settle_timeout)
        finance = self.finance()
        budget = await self._get(f"{disb}/budgets/{self.campaign}", finance)
        payments = await self._get(f"{disb}/campaigns/{self.campaign}/payments", finance)
        autumn = await self._autumn_aid(folder, people, settle_timeout) if self.autumn_aid_share else None
        statement = await self._get(f"{self.deployment.url('bank_sim')}/v1/statement", {})
        report = self._report(summary, files, imported, budget, payments["payments"], statement["entries"])
        if autumn:
            report["autumn_aid"] = autumn
        if self.close_bank_day:
            report["bank_day"] = await self._close_bank_day(settle_timeout)
        return report

    async def _close_bank_day(self, timeout: float) -> dict:
        """The bank closes its business day; finance's reconciliation of it, once the statement is in."""
        closed = await self._post(f"{self.deployment.url('bank_sim')}/admin/business-date/advance", {}, {"days": 1})
        day = closed["closed"][0]
        finance = self.finance()
        url = f"{self.deployment.url('reconciliation')}/days/{day}"
        deadline, taken_at = time.monotonic() + timeout, None
        while True:
            response = await self.http.get(url, headers=finance)
            if response.status_code == 200:
                taken_at = taken_at or time.monotonic()
                report = response.json()
                if report["closed"] or time.monotonic() - taken_at > SETTLE_SECONDS:  # open items stay open
                    return {"business_date": day, "open": report["open"], "unexplained": report["unexplained"],
                            "classes": report["classes"], "open_items": report["open_items"][:20]}
            elif time.monotonic() > deadline:
                raise TimeoutError(f"the statement of {day} was not taken within {timeout:.0f} s")
            await asyncio.sleep(0.5)

    async def _autumn_aid(self, folder: Path, people: list, settle_timeout: float) -> dict:
        """金秋助学 on the same members: hardship households whose child enters school this autumn, each
        with an admission letter's number (a few without: assessed ineligible, with that reason)."""
        elig, disb = self.deployment.url("eligibility"), self.deployment.url("disbursement")
        campaign = f"aa-{self.campaign.removeprefix('ww-')}"
        families = people[:: max(1, round(1 / self.autumn_aid_share))]
        aid_list = write_csv(folder / f"{campaign}-金秋助学.csv", AID_HEADER, (
            [i, m.name, m.national_id, m.account, SCHOOLS[i % len(SCHOOLS)], "" if i % 50 == 7 else f"ADM-2026-{i:06d}"]
            for i, m in enumerate(families, start=1)))
        imported = await self._stage("autumn aid list imported", len(families), self._upload(
            f"{elig}/campaigns/{campaign}/imports?programme=autumn-education-aid&year={self.year}"
            f"&filename={aid_list.name}", aid_list))
        await self._post(f"{disb}/budgets", self.finance(key=True),
                         {"campaign": campaign, "programme": "autumn-education-aid",
                          "total_fen": max(imported["eligible_fen"], 100)})
        approved = await self._stage("autumn aid approvals", imported["eligible"],
                                     self._approve_import(elig, campaign, imported["import_id"]))
        summary = await self._await_outcomes(elig, campaign, approved, timeout=settle_timeout,
                                             stage="autumn aid paid or failed")
        budget = await self._get(f"{disb}/budgets/{campaign}", self.finance())
        return {"campaign": campaign, "listed": len(families), **{k: summary[k] for k in (
            "registered", "eligible", "ineligible", "approved", "settled", "failed", "settled_fen")},
            "budget_balanced": budget["total_fen"] == budget["available_fen"] + budget["reserved_fen"]
            + budget["paid_fen"]}

    async def _approve_import(self, elig: str, campaign: str, import_id: str) -> int:
        """Two approvers each approve the whole import: awards above the threshold need them both."""
        approved = 0
        for n in (1, 2):
            answer = await self._post(f"{elig}/campaigns/{campaign}/approvals",
                                      self.headers(f"ap-{self.region}-0{n}", Role.APPROVER, key=True),
                                      {"import_id": import_id})
            approved += answer["approved"]
        return approved

    async def _first_eligible(self, elig: str, import_id: str, count: int) -> list[str]:
        found: list[str] = []
        async for case in self._queue(elig, import_id, status="eligible"):
            if len(found) >= count:
                break
            found.append(str(case["case_id"]))
        return found

    async def _queue(self, elig: str, import_id: str, *, status: str) -> AsyncIterator[dict]:
        params: dict[str, Any] = {"import_id": import_id, "status": status, "limit": 1000}
        headers = self.headers(self.caseworker, Role.CASEWORKER)
        while True:
            page = await self._get(f"{elig}/cases", headers, params)
            for case in page["cases"]:
                yield case
            if not page["next_after"]:
                return
            params["after"] = page["next_after"]

    async def _upload(self, url: str, path: Path) -> dict:
        return await self._post(url, self.headers(self.caseworker, Role.CASEWORKER), content=path)

    async def _await_outcomes(self, elig: str, campaign: str, approved: int, *, timeout: float,
                              stage: str = "payments settled or failed") -> dict:
        """Wait until eligibility's summary shows every approval's payment settled or failed. Disbursement's
        count of its payments by status (its campaign-status index) is watched until then, and the summary,
        a scan of every case of the campaign, read only to confirm: polled instead, it took 3.5 s of
        PostgreSQL in a 100,000-recipient payment stage."""
        if self.before_stage:
            await self.before_stage(stage)
        task = self.progress.add_task(stage, total=approved)
        started = time.monotonic()
        budget, finance = f"{self.deployment.url('disbursement')}/budgets/{campaign}", self.finance()
        seen, seen_at = 0, started
        while True:
            counts = (await self._get(budget, finance))["payments"]
            paid, now = sum(counts.get(s, {}).get("payments", 0) for s in ("settled", "failed")), time.monotonic()
            self.progress.update(task, completed=paid)
            if paid >= approved:
                summary = await self._get(f"{elig}/campaigns/{campaign}/summary",
                                          self.headers(self.caseworker, Role.CASEWORKER))
                if (done := summary["settled"] + summary["failed"]) >= approved:
                    self.stage_seconds[stage] = time.monotonic() - started
                    self.stage_counts[stage] = done
                    return summary
            if now - started > timeout:
                raise TimeoutError(f"only {paid} of {approved} payments finished in {timeout:.0f} s")
            await asyncio.sleep(0.5 if paid >= approved else
                                _next_poll(approved - paid, (paid - seen) / max(now - seen_at, 1e-3)))
            seen, seen_at = paid, now

    def _report(self, summary: dict, files: dict, imported: dict, budget: dict, payments: list[dict],
                statement: Iterable[dict]) -> dict:
        booked = {e["instruction_id"]: e for e in statement}
        settled = [p for p in payments if p["status"] == "settled"]
        matched = [p for p in settled if str(p["payment_id"]) in booked
                   and booked[str(p["payment_id"])]["amount_fen"] == p["amount_fen"]]
        ours = {str(p["payment_id"]) for p in payments}
        failed_but_booked = [p for p in payments if p["status"] != "settled" and str(p["payment_id"]) in booked]
        return {
            "campaign": self.campaign,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "recipients": self.recipients,
            "hardship_files": {k: files[k] for k in ("import_id", "rows_read", "accepted", "rejected")},
            "import": {k: imported[k] for k in ("import_id", "status", "rows_read", "accepted", "rejected",
                                                "already_registered", "eligible", "ineligible", "eligible_fen",
                                                "first_errors")},
            "registered": summary["registered"],
            "eligible": summary["eligible"],
            "ineligible": summary["ineligible"],
            "approved": summary["approved"],
            "rejected": summary["rejected"],
            "settled": summary["settled"],
            "failed": summary["failed"],
            "budget_total_fen": budget["total_fen"],
            "budget_used_fen": budget["paid_fen"],
            "budget_reserved_fen": budget["reserved_fen"],
            "budget_available_fen": budget["available_fen"],
            "budget_balanced": budget["total_fen"] == budget["available_fen"] + budget["reserved_fen"] + budget["paid_fen"],
            "reconciliation": {
                "settled_payments": len(settled),
                "matched_to_bank_statement": len(matched),
                "unmatched": len(settled) - len(matched),
                "failed_but_booked_by_bank": len(failed_but_booked),
                "bank_booked_fen": sum(booked[i]["amount_fen"] for i in ours if i in booked),
                "ledger_paid_fen": budget["paid_fen"],
            },
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
            "stage_counts": self.stage_counts,
        }


def _next_poll(remaining: int, per_second: float) -> float:
    """Seconds until the next look at the payments: half the time the rest should take at the pace seen
    since the last look, between 1 and 10 s. Polled every second, eligibility's summary (a scan of every case
    of the campaign, up to 0.9 s of PostgreSQL under a campaign's load) took 21 s of PostgreSQL's time in an
    86 s payment stage."""
    return min(10.0, max(1.0, remaining / per_second / 2)) if per_second > 0 else 1.0


def write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> Path:
    """A roster as Excel on a caseworker's desk saves it: UTF-8 with a BOM."""
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


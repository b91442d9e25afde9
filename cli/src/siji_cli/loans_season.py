"""A season of interest-subsidised loans (贴息贷款, "抚工贷") at Fuzhou's size, driven through the HTTP
APIs: finance opens the subsidy fund (disbursement's budget), a caseworker registers 1,866 enterprises'
applications, two approvers approve them (maker-checker), the loans service forwards them to the bank,
which lends; the fund reserves each loan's projected subsidy and queues what it cannot cover until
finance tops it up. Then the bank's business date runs two years of quarters: each interest day the
bank reports what it charged (some periods overdue, some loans repaid early, a few extended or in
default), the loans service computes each period's subsidy and disbursement pays it through the bank's
batch files; the days with subsidy payments are reconciled against the bank's statements."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from siji_cli.driver import ApiDriver
from siji_cli.synthetic import Enterprise, enterprises
from siji_shared.auth import Role

PROGRAMME = "loan-subsidy"
BATCH = 500
QUARTER_ENDS = (3, 6, 9, 12)
SEASON_BANK = {"failure_rate": 0.0, "unavailable_rate": 0.0, "latency_ms": 5, "return_rate": 0.0,
               "duplicate_rate": 0.0, "late_rate": 0.0, "lump_rate": 0.0, "loan_decline_rate": 0.02,
               "early_repayment_rate": 0.01, "overdue_rate": 0.01, "extension_rate": 0.002, "default_rate": 0.2}


@dataclass
class LoansSeason(ApiDriver):
    borrowers: int = 1866
    year: int = 2026
    years: int = 2
    initial_fund_fen: int = 1_000_000_000  # CNY 10 million; the queue shows what is missing, then a top-up
    campaign: str = field(default_factory=lambda: f"fz-loan-2026-{uuid.uuid4().hex[:6]}")
    timeout: float = 600.0

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        with self._progress() as self.progress:
            async with httpx.AsyncClient(timeout=600.0) as self.http:
                report = await self._drive()
        report["wall_seconds"] = round(time.monotonic() - started, 2)
        return report

    async def _drive(self) -> dict[str, Any]:
        disb = self.deployment.url("disbursement")
        bank, loans = self.deployment.url("bank_sim"), self.deployment.url("loans")
        finance = self.finance()
        await self._request("PUT", f"{bank}/admin/behaviour", {}, json=SEASON_BANK)
        await self._post(f"{disb}/budgets", self.finance(key=True),
                         {"campaign": self.campaign, "programme": PROGRAMME, "total_fen": self.initial_fund_fen})
        firms = enterprises(self.borrowers, region=self.region, seed=hash(self.campaign) & 0xFFFF)
        answers = await self._stage("applications registered", len(firms), self._register(firms))
        eligible = [a["case_id"] for a in answers if a["status"] == "eligible"]
        approved = await self._stage("loans approved", len(eligible), self._approve(eligible))
        await self._stage("loans lent by the bank", approved, self._await(
            lambda r: r["disbursed"] + r["declined"] >= approved and not self._forwarding(r), loans, finance))
        fund = await self._get(f"{loans}/funds/{self.campaign}", finance)
        top_up = 0
        if fund["waiting_loans"]:
            top_up = (fund["waiting_fen"] - fund["available_fen"]) // 100 * 100 + 100_000_00
            await self._post(f"{disb}/budgets/{self.campaign}/top-ups",
                             self.finance(key=True), {"amount_fen": top_up})
            await self._await(lambda r: r["waiting"] == 0, loans, finance)
        waited = fund["waiting_loans"]
        paid_days = await self._run_quarters(bank, loans)
        reconciled = await self._reconcile(bank, paid_days)
        return await self._summary(loans, disb, finance, firms=len(firms), answers=answers, approved=approved,
                                   waited=waited, top_up=top_up, reconciled=reconciled)

    def _forwarding(self, region_report: dict[str, Any]) -> bool:
        return bool(region_report["loans"] - region_report["disbursed"] - region_report["declined"])

    async def _register(self, firms: list[Enterprise]) -> list[dict[str, Any]]:
        elig = self.deployment.url("eligibility")
        answers: list[dict[str, Any]] = []
        for start in range(0, len(firms), BATCH):
            chunk = firms[start:start + BATCH]
            body = {"programme": PROGRAMME, "campaign": self.campaign, "year": self.year,
                    "applications": [f.application() for f in chunk]}
            answer = await self._post(f"{elig}/loan-applications",
                                      self.headers(f"cw-{self.region}-01", Role.CASEWORKER, key=True), body)
            answers += answer["applications"]
        return answers

    async def _approve(self, case_ids: list[str]) -> int:
        """Two approvers each approve the selection: loans above the threshold need them both."""
        elig = self.deployment.url("eligibility")
        approved = 0
        for n in (1, 2):
            for start in range(0, len(case_ids), 1000):
                answer = await self._post(f"{elig}/campaigns/{self.campaign}/approvals",
                                          self.headers(f"ap-{self.region}-0{n}", Role.APPROVER, key=True),
                                          {"case_ids": case_ids[start:start + 1000]})
                approved += answer["approved"]
        return approved

    async def _await(self, done: Any, loans: str, headers: dict[str, str]) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            report = await self._get(f"{loans}/reports", headers, {"campaign": self.campaign})
            mine = next((r for r in report["regions"] if r["campaign"] == self.campaign), None)
            if mine and done(mine):
                return mine
            if time.monotonic() > deadline:
                raise TimeoutError(f"the loans of {self.campaign} did not get there in {self.timeout:.0f} s: {mine}")
            await asyncio.sleep(0.5)

    async def _run_quarters(self, bank: str, loans: str) -> list[str]:
        """Close the bank's days up to just past each interest day; after each, wait until the loans
        service has taken every bank event and every subsidy it owes is paid. The days the subsidies
        were paid on come back, for reconciliation."""
        finance = self.finance()
        started = time.monotonic()
        today = date.fromisoformat((await self._get(f"{bank}/v1/business-date", {}))["business_date"])
        end = date(today.year + self.years + 1, today.month, 28)  # past every maturity, extensions too
        task = self.progress.add_task("bank quarters, subsidies paid", total=4 * self.years + 1)
        paid_days: list[str] = []
        while today <= end:
            target, closed = _next_interest_day(today), today - timedelta(days=1)
            while closed < target:  # the bank reports an interest day's charges when it closes that day or the next
                days = min(31, max(1, (target - today).days * 5 // 7))
                answer = await self._post(f"{bank}/admin/business-date/advance", {}, {"days": days})
                today, closed = date.fromisoformat(answer["business_date"]), date.fromisoformat(answer["closed"][-1])
            mine = await self._caught_up(bank, loans, finance)
            paid_days.append(today.isoformat())
            self.progress.advance(task)
            if not mine["active"] and not mine["waiting"]:
                break
        self.stage_seconds["bank quarters, subsidies paid"] = time.monotonic() - started
        return paid_days

    async def _caught_up(self, bank: str, loans: str, headers: dict[str, str]) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            last = (await self._get(f"{bank}/v1/loan-events", {}, {"after": 0, "limit": 1}))["newest_seq"]
            taken = (await self._get(f"{loans}/bank-feed", headers))["last_seq"]
            fund = await self._get(f"{loans}/funds/{self.campaign}", headers)
            if taken >= last and fund["due_fen"] == 0:
                return await self._await(lambda r: True, loans, headers)
            if time.monotonic() > deadline:
                raise TimeoutError(f"the loans service took {taken} of {last} bank events, {fund['due_fen']} fen "
                                   f"still unpaid, in {self.timeout:.0f} s")
            await asyncio.sleep(0.3)

    async def _reconcile(self, bank: str, paid_days: list[str]) -> dict[str, Any]:
        """One more day closed books the last payments; then each day that had subsidy payments is
        reconciled against its statement: matched, or explained."""
        await self._post(f"{bank}/admin/business-date/advance", {}, {"days": 1})
        recon, finance = self.deployment.url("reconciliation"), self.finance()
        days, deadline = {}, time.monotonic() + self.timeout
        for day in paid_days:
            while True:
                response = await self.http.get(f"{recon}/days/{day}", headers=finance)
                if response.status_code == 200 and response.json()["closed"]:
                    days[day] = response.json()
                    break
                if time.monotonic() > deadline:
                    days[day] = response.json() if response.status_code == 200 else {"closed": False}
                    break
                await asyncio.sleep(0.5)
        return {"days": len(days), "closed": sum(bool(d.get("closed")) for d in days.values()),
                "unexplained": sum(d.get("unexplained", 0) for d in days.values())}

    async def _summary(self, loans: str, disb: str, finance: dict[str, str], *, firms: int,
                       answers: list[dict[str, Any]], approved: int, waited: int, top_up: int,
                       reconciled: dict[str, Any]) -> dict[str, Any]:
        report = await self._get(f"{loans}/reports", finance, {"campaign": self.campaign})
        mine = next(r for r in report["regions"] if r["campaign"] == self.campaign)
        fund = await self._get(f"{loans}/funds/{self.campaign}", finance)
        budget = await self._get(f"{disb}/budgets/{self.campaign}", finance)
        paid = report["periods"].get("paid", {}).get("subsidy_fen", 0)
        return {
            "programme": PROGRAMME, "region": self.region, "campaign": self.campaign, "enterprises": firms,
            "eligible": sum(a["status"] == "eligible" for a in answers), "approved": approved,
            "loans_disbursed": mine["disbursed"], "jobs_created": mine["jobs_created"],
            "declined_by_bank": mine["declined"], "principal_fen": mine["principal_fen"],
            "subsidy_paid_fen": paid, "fund_total_fen": fund["total_fen"], "fund_left_fen": fund["available_fen"],
            "subsidy_paid_within_fund": paid <= fund["total_fen"],
            "budget_paid_fen": budget["paid_fen"], "waited_for_fund": waited, "top_up_fen": top_up,
            "repaid_early": mine["repaid_early"], "defaulted": mine["defaulted"], "clawback_fen": mine["clawback_fen"],
            "periods": report["periods"], "reconciliation": reconciled,
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
        }


def _next_interest_day(day: date, interest_day: int = 20) -> date:
    """The first 20th of a quarter's last month on or after `day`."""
    for year in (day.year, day.year + 1):
        for month in QUARTER_ENDS:
            if date(year, month, interest_day) >= day:
                return date(year, month, interest_day)
    raise AssertionError("unreachable: a quarter ends within a year")

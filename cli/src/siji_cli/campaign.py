"""A winter-warmth campaign driven through the caseworker HTTP APIs, as a union would run it:
finance sets the budget, caseworkers open hardship files and register cases, approvers decide,
the services pay through Kafka and the bank; then the outcome is summarised and reconciled."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from siji_cli.services import Deployment
from siji_cli.synthetic import Member, members
from siji_shared.auth import Role, issue_token

PROGRAMME = "winter-warmth"
RETRY_SECONDS = 60.0  # long enough to ride out a service restart


@dataclass
class CampaignRun:
    deployment: Deployment
    recipients: int
    region: str = "taicang"
    year: int = 2026
    concurrency: int = 48
    reject_share: float = 0.01
    duplicate_share: float = 0.01
    show_progress: bool = True
    campaign: str = field(default_factory=lambda: f"ww-2026-{uuid.uuid4().hex[:8]}")
    stage_seconds: dict[str, float] = field(default_factory=dict)
    stage_counts: dict[str, int] = field(default_factory=dict)
    before_stage: Callable[[str], Awaitable[None]] | None = None

    def token(self, user: str, role: Role) -> str:
        return issue_token(self.deployment.token_secret, user=user, role=role, region=self.region)

    async def run(self, *, settle_timeout: float = 600.0) -> dict:
        people = members(self.recipients, region=self.region, seed=hash(self.campaign) & 0xFFFF)
        caseworker = {"Authorization": f"Bearer {self.token(f'cw-{self.region}-01', Role.CASEWORKER)}"}
        approvers = [{"Authorization": f"Bearer {self.token(f'ap-{self.region}-0{i}', Role.APPROVER)}"}
                     for i in (1, 2)]
        finance = {"Authorization": f"Bearer {self.token(f'fin-{self.region}-01', Role.FINANCE)}"}
        started = time.monotonic()
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        with self._progress() as progress:
            async with httpx.AsyncClient(timeout=60.0, limits=limits) as http:
                report = await self._drive(http, progress, people, caseworker, approvers, finance, settle_timeout)
        report["wall_seconds"] = round(time.monotonic() - started, 2)
        return report

    async def _drive(self, http: httpx.AsyncClient, progress: Progress, people: list[Member], caseworker: dict,
                     approvers: list[dict], finance: dict, settle_timeout: float) -> dict:
        self.http, self.progress = http, progress
        elig, disb = self.deployment.url("eligibility"), self.deployment.url("disbursement")
        with_files = [m for m in people if m.level]
        await self._each("hardship files", with_files, lambda m: self._post(
            f"{elig}/hardship-files", caseworker, {"national_id": m.national_id, "name": m.name,
                                                   "level": m.level, "valid_until": m.file_valid_until.isoformat()}))

        duplicates = people[: int(len(people) * self.duplicate_share)]
        cases = await self._each("cases registered", [*people, *duplicates], lambda m: self._post(
            f"{elig}/cases", caseworker, {"programme": PROGRAMME, "campaign": self.campaign, "year": self.year,
                                          "national_id": m.national_id, "payee_name": m.name,
                                          "payee_account": m.account}))

        eligible = [c for c in cases if c["status"] == "eligible"]
        await self._budget(disb, finance, eligible)
        to_reject = eligible[: int(len(eligible) * self.reject_share)]
        to_approve = eligible[len(to_reject):]
        await self._each("cases rejected", to_reject, lambda c: self._post(
            f"{elig}/cases/{c['case_id']}/reject", approvers[0],
            {"reason": "household income above the limit on review"}))
        await self._each("approvals", to_approve, lambda c: self._approve(elig, approvers, c))

        summary = await self._await_outcomes(elig, caseworker, len(to_approve), timeout=settle_timeout)
        budget = (await http.get(f"{disb}/budgets/{self.campaign}", headers=finance)).json()
        payments = (await http.get(f"{disb}/campaigns/{self.campaign}/payments", headers=finance)).json()
        statement = (await http.get(f"{self.deployment.url('bank_sim')}/v1/statement")).json()
        return self._report(summary, budget, payments["payments"], statement["entries"])

    async def _budget(self, disb: str, finance: dict, eligible: list[dict]) -> dict:
        """Finance allocates the assessed awards plus a 5 % reserve, in whole yuan."""
        total = (sum(c["amount_fen"] for c in eligible) * 105 // 100) // 100 * 100
        return await self._post(f"{disb}/budgets", finance,
                                {"campaign": self.campaign, "programme": PROGRAMME, "total_fen": total})

    async def _approve(self, elig: str, approvers: list[dict], case: dict) -> dict:
        result = await self._post(f"{elig}/cases/{case['case_id']}/approve", approvers[0], None)
        if result["status"] == "awaiting_second_approval":
            result = await self._post(f"{elig}/cases/{case['case_id']}/approve", approvers[1], None)
        return result

    async def _post(self, url: str, headers: dict, body: dict | None) -> dict:
        """Every write carries an Idempotency-Key, and a retry after a lost answer reuses it."""
        headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        deadline = time.monotonic() + RETRY_SECONDS
        attempt = 0
        while True:
            try:
                response = await self.http.post(url, json=body, headers=headers)
                if response.status_code < 500:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"POST {url}: no answer within {RETRY_SECONDS} s")
            attempt += 1
            await asyncio.sleep(min(0.1 * 2 ** attempt, 2.0))
        if response.status_code >= 400:
            raise RuntimeError(f"POST {url} -> {response.status_code}: {response.text}")
        return response.json()

    async def _each(self, stage: str, items: list, call: Callable[[object], Awaitable[dict]]) -> list[dict]:
        if self.before_stage:
            await self.before_stage(stage)
        task = self.progress.add_task(stage, total=len(items))
        slots = asyncio.Semaphore(self.concurrency)
        started = time.monotonic()

        async def one(item):
            async with slots:
                result = await call(item)
            self.progress.advance(task)
            return result

        results = await asyncio.gather(*(one(i) for i in items))
        self.stage_seconds[stage] = time.monotonic() - started
        self.stage_counts[stage] = len(items)
        return results

    async def _await_outcomes(self, elig: str, headers: dict, approved: int, *, timeout: float) -> dict:
        if self.before_stage:
            await self.before_stage("payments settled or failed")
        task = self.progress.add_task("payments settled or failed", total=approved)
        started = time.monotonic()
        while True:
            summary = (await self.http.get(f"{elig}/campaigns/{self.campaign}/summary", headers=headers)).json()
            done = summary["settled"] + summary["failed"]
            self.progress.update(task, completed=done)
            if done >= approved:
                self.stage_seconds["payments settled or failed"] = time.monotonic() - started
                self.stage_counts["payments settled or failed"] = done
                return summary
            if time.monotonic() - started > timeout:
                raise TimeoutError(f"only {done} of {approved} payments finished in {timeout:.0f}s")
            await asyncio.sleep(0.25)

    def _progress(self) -> Progress:
        return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        disable=not self.show_progress)

    def _report(self, summary: dict, budget: dict, payments: list[dict], statement: Iterable[dict]) -> dict:
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

"""A summer-cooling campaign (夏送清凉) at Fuzhou's size, driven through the HTTP APIs: a caseworker imports
the frontline workers' registrations (花名册: construction, sanitation, couriers, riders, drivers … with
the station that serves them) and an approver approves them; logistics opens the campaign with its kit,
lists 300 stations (60 open 24 hours), receives stock in two deliveries, plans, ships and has every
delivery counted (a few short, one over); the stations hand the kits out, three of them offline and
uploading later (a few workers served at two of them); surpluses go back and breakages are written off.
The summary shows coverage and, per item, received = handed out + in stock + in transit + written off."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from siji_cli.campaign import write_csv
from siji_cli.driver import ApiDriver
from siji_cli.synthetic import dirty_rows, members
from siji_shared.auth import Role

PROGRAMME = "summer-cooling"
KIT = {"water": 12, "herbal_tea": 6, "huoxiang": 2, "sunscreen": 1, "cooling_oil": 1}
OCCUPATIONS = ["建筑工人", "环卫工人", "快递员", "外卖骑手", "网约车司机", "货车司机", "园林绿化", "保安"]
HEADER = ["序号", "姓名", "身份证号", "职业", "站点", "登记渠道"]
WAREHOUSE = "fz-wh-01"
OFFLINE_STATIONS = 3


@dataclass
class CoolingSeason(ApiDriver):
    workers: int = 37_000
    stations: int = 300
    year: int = 2026
    reach_share: float = 0.96
    campaign: str = field(default_factory=lambda: f"sc-2026-{uuid.uuid4().hex[:6]}")
    timeout: float = 600.0

    async def run(self) -> dict[str, Any]:
        started = time.monotonic()
        with self._progress() as self.progress, tempfile.TemporaryDirectory(prefix="siji-cooling-") as folder:
            async with httpx.AsyncClient(timeout=600.0) as self.http:
                report = await self._drive(Path(folder))
        report["wall_seconds"] = round(time.monotonic() - started, 2)
        return report

    def _staff(self, key: bool = True) -> dict[str, str]:
        return self.headers(f"cw-{self.region}-01", Role.CASEWORKER, key=key)

    async def _drive(self, folder: Path) -> dict[str, Any]:
        elig, cool = self.deployment.url("eligibility"), self.deployment.url("cooling")
        rng = random.Random(hash(self.campaign) & 0xFFFF)
        sites = [f"{self.region[:2]}-st-{n:03d}" for n in range(1, self.stations + 1)]
        people = members(self.workers, region=self.region, seed=hash(self.campaign) & 0xFFFF)
        at_site = {m.national_id: sites[min(int(rng.paretovariate(1.2)) - 1, len(sites) - 1) if i % 3 == 0
                                         else rng.randrange(len(sites))] for i, m in enumerate(people)}
        roster = write_csv(folder / f"{self.campaign}-夏送清凉花名册.csv", HEADER, (
            [i, *row] for i, row in enumerate([
                *([m.name, m.national_id, OCCUPATIONS[i % len(OCCUPATIONS)], at_site[m.national_id],
                   "驿站" if i % 4 == 0 else "单位工会"] for i, m in enumerate(people)),
                *([name, national_id, "建筑工人", sites[0], "单位工会"] for name, national_id, _ in
                  dirty_rows(5, region=self.region))], start=1)))
        await self._post(f"{cool}/campaigns", self._staff(), {
            "campaign": self.campaign, "title": "2026年福州市夏送清凉", "starts_on": f"{self.year}-07-01",
            "ends_on": f"{self.year}-09-30", "kit": KIT})
        await self._post(f"{cool}/campaigns/{self.campaign}/sites", self._staff(), [
            {"site": s, "name": f"工会驿站{n:03d}", "region": self.region, "kind": "station", "open_24h": n <= 60}
            for n, s in enumerate(sites, start=1)])
        imported = await self._stage("registrations imported", len(people), self._post(
            f"{elig}/campaigns/{self.campaign}/imports?programme={PROGRAMME}&year={self.year}&filename={roster.name}",
            self.headers(f"cw-{self.region}-01", Role.CASEWORKER), content=roster))
        approved = await self._stage("registrations approved", imported["eligible"], self._post(
            f"{elig}/campaigns/{self.campaign}/approvals", self.headers(f"ap-{self.region}-01", Role.APPROVER, key=True),
            {"import_id": imported["import_id"]}))
        await self._stage("registrations at the sites", approved["approved"],
                          self._until(lambda r: r["registered"] >= approved["approved"]))

        shipped = await self._stage("stock received, planned, shipped", approved["approved"], self._supply(
            approved["approved"]))
        deliveries = await self._stage("deliveries counted", len(shipped), self._count_deliveries(shipped, rng))
        served = [m for m in people if m.national_id in at_site and rng.random() < self.reach_share]
        handouts = await self._stage("kits handed out", len(served), self._hand_out(served, at_site, sites))
        returns = await self._return_surplus()
        await self._post(f"{cool}/campaigns/{self.campaign}/write-offs", self._staff(), {
            "location": f"warehouse:{WAREHOUSE}", "items": {"water": 24},
            "reason": "运输破损：两箱瓶装水破裂（two cases of water broken in handling）"})
        report = await self._get(f"{cool}/campaigns/{self.campaign}/report", self._staff(key=False))
        return {
            "programme": PROGRAMME, "region": self.region, "campaign": self.campaign,
            "workers_listed": imported["rows_read"], "registered": report["registered"], "reached": report["reached"],
            "coverage_percent": report["coverage_percent"], "over_issues": report["over_issues"],
            "accounts_balanced": report["accounts_balanced"], "items": report["items"],
            "import": {k: imported[k] for k in ("rows_read", "accepted", "rejected", "eligible", "ineligible")},
            "sites": len(report["sites"]), "shipments": len(shipped), "deliveries": deliveries,
            "handouts": handouts, "returned": returns, "shortages": report["shortages"],
            "stage_seconds": {k: round(v, 2) for k, v in self.stage_seconds.items()},
        }

    async def _until(self, done: Any) -> dict[str, Any]:
        cool, deadline = self.deployment.url("cooling"), time.monotonic() + self.timeout
        while True:
            report = await self._get(f"{cool}/campaigns/{self.campaign}/report", self._staff(key=False))
            if done(report):
                return report
            if time.monotonic() > deadline:
                raise TimeoutError(f"the cooling service did not get there in {self.timeout:.0f} s")
            await asyncio.sleep(0.5)

    async def _supply(self, workers: int) -> list[dict[str, Any]]:
        """Two deliveries from the supplier: the first short of one item (the plan covers what it makes
        up), the second the rest and a margin of at least four kits, which stays in the warehouse; plan and
        ship after each."""
        cool, shipped = self.deployment.url("cooling"), []
        first = {item: n * workers * 8 // 10 for item, n in KIT.items()}
        first["huoxiang"] = KIT["huoxiang"] * workers * 7 // 10
        second = {item: n * (workers + max(workers // 50, 4)) - first[item] for item, n in KIT.items()}
        for note, items in (("SHD-2026-0601", first), ("SHD-2026-0615", second)):
            await self._post(f"{cool}/campaigns/{self.campaign}/stock", self._staff(),
                             {"warehouse": WAREHOUSE, "delivery_note": note, "items": items})
            await self._post(f"{cool}/campaigns/{self.campaign}/plan", self._staff(key=False))
            answer = await self._post(f"{cool}/campaigns/{self.campaign}/shipments?warehouse={WAREHOUSE}", self._staff())
            shipped += answer["shipments"]
        return shipped

    async def _count_deliveries(self, shipped: list[dict[str, Any]], rng: random.Random) -> dict[str, int]:
        """Every site counts what arrived: now and then a few bottles short, once a box over."""
        cool, outcome = self.deployment.url("cooling"), {"exact": 0, "short": 0, "over": 0}
        for n, shipment in enumerate(shipped):
            counted = {item: q * shipment["kits"] for item, q in KIT.items()}
            if n % 37 == 5:
                counted["water"] -= rng.randint(1, 6)
                outcome["short"] += 1
            elif n == 11:
                counted["herbal_tea"] += 6
                outcome["over"] += 1
            else:
                outcome["exact"] += 1
            await self._post(f"{cool}/shipments/{shipment['shipment_id']}/delivery", self._staff(), {"counted": counted})
        return outcome

    async def _hand_out(self, served: list, at_site: dict[str, str], sites: list[str]) -> dict[str, int]:
        """Each station scans its workers live; three were offline all day and upload their records in the
        evening, with their own times; a few workers went to two of them."""
        cool, totals = self.deployment.url("cooling"), {"handed_out": 0, "over_issue": 0, "refused": 0}
        offline = set(sites[-OFFLINE_STATIONS:])
        by_site: dict[str, list] = {}
        day = datetime(self.year, 7, 15, 8, tzinfo=UTC)
        for n, m in enumerate(served):
            by_site.setdefault(at_site[m.national_id], []).append((m, day + timedelta(seconds=7 * n)))
        twice = [(m, at + timedelta(minutes=40)) for m, at in by_site.get(sites[-1], [])[:4]]
        by_site.setdefault(sites[-2], []).extend(twice)  # served again at a second offline station
        for code in sorted(by_site, key=lambda s: s in offline):  # the offline stations upload last
            records = by_site[code]
            for start in range(0, len(records), 2000):
                answer = await self._post(f"{cool}/campaigns/{self.campaign}/handouts", self._staff(), {
                    "site": code, "recorded": "offline" if code in offline else "live",
                    "records": [{"national_id": m.national_id, "at": at.isoformat(),
                                 "station_ref": f"{code}-{start + i:05d}"}
                                for i, (m, at) in enumerate(records[start:start + 2000])]})
                for key in totals:
                    totals[key] += answer.get(key, 0)
                self.progress.advance(self.progress.task_ids[-1], len(records[start:start + 2000]))
        return totals

    async def _return_surplus(self) -> int:
        """What is left at the sites goes back to the warehouse."""
        cool = self.deployment.url("cooling")
        report = await self._get(f"{cool}/campaigns/{self.campaign}/report", self._staff(key=False))
        returned = 0
        for s in report["sites"]:
            left = {item: n for item, n in s["stock"].items() if n > 0}
            if left:
                await self._post(f"{cool}/campaigns/{self.campaign}/returns", self._staff(),
                                 {"site": s["site"], "warehouse": WAREHOUSE, "items": left})
                returned += sum(left.values())
        return returned

"""`make soak`: a longer mixed load under random faults, not in CI. On infrastructure of its own (ports
apart from the tests' and the bench's), two instances of every service run winter-warmth campaigns
(with autumn aid) and summer-cooling campaigns back to back, two at a time, while every 20 to 60 s one
fault strikes at random: a service instance killed (kill -9) and restarted, the broker stopped, PostgreSQL
restarted, the bank down, slow or losing its answers. At the end the audit replays every stream and
checks every book. Prints what it survived and exits 1 when anything was lost, paid twice or unbalanced.

    make soak                                   # 20 minutes
    .venv/bin/python bench/soak.py --minutes 5 --seed 7
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

from audit.verify import verify
from siji_cli import faults
from siji_cli.campaign import CampaignRun
from siji_cli.cooling_season import CoolingSeason
from siji_cli.infra.stack import Infrastructure
from siji_cli.paths import ROOT
from siji_cli.services import SERVICES, Deployment
from siji_cli.settings import CliSettings

STATE = ROOT / ".state" / "soak"
DOUBLED = [spec.name for spec in SERVICES if spec.uses_infra]

Fault = tuple[str, Callable[[], Awaitable[None]]]


def fault_menu(infra: Infrastructure, deployment: Deployment, rng: random.Random) -> list[Callable[[], Fault]]:
    kafka, postgres = infra.kafka, infra.postgres

    def kill() -> Fault:
        name, instance = rng.choice([*((n, i) for n in DOUBLED for i in (0, 1)), ("bank_sim", 0)])
        down = round(rng.uniform(0, 10), 1)
        return (f"kill -9 {name}#{instance}, down {down} s",
                lambda: faults.kill_and_restart(deployment, name, instance=instance, down_for=down))

    def broker() -> Fault:
        assert kafka is not None
        seconds = round(rng.uniform(5, 20), 1)
        return f"the broker stopped for {seconds} s", lambda: faults.broker_outage(kafka, seconds)

    def database() -> Fault:
        assert postgres is not None
        pause = round(rng.uniform(1, 5), 1)
        return f"PostgreSQL restarted after {pause} s", lambda: faults.postgres_restart(postgres, pause)

    def bank_down() -> Fault:
        seconds = round(rng.uniform(10, 30), 1)
        return f"the bank down for {seconds} s", lambda: faults.bank_outage(deployment, seconds)

    def bank_misbehaves() -> Fault:
        seconds = round(rng.uniform(10, 30), 1)
        how = rng.choice([{"latency_ms": 1500}, {"lost_answer_rate": 0.5}])

        async def misbehave() -> None:
            await faults.bank_behaves(deployment, **how)
            await asyncio.sleep(seconds)
            await faults.bank_behaves(deployment)

        return f"the bank {how} for {seconds} s", misbehave

    return [kill, kill, kill, bank_down, bank_misbehaves, *([broker] if kafka else []),
            *([database] if postgres else [])]


async def soak(infra: Infrastructure, deployment: Deployment, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    started = time.monotonic()
    deadline = started + args.minutes * 60
    reports: list[dict[str, Any]] = []
    struck: list[dict[str, Any]] = []

    def one_season() -> Awaitable[dict[str, Any]]:
        if rng.random() < 0.25:
            return CoolingSeason(deployment, workers=args.recipients, stations=40, show_progress=False).run()
        return CampaignRun(deployment, recipients=args.recipients, show_progress=False,
                           close_bank_day=False).run(settle_timeout=1800)

    async def load(lane: int) -> None:
        while time.monotonic() < deadline:
            reports.append(await one_season())
            print(f"lane {lane}: {len(reports)} seasons done", file=sys.stderr)

    async def strike() -> None:
        menu = fault_menu(infra, deployment, rng)
        while True:
            await asyncio.sleep(rng.uniform(20, 60))
            if time.monotonic() >= deadline:
                return
            what, fault = rng.choice(menu)()
            at = time.monotonic()
            print(f"{at - started:7.1f} s: {what}", file=sys.stderr)
            await fault()
            struck.append({"at_s": round(at - started, 1), "fault": what, "took_s": round(time.monotonic() - at, 1)})

    await asyncio.gather(load(1), load(2), strike())
    audit = await verify(infra.kafka_connection, infra.database_url)
    winter = [r for r in reports if "approved" in r]
    cooling = [r for r in reports if r.get("programme") == "summer-cooling"]
    return {
        "minutes": round((time.monotonic() - started) / 60, 1), "seed": args.seed, "faults": struck,
        "winter_campaigns": len(winter), "cooling_campaigns": len(cooling),
        "cases_approved": sum(r["approved"] for r in winter), "settled": sum(r["settled"] for r in winter),
        "failed": sum(r["failed"] for r in winter),
        "budgets_balanced": all(r["budget_balanced"] for r in winter),
        "unmatched_at_the_bank": sum(r["reconciliation"]["unmatched"] for r in winter),
        "cooling_accounts_balanced": all(r["accounts_balanced"] for r in cooling),
        "kits_handed_out": sum(r["handouts"]["handed_out"] for r in cooling),
        "audit_clean": audit.clean, "violations": [str(v) for v in audit.violations[:20]],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--recipients", type=int, default=2000, help="per campaign")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    base = CliSettings()
    shutil.rmtree(STATE, ignore_errors=True)
    infra = Infrastructure.apart(STATE, kafka_port=19592, postgres_port=15832)
    deployment = Deployment(state_dir=STATE, bootstrap_servers=infra.bootstrap_servers,
                            kafka_passwords=infra.kafka_passwords, database_url=infra.database_url,
                            token_secret=base.token_secret, pii_key="soak-pii-key", port_offset=3000,
                            extra_env={"BANK_SIM_LATENCY_MS": "100", "BANK_SIM_FAILURE_RATE": "0.03",
                                       "DISBURSEMENT_DISPATCH_BATCH_SIZE": "200"})
    try:
        infra.up()
        deployment.start_all()
        for name in DOUBLED:
            deployment.start(name, instance=1)
        result = asyncio.run(soak(infra, deployment, args))
    finally:
        deployment.stop_all()
        infra.down()
    survived = (result["audit_clean"] and result["budgets_balanced"] and result["cooling_accounts_balanced"]
                and result["unmatched_at_the_bank"] == 0 and result["settled"] + result["failed"] == result["cases_approved"])
    print(json.dumps({**result, "survived": survived}, indent=2, ensure_ascii=False))
    sys.exit(0 if survived else 1)


if __name__ == "__main__":
    main()

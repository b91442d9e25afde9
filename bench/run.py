"""`make bench`: on one fresh set of infrastructure, in one run: the raw baseline (the best the same
Kafka and PostgreSQL do: set-based SQL, tuned idempotent produce), Siji's outbox relay draining a
backlog, a 100,000-recipient winter-warmth campaign through the bulk path (hardship roster, campaign
list, batch approval, bank batch files), and the single-case routes at a fixed request rate. Every
stage is reported with its ratio to its baseline. Writes bench/results/latest.json, latest.md and a
timestamped copy. CI times nothing."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import platform
import shutil
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

import cpu
import statements
from api_load import fixed_rate
from audit.replay import replay
from baseline import kafka_produce_consume, outbox_relay_drain, postgres_handler_work
from contracts import encode, new_envelope
from contracts.eligibility import CaseRegisteredV1
from contracts.topics import Topic
from siji_cli.campaign import CASES_HEADER, CampaignRun, write_csv
from siji_cli.driver import file_chunks
from siji_cli.infra.stack import Infrastructure
from siji_cli.paths import ROOT
from siji_cli.services import Deployment
from siji_cli.settings import CliSettings
from siji_cli.status import end_offsets
from siji_cli.synthetic import HARDSHIP_HEADER, members
from siji_shared.auth import Role, issue_token
from siji_shared.kafka import event_headers, idempotent_producer

RESULTS = Path(__file__).parent / "results"
STATE = ROOT / ".state" / "bench"


async def campaign_timings(database_url: str, campaign: str) -> dict[str, Any]:
    """What the services sustained, from their own tables' timestamps, once the last approval was in
    (before it they wait for approvals, not for their own work): the consumer's rate (payments
    instructed) and the bank path's (payments finished); and each recipient's import-to-outcome latency."""
    conn = await asyncpg.connect(database_url)
    try:
        approved = await conn.fetchval(  # from the cases' trails: a case's updated_at moves on later
            "SELECT max(h.at) FROM eligibility.case_history h JOIN eligibility.cases c USING (case_id) "
            "WHERE c.campaign = $1 AND h.action = 'approved'", campaign)
        instructed = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM max(created_at) - $2) AS s "
            "FROM disbursement.payments WHERE campaign = $1 AND created_at >= $2", campaign, approved)
        finished = await conn.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM max(updated_at) - $2) AS s "
            "FROM disbursement.payments WHERE campaign = $1 AND status <> 'instructed' AND updated_at >= $2",
            campaign, approved)
        latency = await conn.fetchrow(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50, "
            "       percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99 "
            "FROM (SELECT extract(epoch FROM p.updated_at - c.created_at) AS s FROM disbursement.payments p "
            "      JOIN eligibility.cases c ON c.case_id = p.case_id WHERE p.campaign = $1) t", campaign)
    finally:
        await conn.close()
    return {"consumer_per_s": instructed["n"] / max(float(instructed["s"] or 0), 1e-3),
            "finished_per_s": finished["n"] / max(float(finished["s"] or 0), 1e-3),
            "latency_p50_s": round(float(latency["p50"] or 0), 2), "latency_p99_s": round(float(latency["p99"] or 0), 2)}


async def audit_replay(infra: Infrastructure, *, at_least: int) -> dict[str, Any]:
    """`siji audit replay` over every topic once they hold at least `at_least` events: the campaign's, topped
    up with registrations of a synthetic campaign (labelled as the relay labels them; events the projections
    skip, as they would a real campaign's history) where it falls short. Its rate: events read and projected per second."""
    kafka = infra.kafka_connection
    held = sum((await end_offsets(kafka, [topic.value for topic in Topic])).values())
    if held < at_least:
        producer = idempotent_producer(kafka, client_id="bench-history")
        await producer.start()
        try:
            for start in range(held, at_least, 10_000):
                await asyncio.gather(*[await producer.send(Topic.ELIGIBILITY_ASSESSMENTS.value, body, key=key,
                                                           headers=event_headers("case.registered"))
                                       for key, body in (_registration() for _ in range(min(10_000, at_least - start)))])
        finally:
            await producer.stop()
    report = await replay(kafka, infra.database_url)
    return {"events": report.events, "seconds": round(report.seconds, 2), "events_per_s": report.events_per_second,
            "clean": report.clean}


def _registration() -> tuple[bytes, bytes]:
    case_id = uuid.uuid4()
    return str(case_id).encode(), encode(new_envelope(CaseRegisteredV1(
        case_id=case_id, campaign="bench-history", programme="winter-warmth", region="taicang", year=2026,
        member_ref=uuid.uuid4().hex, registered_by="cw-bench"), producer="bench"))


async def single_case_routes(deployment: Deployment, *, rate: float, seconds: float) -> dict[str, Any]:
    """Register, approve and show one case at a time at a fixed arrival rate (open loop), on a campaign
    of its own whose cases an import prepared."""
    region, campaign = "taicang", f"api-{uuid.uuid4().hex[:8]}"
    elig = deployment.url("eligibility")
    total = int(rate * seconds)
    people = members(total, region=region, seed=99)
    auth = {role: {"Authorization": "Bearer " + issue_token(deployment.token_secret, user=user, role=role,
                                                           region=region)}
            for role, user in ((Role.CASEWORKER, "cw-api"), (Role.APPROVER, "ap-api"))}
    folder = STATE / "api-load"
    folder.mkdir(parents=True, exist_ok=True)
    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=400)) as http:
        roster = write_csv(folder / "files.csv", HARDSHIP_HEADER, (  # every household in relative hardship
            [i, m.name, m.national_id, 1, "1300.00", ""] for i, m in enumerate(people)))
        await http.post(f"{elig}/hardship-files/imports", content=file_chunks(roster), headers=auth[Role.CASEWORKER])
        listed = write_csv(folder / "cases.csv", CASES_HEADER, ([i, m.name, m.national_id, m.account]
                                                                for i, m in enumerate(people[: total // 3 + 1])))
        imported = (await http.post(f"{elig}/campaigns/{campaign}/imports?programme=winter-warmth&year=2026",
                                    content=file_chunks(listed), headers=auth[Role.CASEWORKER])).json()
        cases, after = [], None
        while True:
            page = (await http.get(f"{elig}/cases", headers=auth[Role.CASEWORKER], params={
                "import_id": imported["import_id"], "limit": 1000, **({"after": after} if after else {})})).json()
            cases += [c["case_id"] for c in page["cases"]]
            if not (after := page["next_after"]):
                break
        fresh = itertools.count(total // 3 + 1)
        await http.post(f"{deployment.url('disbursement')}/budgets", headers={
            "Authorization": "Bearer " + issue_token(deployment.token_secret, user="fin-api", role=Role.FINANCE,
                                                     region=region), "Idempotency-Key": campaign},
                        json={"campaign": campaign, "programme": "winter-warmth", "total_fen": 10**10})

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=400)) as session:
        async def status(response: Awaitable[aiohttp.ClientResponse]) -> int:
            async with await response as answer:
                await answer.read()
                return answer.status

        def request(i: int) -> Awaitable[int]:
            key = {"Idempotency-Key": str(uuid.uuid4())}
            if i % 3 == 0:
                m = people[next(fresh) % total]
                return status(session.post(f"{elig}/cases", headers={**auth[Role.CASEWORKER], **key}, json={
                    "programme": "winter-warmth", "campaign": campaign, "year": 2026, "national_id": m.national_id,
                    "payee_name": m.name, "payee_account": m.account}))
            if i % 3 == 1:
                return status(session.post(f"{elig}/cases/{cases[i // 3 % len(cases)]}/approve",
                                           headers={**auth[Role.APPROVER], **key}))
            return status(session.get(f"{elig}/cases/{cases[i // 3 % len(cases)]}", headers=auth[Role.CASEWORKER]))

        return {"routes": "POST /cases, POST /cases/{id}/approve, GET /cases/{id} in turn", "rate_per_s": rate,
                "seconds": seconds, **await fixed_rate(request, rate, seconds)}


async def measure(infra: Infrastructure, deployment: Deployment, args: argparse.Namespace) -> dict[str, Any]:
    kafka = await kafka_produce_consume(infra.kafka_connection, args.raw_events)
    pg = await postgres_handler_work(infra.database_url, args.raw_events)
    raw = {**kafka, **pg}
    relay = await outbox_relay_drain(infra.database_url, infra.kafka_connection, args.raw_events)

    snapshots: list[tuple[str, cpu.Snapshot]] = []
    sql = statements.Statements(infra.database_url)
    await sql.start()
    sql_by_stage: dict[str, list[dict[str, Any]]] = {}

    async def note_stage(stage: str) -> None:
        taken = await sql.take()
        if snapshots:
            sql_by_stage[snapshots[-1][0]] = taken
        snapshots.append((stage, cpu.snapshot(deployment)))

    run = CampaignRun(deployment, recipients=args.recipients, show_progress=True, autumn_aid_share=0.0,
                      close_bank_day=False, before_stage=note_stage)
    report = await run.run(settle_timeout=1800)
    await note_stage("end")
    timings = await campaign_timings(infra.database_url, run.campaign)
    seconds, counts = report["stage_seconds"], report["stage_counts"]
    rates = {
        "hardship roster import (rows)": counts["hardship files imported"] / seconds["hardship files imported"],
        "campaign list import (rows, 2 events each)": counts["campaign list imported"] / seconds["campaign list imported"],
        "batch approval (cases, 1 event each)": counts["approvals"] / seconds["approvals"],
        "outbox relay draining a backlog": relay,
        "disbursement consumer (approvals to payments)": timings["consumer_per_s"],
        "payments settled or failed (bank batch files)": timings["finished_per_s"],
    }
    history = await audit_replay(infra, at_least=args.replay_events)
    rates[f"audit replay ({history['events']:,} events read and projected)"] = history["events_per_s"]
    baseline_of = {stage: "kafka_produce_per_s" if "relay" in stage else "kafka_consume_per_s" if "replay" in stage
                   else "pg_set_based_per_s" for stage in rates}
    stages = [{"stage": stage, "events_per_s": round(rate, 1), "baseline": baseline_of[stage],
               "baseline_per_s": round(raw[baseline_of[stage]], 1), "ratio": round(rate / raw[baseline_of[stage]], 3)}
              for stage, rate in rates.items()]
    wall = round(sum(v for k, v in seconds.items() if k != "hardship files imported"), 2)
    campaign = {"recipients": args.recipients, "wall_seconds": wall, "approved": report["approved"],
                "settled": report["settled"], "failed": report["failed"], "budget_balanced": report["budget_balanced"],
                "latency_p50_s": timings["latency_p50_s"], "latency_p99_s": timings["latency_p99_s"],
                "hardship_roster_seconds": round(seconds["hardship files imported"], 2),
                "stage_seconds": seconds, "import": report["import"],
                "cpu_by_stage": {stage: cpu.between(first, last)
                                 for (stage, first), (_, last) in itertools.pairwise(snapshots)},
                "sql_by_stage": sql_by_stage}
    await sql.take()
    before = cpu.snapshot(deployment)
    api = await single_case_routes(deployment, rate=args.api_rate, seconds=args.api_seconds)
    api["cpu"] = cpu.between(before, cpu.snapshot(deployment))
    api["sql"] = await sql.take()
    await sql.stop()
    return {"raw": {k: round(v, 1) if isinstance(v, float) else v for k, v in raw.items()}, "stages": stages,
            "campaign": campaign, "api": api}


def render(result: dict[str, Any]) -> str:
    raw, camp, api = result["raw"], result["campaign"], result["api"]
    lines = [
        f"# Siji benchmark, {result['when']} ({result['machine']})",
        "",
        f"Raw baseline on the same Kafka and PostgreSQL: set-based handler work {raw['pg_set_based_per_s']:,.0f} "
        f"events/s (one event per transaction: {raw['pg_per_event_tx_per_s']:,.0f}/s), idempotent produce "
        f"{raw['kafka_produce_per_s']:,.0f}/s, consume {raw['kafka_consume_per_s']:,.0f}/s.",
        "",
        "| stage | events/s | baseline | baseline/s | ratio |",
        "|---|---:|---|---:|---:|",
        *[f"| {s['stage']} | {s['events_per_s']:,.1f} | {s['baseline']} | {s['baseline_per_s']:,.1f} | "
          f"{s['ratio']:.3f} |" for s in result["stages"]],
        "",
        f"Campaign of {camp['recipients']:,} recipients: {camp['wall_seconds']} s from the campaign-list import to "
        f"every payment settled or failed (the hardship roster before it: {camp['hardship_roster_seconds']} s); "
        f"{camp['approved']:,} approved, {camp['settled']:,} settled, {camp['failed']:,} failed; budget balanced: "
        f"{camp['budget_balanced']}; import-to-outcome latency p50 {camp['latency_p50_s']} s, "
        f"p99 {camp['latency_p99_s']} s.",
        "",
        f"Single-case routes ({api['routes']}) at {api['rate_per_s']:.0f} requests/s for {api['seconds']:.0f} s: "
        f"p50 {api['p50_ms']} ms, p99 {api['p99_ms']} ms, max {api['max_ms']} ms, {api['errors']} errors of "
        f"{api['requests']}.",
        "",
        "Where the CPU went (CPU seconds per part; the machine's busy share of all its cores):",
        "",
        "| stage | wall s | machine busy | largest parts |",
        "|---|---:|---:|---|",
        *[f"| {stage} | {c['wall_s']} | {c['machine_busy']:.0%} | "
          + ", ".join(f"{part} {spent}" for part, spent in list(c["cpu_s"].items())[:5]) + " |"
          for stage, c in [*camp["cpu_by_stage"].items(), ("single-case routes (from the prepared campaign)", api["cpu"])]],
        "",
        "Where PostgreSQL's time went (pg_stat_statements: execution time, lock waits and waits for a core included):",
        *[line for stage, taken in [*camp["sql_by_stage"].items(), ("single-case routes", api["sql"])] if taken
          for line in ["", f"**{stage}**", "", "| ms | calls | rows | statement |", "|---:|---:|---:|---|",
                       *[f"| {t['ms']:,} | {t['calls']:,} | {t['rows']:,} | `{t['query'][:110]}` |" for t in taken]]],
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--raw-events", type=int, default=100_000)
    parser.add_argument("--replay-events", type=int, default=1_000_000)
    parser.add_argument("--api-rate", type=float, default=200.0)
    parser.add_argument("--api-seconds", type=float, default=30.0)
    parser.add_argument("--results-name", default="latest", help="latest.json/.md; bench-quick writes quick.*")
    parser.add_argument("--replicas", action="append", default=[], metavar="SERVICE=N",
                        help="run N instances of a service (consumer group members; one leads its relay)")
    args = parser.parse_args()

    base = CliSettings()
    shutil.rmtree(STATE, ignore_errors=True)
    infra = Infrastructure.apart(STATE, kafka_port=19292, postgres_port=15532)
    deployment = Deployment(state_dir=STATE, bootstrap_servers=infra.bootstrap_servers,
                            kafka_passwords=infra.kafka_passwords,
                            database_url=infra.database_url, token_secret=base.token_secret,
                            pii_key="bench-pii-key", port_offset=2000,
                            extra_env={"ELIGIBILITY_LOG_LEVEL": "WARNING", "DISBURSEMENT_LOG_LEVEL": "WARNING",
                                       "BANK_SIM_LOG_LEVEL": "WARNING", "BANK_SIM_LATENCY_MS": "20"})
    try:
        infra.up()
        deployment.start_all()
        for name, count in (r.split("=") for r in args.replicas):
            for instance in range(1, int(count)):
                deployment.start(name, instance=instance)
        result = asyncio.run(measure(infra, deployment, args))
    finally:
        deployment.stop_all()
        infra.down()
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    RESULTS.mkdir(exist_ok=True)
    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if args.results_name == "latest":
        (RESULTS / f"{result['when'].replace(':', '').replace('+0000', 'Z')}.json").write_text(text)
    (RESULTS / f"{args.results_name}.json").write_text(text)
    (RESULTS / f"{args.results_name}.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()

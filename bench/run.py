"""`make bench`: the raw Kafka/PostgreSQL baseline and a 10,000-recipient winter-warmth campaign, on
one fresh set of infrastructure in one run. Prints events/s per stage with the ratio of each to its
baseline, and writes bench/results/<time>.json and bench/results/latest.md. CI times nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import shutil
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from baseline import kafka_produce_consume, outbox_relay_drain, postgres_handler_work
from siji_cli.campaign import CampaignRun
from siji_cli.infra.stack import Infrastructure
from siji_cli.paths import ROOT
from siji_cli.services import Deployment
from siji_cli.settings import CliSettings

RESULTS = Path(__file__).parent / "results"
STATE = ROOT / ".state" / "bench"


async def pipeline_rates(database_url: str, campaign: str) -> dict[str, float]:
    """Rates the services sustained, from their own tables' timestamps."""
    conn = await asyncpg.connect(database_url)
    try:
        rows = {
            "payments instructed (consumer draining the backlog)": await conn.fetchrow(
                "SELECT count(*) AS n, extract(epoch FROM max(created_at) - min(created_at)) AS s "
                "FROM disbursement.payments WHERE campaign = $1", campaign),
            "payments settled or failed (bank, draining)": await conn.fetchrow(
                "SELECT count(*) AS n, extract(epoch FROM max(updated_at) - min(created_at)) AS s "
                "FROM disbursement.payments WHERE campaign = $1", campaign),
        }
    finally:
        await conn.close()
    return {stage: row["n"] / max(float(row["s"] or 0), 1e-3) for stage, row in rows.items()}


async def measure(infra: Infrastructure, deployment: Deployment, recipients: int, raw_count: int) -> dict:
    raw = await kafka_produce_consume(infra.bootstrap_servers, raw_count)
    raw["pg_handler_tx_per_s"] = await postgres_handler_work(infra.database_url, 2000, batch=1)
    raw["pg_handler_batched_per_s"] = await postgres_handler_work(infra.database_url, 20000, batch=500)
    relay = {"outbox relay draining a backlog": await outbox_relay_drain(infra.database_url, infra.bootstrap_servers,
                                                                        raw_count)}

    async def hold_payments_until_approved(stage: str) -> None:
        """Disbursement waits while approvals pile up, then drains them: that measures its capacity,
        not the approval rate."""
        if stage == "approvals":
            await asyncio.to_thread(deployment.stop, "disbursement")
        elif stage == "payments settled or failed":
            await asyncio.to_thread(deployment.start, "disbursement")

    run = CampaignRun(deployment, recipients=recipients, before_stage=hold_payments_until_approved)
    report = await run.run(settle_timeout=1800)
    http = {stage: report["stage_counts"][stage] / report["stage_seconds"][stage]
            for stage in ("hardship files", "cases registered", "approvals")}
    pipeline = await pipeline_rates(infra.database_url, report["campaign"])
    baseline_for = {
        "hardship files": ("pg_handler_tx_per_s", "one HTTP request = one transaction"),
        "cases registered": ("pg_handler_tx_per_s", "one transaction, two outbox events"),
        "approvals": ("pg_handler_tx_per_s", "one transaction, one outbox event"),
        "outbox relay draining a backlog": ("kafka_produce_per_s", "idempotent produce, acks=all, mark sent"),
        "payments instructed (consumer draining the backlog)": ("pg_handler_batched_per_s",
                                                                "Kafka batch -> inbox+ledger+payment+outbox"),
        "payments settled or failed (bank, draining)": ("pg_handler_batched_per_s",
                                                        "includes the bank's HTTP round trip"),
    }
    stages = [{"stage": stage, "events_per_s": round(rate, 1), "baseline": baseline_for[stage][0],
               "baseline_per_s": round(raw[baseline_for[stage][0]], 1),
               "ratio": round(rate / raw[baseline_for[stage][0]], 3), "note": baseline_for[stage][1]}
              for stage, rate in {**http, **relay, **pipeline}.items()]
    return {"raw": {k: round(v, 1) for k, v in raw.items()}, "stages": stages,
            "campaign_wall_seconds": report["wall_seconds"], "campaign": report}


def render(result: dict) -> str:
    raw = result["raw"]
    lines = [
        f"# Siji benchmark, {result['when']} ({result['machine']})",
        "",
        f"Raw baseline: Kafka produce {raw['kafka_produce_per_s']:,.0f}/s, consume {raw['kafka_consume_per_s']:,.0f}/s "
        f"({raw['event_bytes']} B events); PostgreSQL handler work {raw['pg_handler_tx_per_s']:,.0f} tx/s "
        f"one event per transaction, {raw['pg_handler_batched_per_s']:,.0f} events/s 500 per transaction.",
        "",
        "| stage | events/s | baseline | baseline/s | ratio | note |",
        "|---|---:|---|---:|---:|---|",
        *[f"| {s['stage']} | {s['events_per_s']:,.1f} | {s['baseline']} | {s['baseline_per_s']:,.1f} | "
          f"{s['ratio']:.3f} | {s['note']} |" for s in result["stages"]],
        "",
        f"Campaign of {result['campaign']['recipients']:,} recipients: wall time {result['campaign_wall_seconds']} s; "
        f"{result['campaign']['approved']:,} approved, {result['campaign']['settled']:,} settled, "
        f"{result['campaign']['failed']:,} failed; budget balanced: {result['campaign']['budget_balanced']}.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--raw-events", type=int, default=50_000)
    args = parser.parse_args()

    base = CliSettings()
    shutil.rmtree(STATE, ignore_errors=True)
    infra = Infrastructure(CliSettings(KAFKA_BOOTSTRAP_SERVERS=base.kafka_bootstrap_servers,
                                       DATABASE_URL=base.database_url, SIJI_STATE_DIR=STATE,
                                       SIJI_KAFKA_LIB_DIR=base.kafka_lib_dir, SIJI_KAFKA_PORT=19292,
                                       SIJI_POSTGRES_PORT=15532))
    deployment = Deployment(state_dir=STATE, bootstrap_servers=infra.bootstrap_servers,
                            database_url=infra.database_url, token_secret=base.token_secret,
                            pii_key="bench-pii-key", port_offset=2000,
                            extra_env={"ELIGIBILITY_LOG_LEVEL": "WARNING", "DISBURSEMENT_LOG_LEVEL": "WARNING",
                                       "BANK_SIM_LOG_LEVEL": "WARNING"})
    infra.up()
    try:
        deployment.start_all()
        result = asyncio.run(measure(infra, deployment, args.recipients, args.raw_events))
    finally:
        deployment.stop_all()
        infra.down()
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["machine"] = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    RESULTS.mkdir(exist_ok=True)
    stamp = result["when"].replace(":", "").replace("+0000", "Z")
    (RESULTS / f"{stamp}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "latest.md").write_text(render(result))
    print(render(result))


if __name__ == "__main__":
    main()

"""`siji`: run the infrastructure and the services, and drive a campaign."""

from __future__ import annotations

import asyncio
import json

import typer

from contracts.topics import dead_letter_of
from siji_cli.audit import replay
from siji_cli.campaign import CampaignRun
from siji_cli.infra.kafka import ensure_jars
from siji_cli.infra.stack import Infrastructure
from siji_cli.report import print_report
from siji_cli.services import Deployment
from siji_cli.settings import CliSettings
from siji_shared.auth import Role, issue_token
from siji_shared.dead_letters import describe, redrive
from siji_shared.kafka import read_all

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
infra_app = typer.Typer(no_args_is_help=True, help="Kafka and PostgreSQL only.")
app.add_typer(infra_app, name="infra")


def _infra() -> Infrastructure:
    return Infrastructure(CliSettings())


@infra_app.command("prepare")
def infra_prepare() -> None:
    """Fetch the Kafka jars once (into .state/kafka-lib); later runs download nothing."""
    infra = _infra()
    if infra.kafka:
        ensure_jars(infra.kafka.lib_dir)
    typer.echo("infrastructure prepared")


@infra_app.command("up")
def infra_up() -> None:
    """Start Kafka and PostgreSQL (unless external ones are configured) and wait until they answer."""
    infra = _infra()
    infra.up()
    typer.echo(json.dumps(infra.status(), indent=2))


@infra_app.command("down")
def infra_down() -> None:
    """Stop the local Kafka and PostgreSQL cleanly."""
    _infra().down()
    typer.echo("infrastructure stopped")


@infra_app.command("status")
def infra_status() -> None:
    typer.echo(json.dumps(_infra().status(), indent=2))


def _deployment(infra: Infrastructure) -> Deployment:
    settings = infra.settings
    return Deployment(state_dir=settings.state_dir, bootstrap_servers=infra.bootstrap_servers,
                      database_url=infra.database_url, token_secret=settings.token_secret,
                      pii_key=settings.pii_key, port_offset=settings.port_offset)


@app.command()
def up() -> None:
    """Start Kafka, PostgreSQL, the bank simulator and the services in the background (logs in .state/logs)."""
    infra = _infra()
    infra.up()
    deployment = _deployment(infra)
    deployment.start_all()
    typer.echo(json.dumps({**infra.status(), **deployment.status()}, indent=2))


@app.command()
def down() -> None:
    """Stop the services, then Kafka and PostgreSQL."""
    infra = _infra()
    _deployment(infra).stop_all()
    infra.down()
    typer.echo("siji stopped")


@app.command()
def status() -> None:
    infra = _infra()
    typer.echo(json.dumps({**infra.status(), **_deployment(infra).status()}, indent=2))


@app.command()
def demo(recipients: int = typer.Option(2000, min=1, help="synthetic members in the campaign"),
         region: str = typer.Option("taicang", help="taicang, fuzhou or yancheng"),
         as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON line last")) -> None:
    """Run a winter-warmth campaign through the running services (start them with `siji up`)."""
    infra = _infra()
    run = CampaignRun(_deployment(infra), recipients=recipients, region=region)
    report = asyncio.run(run.run())
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
    if not report["budget_balanced"] or report["reconciliation"]["unmatched"]:
        raise typer.Exit(1)


@app.command()
def token(user: str = typer.Option(...), role: Role = typer.Option(...), region: str = typer.Option(...)) -> None:
    """Print a bearer token for the caseworker HTTP APIs (signed with SIJI_TOKEN_SECRET)."""
    typer.echo(issue_token(CliSettings().token_secret, user=user, role=role, region=region))


dead_letters_app = typer.Typer(no_args_is_help=True, help="List and re-drive dead-lettered events.")
app.add_typer(dead_letters_app, name="dead-letters")


@dead_letters_app.command("list")
def dead_letters_list(topic: str = typer.Argument(..., help="the source topic, e.g. eligibility.cases")) -> None:
    """One line per dead letter: where it came from, which consumer group set it aside, and why.
    Event bodies are not shown: they may hold personal data."""
    records = asyncio.run(read_all(_infra().bootstrap_servers, dead_letter_of(topic)))
    for letter in map(describe, records):
        typer.echo(f"{letter.partition}@{letter.offset}  {letter.source}  group={letter.consumer_group}  "
                   f"key={letter.key}  type={letter.event_type}  reason={letter.reason}")
    typer.echo(f"{len(records)} dead letter(s) on {dead_letter_of(topic)}")


@dead_letters_app.command("redrive")
def dead_letters_redrive(topic: str = typer.Argument(..., help="the source topic"),
                         group: str = typer.Option(..., help="the consumer group whose dead letters to re-drive")) -> None:
    """Publish a group's dead letters back to their source topic, each once, after the cause is fixed."""
    sent, undecodable = asyncio.run(redrive(_infra().bootstrap_servers, topic, consumer_group=group))
    typer.echo(f"re-drove {sent} event(s) to {topic}; {undecodable} still undecodable, left in {dead_letter_of(topic)}")


@app.command("audit")
def audit_command(campaign: str = typer.Option(None, help="only this campaign"),
                  as_json: bool = typer.Option(False, "--json", help="print the report as one JSON line")) -> None:
    """Replay the case and payment event streams from the start: every payment must have an eligible,
    approved case, in the approved amount, exactly once. Exits 1 on any finding."""
    report = asyncio.run(replay(_infra().bootstrap_servers, campaign=campaign))
    body = {"events": report.events, "undecodable": report.undecodable, "findings": report.findings,
            "campaigns": {name: vars(totals) for name, totals in sorted(report.campaigns.items())}}
    typer.echo(json.dumps(body, ensure_ascii=False) if as_json else json.dumps(body, ensure_ascii=False, indent=2))
    if not report.clean:
        raise typer.Exit(1)

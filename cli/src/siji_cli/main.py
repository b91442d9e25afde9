"""`siji`: run the infrastructure and the services, and drive a campaign."""

from __future__ import annotations

import json

import typer

from siji_cli.infra.kafka import ensure_jars
from siji_cli.infra.stack import Infrastructure
from siji_cli.settings import CliSettings

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

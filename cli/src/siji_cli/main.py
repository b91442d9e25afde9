"""`siji`: run the infrastructure and the services, and drive a campaign."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
import typer
from aiokafka.errors import KafkaError
from pydantic import SecretStr
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from audit.rederive import rederive
from audit.replay import replay
from audit.trail import trail
from audit.verify import verify
from contracts.topics import all_topics, dead_letter_of
from loans.policy import parse as parse_policy
from loans.schedule import BankConventions, Loan, SubsidyPolicy, schedule
from siji_cli.campaign import CampaignRun
from siji_cli.cooling_season import CoolingSeason
from siji_cli.infra import access, images, processes
from siji_cli.infra.access import AUDITOR, OPERATOR
from siji_cli.infra.kafka import ensure_jars, metadata_shows_brokers
from siji_cli.infra.stack import Infrastructure
from siji_cli.loans_season import LoansSeason
from siji_cli.paths import LOAN_POLICY_DIR, POLICY_DIR
from siji_cli.report import print_cooling_report, print_loans_report, print_report
from siji_cli.services import Deployment
from siji_cli.settings import CliSettings
from siji_cli.status import service_status
from siji_shared.auth import Role, issue_token
from siji_shared.dead_letters import FixRefused, dead_letter_at, describe, redacted_body, redrive, resend_fixed
from siji_shared.kafka import KafkaConnection, ensure_topics, read_all
from siji_shared.pii import PiiVault, normalise_national_id, validate_national_id

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
infra_app = typer.Typer(no_args_is_help=True, help="Kafka and PostgreSQL only.")
app.add_typer(infra_app, name="infra")
images_app = typer.Typer(no_args_is_help=True, help="Container images, built locally.")
app.add_typer(images_app, name="images")


def _infra() -> Infrastructure:
    return Infrastructure(CliSettings())


@infra_app.command("prepare")
def infra_prepare() -> None:
    """Fetch the Kafka jars once (into .state/kafka-lib); later runs download nothing."""
    settings = CliSettings()
    if not settings.kafka_bootstrap_servers:
        ensure_jars(settings.kafka_lib_dir)
    typer.echo("infrastructure prepared")


@images_app.command("build")
def images_build() -> None:
    """Build the container images here, from no registry (the Docker engine is started when none answers):
    a Debian base by debootstrap, Kafka, PostgreSQL, the services (`siji`) and the bank simulator."""
    settings = CliSettings()
    if images.ensure_engine(settings.state_dir):
        typer.echo("started the Docker engine (`siji images engine-stop` stops it)")
    images.build_all(settings.state_dir, settings.kafka_lib_dir, echo=typer.echo)


@images_app.command("engine-stop")
def images_engine_stop() -> None:
    """Stop the Docker engine `siji images build` started; one running before it is left alone."""
    stopped = images.stop_engine(CliSettings().state_dir)
    typer.echo("Docker engine stopped" if stopped else "no Docker engine of ours was running")


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


@infra_app.command("provision")
def infra_provision(brokers: int = typer.Option(1, min=1, help="wait until this many brokers have joined"),
                    timeout: float = typer.Option(180.0, help="seconds to wait for them")) -> None:
    """Users, ACLs and every topic on the cluster at KAFKA_BOOTSTRAP_SERVERS (SASL_PLAINTEXT), as its super user:
    each principal's password from <PRINCIPAL>_KAFKA_PASSWORD (ADMIN_KAFKA_PASSWORD, ELIGIBILITY_KAFKA_PASSWORD, ...,
    SIJI_OPERATOR_KAFKA_PASSWORD). deploy/compose.yaml runs it once; running it again changes nothing."""
    names = [access.ADMIN, *access.principals()]
    missing = [variable for variable in ("KAFKA_BOOTSTRAP_SERVERS", *map(access.password_variable, names))
               if not os.environ.get(variable)]
    if missing:
        typer.echo(f"not set: {', '.join(missing)}", err=True)
        raise typer.Exit(2)
    bootstrap = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    passwords = {name: os.environ[access.password_variable(name)] for name in names}
    admin = KafkaConnection(bootstrap, security_protocol="SASL_PLAINTEXT", sasl_mechanism=access.SCRAM,
                            username=access.ADMIN, password=SecretStr(passwords[access.ADMIN]))
    processes.wait_until(lambda: metadata_shows_brokers(admin, brokers), timeout=timeout,
                         what=f"{brokers} Kafka broker(s) at {bootstrap}")
    access.provision(bootstrap, passwords)
    asyncio.run(ensure_topics(admin, all_topics()))
    typer.echo(f"provisioned {len(names) - 1} users with their ACLs and {len(all_topics())} topics on {bootstrap}")


def _deployment(infra: Infrastructure) -> Deployment:
    settings = infra.settings
    return Deployment(state_dir=settings.state_dir, bootstrap_servers=infra.bootstrap_servers,
                      database_url=infra.database_url, token_secret=settings.token_secret,
                      pii_key=settings.pii_key, port_offset=settings.port_offset,
                      kafka_passwords=infra.kafka_passwords)


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
def status(as_json: bool = typer.Option(False, "--json", help="one JSON line")) -> None:
    """Infrastructure and processes; then each service's health, consumer lag per topic, outbox backlog
    and the age of its oldest unpublished event, and dead letters waiting."""
    infra = _infra()
    body: dict = {**infra.status(), **_deployment(infra).status()}
    try:
        body["services"] = asyncio.run(service_status(_deployment(infra), infra.kafka_connection, infra.database_url))
    except (OSError, asyncpg.PostgresError, KafkaError) as exc:
        body["services"] = f"not reachable: {exc!r}"
    typer.echo(json.dumps(body, ensure_ascii=False) if as_json else json.dumps(body, ensure_ascii=False, indent=2))


@app.command()
def demo(recipients: int = typer.Option(2000, min=1, help="synthetic members in the campaign"),
         programme: str = typer.Option("winter-warmth", help="winter-warmth; loans (贴息贷款: a season of "
                                                             "enterprises' loans and two years of subsidies); "
                                                             "summer-cooling (夏送清凉: kits to frontline workers)"),
         borrowers: int = typer.Option(1866, min=1, help="loans: enterprises applying (Fuzhou's 1,866)"),
         workers: int = typer.Option(37_000, min=10, help="summer-cooling: frontline workers (Fuzhou's 37,000)"),
         region: str = typer.Option(None, help="taicang, fuzhou or yancheng (default taicang; loans: fuzhou)"),
         as_json: bool = typer.Option(False, "--json", help="print the summary as one JSON line last")) -> None:
    """Run a season through the running services (start them with `siji up`)."""
    deployment = _deployment(_infra())
    if programme == "loans":
        season = asyncio.run(LoansSeason(deployment, region=region or "fuzhou", borrowers=borrowers).run())
        if as_json:
            typer.echo(json.dumps(season, ensure_ascii=False))
        else:
            print_loans_report(season)
        if not season["subsidy_paid_within_fund"] or season["reconciliation"]["unexplained"]:
            raise typer.Exit(1)
        return
    if programme == "summer-cooling":
        cooling = asyncio.run(CoolingSeason(deployment, region=region or "fuzhou", workers=workers).run())
        if as_json:
            typer.echo(json.dumps(cooling, ensure_ascii=False))
        else:
            print_cooling_report(cooling)
        if not cooling["accounts_balanced"]:
            raise typer.Exit(1)
        return
    if programme != "winter-warmth":
        raise typer.BadParameter("winter-warmth, loans or summer-cooling", param_hint="--programme")
    report = asyncio.run(CampaignRun(deployment, recipients=recipients, region=region or "taicang").run())
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
    else:
        print_report(report)
    if not report["budget_balanced"] or report["reconciliation"]["unmatched"] or report["bank_day"]["unexplained"]:
        raise typer.Exit(1)


def _caseworker_api(region: str, user: str | None, role: Role) -> tuple[Deployment, dict[str, str]]:
    deployment = _deployment(_infra())
    default_user = f"{ {Role.CASEWORKER: 'cw', Role.APPROVER: 'ap', Role.ADMIN: 'admin'}[role]}-{region}-01"
    token = issue_token(deployment.token_secret, user=user or default_user, role=role, region=region)
    return deployment, {"Authorization": f"Bearer {token}"}


def _answer(response: httpx.Response, as_json: bool, lines: Callable[[dict], list[str]]) -> None:
    if response.status_code >= 400:
        typer.echo(f"refused ({response.status_code}): {response.text}", err=True)
        raise typer.Exit(1)
    body = response.json()
    typer.echo(json.dumps(body, ensure_ascii=False) if as_json else "\n".join(lines(body)))


@app.command("import")
def import_roster(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="the roster, .csv or .xlsx"),
                  campaign: str = typer.Option(None, help="the campaign this list applies for"),
                  programme: str = typer.Option("winter-warmth"),
                  year: int = typer.Option(None, help="the rule set's year"),
                  region: str = typer.Option(..., help="your region"),
                  hardship_files: bool = typer.Option(False, "--hardship-files",
                                                      help="a roster of hardship households, not a campaign list"),
                  members: bool = typer.Option(False, "--members", help="a roster of union members (会员)"),
                  user: str = typer.Option(None, help="the caseworker (default cw-<region>-01)"),
                  as_json: bool = typer.Option(False, "--json", help="print the import record as one JSON line")) -> None:
    """Import a campaign list (花名册), a hardship roster or a member roster: every row is checked, bad rows
    are reported with their row numbers, the rest registered and assessed. The same file again changes nothing."""
    roster = not (hardship_files or members)
    if roster and (campaign is None or year is None):
        raise typer.BadParameter("a campaign list needs --campaign and --year (or pass --hardship-files or --members)")
    deployment, headers = _caseworker_api(region, user, Role.CASEWORKER)
    url = (f"{deployment.url('eligibility')}/hardship-files/imports" if hardship_files
           else f"{deployment.url('eligibility')}/members/imports" if members
           else f"{deployment.url('eligibility')}/campaigns/{campaign}/imports")
    params: dict[str, str | int] = {"filename": file.name}
    if roster:
        params |= {"programme": programme, "year": year}
    with open(file, "rb") as body:
        response = httpx.post(url, params=params, headers=headers, content=body, timeout=900.0)

    def lines(record: dict) -> list[str]:
        return [f"import {record['import_id']} ({record['status']}): {record['rows_read']} rows read, "
                f"{record['accepted']} taken, {record['rejected']} rejected, "
                f"{record['already_registered']} already registered; "
                f"{record['eligible']} eligible, {record['ineligible']} ineligible",
                *(f"  row {e['row']} {e['column']}: {e['reason']}" for e in record["first_errors"]),
                f"every rejected row: GET {record['errors_csv']}"]

    _answer(response, as_json, lines)


@app.command()
def approve(campaign: str = typer.Option(...), region: str = typer.Option(..., help="your region"),
            import_id: str = typer.Option(None, "--import", help="approve every eligible case of this import"),
            case: list[str] = typer.Option(None, help="a case id to approve (repeat the option)"),
            user: str = typer.Option(None, help="the approver (default ap-<region>-01)"),
            as_json: bool = typer.Option(False, "--json", help="print the answer as one JSON line")) -> None:
    """Approve a reviewed selection in one request; each case is still checked (maker-checker, a second
    approver above the threshold, the region) and the answer says what happened to each."""
    if bool(import_id) == bool(case):
        raise typer.BadParameter("give either --import or --case")
    deployment, headers = _caseworker_api(region, user, Role.APPROVER)
    response = httpx.post(f"{deployment.url('eligibility')}/campaigns/{campaign}/approvals",
                          json={"import_id": import_id} if import_id else {"case_ids": case},
                          headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=900.0)

    def lines(answer: dict) -> list[str]:
        return [f"{answer['approved']} approved, {answer['awaiting_second_approval']} awaiting a second approver, "
                f"{answer['refused']} refused",
                *(f"  {c['case_id']}: refused, {c['reason']}" for c in answer["cases"] if c["status"] == "refused")]

    _answer(response, as_json, lines)


@app.command()
def reject(campaign: str = typer.Option(...), region: str = typer.Option(..., help="your region"),
           case: list[str] = typer.Option(..., help="a case id to reject (repeat the option)"),
           reason: str = typer.Option(..., help="why, as the member will be told"),
           user: str = typer.Option(None, help="the approver (default ap-<region>-01)"),
           as_json: bool = typer.Option(False, "--json", help="print the answer as one JSON line")) -> None:
    """Turn a reviewed selection down for one reason in one request; each case is still checked (the
    region, not the registrant) and the answer says what happened to each."""
    deployment, headers = _caseworker_api(region, user, Role.APPROVER)
    response = httpx.post(f"{deployment.url('eligibility')}/campaigns/{campaign}/rejections",
                          json={"case_ids": case, "reason": reason},
                          headers={**headers, "Idempotency-Key": str(uuid.uuid4())}, timeout=900.0)

    def lines(answer: dict) -> list[str]:
        return [f"{answer['rejected']} rejected, {answer['refused']} refused",
                *(f"  {c['case_id']}: refused, {c['reason']}" for c in answer["cases"] if c["status"] == "refused")]

    _answer(response, as_json, lines)


reconcile_app = typer.Typer(help="finance: the bank's statements matched to the payments")
app.add_typer(reconcile_app, name="reconcile")


@reconcile_app.callback(invoke_without_command=True)
def reconcile(ctx: typer.Context, day: str = typer.Option(None, "--date", help="a business day, YYYY-MM-DD "
                                                                         "(default: the bank's latest)"),
              user: str = typer.Option("fin-01", help="the finance user"),
              as_json: bool = typer.Option(False, "--json", help="print the day's report as one JSON line")) -> None:
    """A business day's reconciliation: counts and sums per class, the open mismatches and what to do
    about each. Exit status 1 while any is unexplained (open and not signed off)."""
    if ctx.invoked_subcommand:
        return
    deployment, headers = _finance_api(user)
    response = httpx.get(f"{deployment.url('reconciliation')}/days/{day or 'latest'}", headers=headers, timeout=60.0)

    def lines(report: dict) -> list[str]:
        closed = report["closed"]
        return [f"business day {report['business_date']}: "
                + ("closed" + (f" by {closed['by']} ({closed['reason']})" if closed else "") if closed else "open"),
                *(f"  {name:<24} {c['items']:>8,} items {c['amount_fen'] / 100:>16,.2f} yuan"
                  for name, c in sorted(report["classes"].items())),
                f"{report['open']} open mismatch(es), {report['unexplained']} unexplained",
                *(f"  {i['classification']} {i['item_id']}: {i['detail']} -> {i['what_to_do']}"
                  for i in report["open_items"])]

    _answer(response, as_json, lines)
    if response.json()["unexplained"]:
        raise typer.Exit(1)


@reconcile_app.command("import")
def reconcile_import(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a camt.053 statement"),
                     user: str = typer.Option("fin-01"), as_json: bool = typer.Option(False, "--json")) -> None:
    """Upload a statement the bank sent by other means; the same day twice changes nothing."""
    deployment, headers = _finance_api(user)
    response = httpx.post(f"{deployment.url('reconciliation')}/statements", content=file.read_bytes(),
                          headers={**headers, "Content-Type": "application/xml"}, timeout=120.0)
    _answer(response, as_json, lambda a: [f"statement of {a['business_date']} (sequence {a['sequence_number']}, "
                                          f"{a['entries']} entries): {'taken' if a['taken'] else 'already taken'}"])


def _finance_api(user: str) -> tuple[Deployment, dict[str, str]]:
    deployment = _deployment(_infra())
    token = issue_token(deployment.token_secret, user=user, role=Role.FINANCE, region="province")
    return deployment, {"Authorization": f"Bearer {token}"}


loans_app = typer.Typer(help="interest-subsidised loans (贴息贷款)")
app.add_typer(loans_app, name="loans")


@loans_app.command("schedule")
def loans_schedule(loan: Path = typer.Option(..., exists=True, dir_okay=False, help="the loan, JSON (README)"),
                   policy: Path = typer.Option(..., exists=True, dir_okay=False,
                                               help="the subsidy policy, JSON: its `subsidy` part, or a whole policy "
                                                    "document as shipped in services/loans/policies/"),
                   bank: Path = typer.Option(None, exists=True, dir_okay=False,
                                             help="the bank's conventions, JSON (default: the policy document's "
                                                  "`bank`, else ACT/360, the 20th)")) -> None:
    """The projected periods of one loan under one policy, as JSON: dates, days, interest, the
    borrower's part and the subsidy, in fen. The loans service uses the same function."""
    data = json.loads(policy.read_text(encoding="utf-8"))
    try:
        if isinstance(data, dict) and "subsidy" in data:
            document = parse_policy(data, source=policy.name)
            subsidy, conventions = document.subsidy, document.bank
        else:
            subsidy, conventions = SubsidyPolicy.model_validate(data), BankConventions()
    except ValueError as exc:  # PolicyInvalid and pydantic's ValidationError say where
        raise typer.BadParameter(str(exc), param_hint="--policy") from exc
    if bank:
        conventions = BankConventions.model_validate_json(bank.read_text())
    result = schedule(Loan.model_validate_json(loan.read_text()), subsidy, conventions)
    typer.echo(json.dumps(result.as_json(), ensure_ascii=False))


def _documents(directory: Path) -> list[dict]:
    return [{"source": path.name, "document": json.loads(path.read_text(encoding="utf-8"))}
            for path in sorted(directory.glob("*.json")) if not path.name.endswith(".schema.json")]


loan_policies_app = typer.Typer(help="the subsidy policies (services/loans/policies/)")
loans_app.add_typer(loan_policies_app, name="policies")


@loan_policies_app.command("load")
def loan_policies_load(directory: Path = typer.Argument(LOAN_POLICY_DIR, exists=True, file_okay=False,
                                                        help="a directory of subsidy policy documents (*.json)"),
                       user: str = typer.Option("admin-01", help="the admin loading them"),
                       as_json: bool = typer.Option(False, "--json")) -> None:
    """Load every subsidy policy document of the directory into the loans service (all or none); a
    version loaded with other content is refused."""
    deployment, headers = _admin_api(user)
    response = httpx.post(f"{deployment.url('loans')}/policies", json=_documents(directory), headers=headers,
                          timeout=60.0)
    _answer(response, as_json, lambda a: [f"{r['policy_id']} v{r['version']}: {r['status']} ({r['source']})"
                                          for r in a["policies"]])


@loans_app.command("report")
def loans_report(region: str = typer.Option(None, help="one region (default: all)"),
                 campaign: str = typer.Option(None, help="one fund"), user: str = typer.Option("fin-province-01"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Per region and fund: loans, jobs created, principal, subsidy paid and reserved, the fund left."""
    deployment, headers = _finance_api(user)
    params = {k: v for k, v in (("region", region), ("campaign", campaign)) if v}
    response = httpx.get(f"{deployment.url('loans')}/reports", params=params, headers=headers, timeout=60.0)
    _answer(response, as_json, lambda a: [
        f"{r['region']} {r['campaign']}: {r['disbursed']} loans, {r['jobs_created']} jobs, principal "
        f"{r['principal_fen']} fen, subsidy paid {r['subsidy_paid_fen']} fen, reserved {r['reserved_fen']} fen, "
        f"fund left {r['fund_left_fen']} fen" for r in a["regions"]])


policies_app = typer.Typer(help="policy as data: the eligibility rule sets (services/eligibility/policies/)")
app.add_typer(policies_app, name="policies")


@policies_app.command("load")
def policies_load(directory: Path = typer.Argument(POLICY_DIR, exists=True, file_okay=False,
                                                   help="a directory of rule set documents (*.json)"),
                  user: str = typer.Option("admin-01", help="the admin loading them"),
                  as_json: bool = typer.Option(False, "--json", help="print the answer as one JSON line")) -> None:
    """Load every rule set document of the directory into the eligibility service (all or none). A
    version already loaded with the same content is left as it is; with other content it is refused."""
    deployment, headers = _admin_api(user)
    response = httpx.post(f"{deployment.url('eligibility')}/policies", json=_documents(directory), headers=headers,
                          timeout=60.0)

    def lines(answer: dict) -> list[str]:
        return [f"{r['rule_set_id']} v{r['version']}: {r['status']} ({r['source']})" for r in answer["rule_sets"]]

    _answer(response, as_json, lines)


@policies_app.command("list")
def policies_list(programme: str = typer.Option(None), region: str = typer.Option(None),
                  year: int = typer.Option(None), user: str = typer.Option("admin-01"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """Every loaded rule set version."""
    deployment, headers = _admin_api(user)
    params: dict[str, str | int] = {k: v for k, v in (("programme", programme), ("region", region), ("year", year))
                                    if v is not None}
    response = httpx.get(f"{deployment.url('eligibility')}/policies", params=params, headers=headers, timeout=60.0)

    def lines(answer: dict) -> list[str]:
        return [f"{r['rule_set_id']} v{r['version']} ({r['kind']}) sha256 {r['content_sha256'][:12]} "
                f"loaded {r['published_at']} by {r['loaded_by']}" for r in answer["rule_sets"]]

    _answer(response, as_json, lines)


@policies_app.command("diff")
def policies_diff(rule_set_id: str = typer.Argument(..., help="programme/region/year"),
                  old: int = typer.Argument(...), new: int = typer.Argument(...), user: str = typer.Option("admin-01"),
                  as_json: bool = typer.Option(False, "--json")) -> None:
    """What changed between two loaded versions of a rule set."""
    deployment, headers = _admin_api(user)
    response = httpx.get(f"{deployment.url('eligibility')}/policies/diff", headers=headers, timeout=60.0,
                         params={"rule_set_id": rule_set_id, "from": old, "to": new})

    def lines(answer: dict) -> list[str]:
        return [f"{c['change']} {c['path']}: {c['from']!r} -> {c['to']!r}" for c in answer["changes"]] or ["no change"]

    _answer(response, as_json, lines)


def _admin_api(user: str) -> tuple[Deployment, dict[str, str]]:
    deployment = _deployment(_infra())
    token = issue_token(deployment.token_secret, user=user, role=Role.ADMIN, region="province")
    return deployment, {"Authorization": f"Bearer {token}"}


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
    records = asyncio.run(read_all(_infra().connection_for(AUDITOR), dead_letter_of(topic)))
    for letter in map(describe, records):
        typer.echo(f"{letter.partition}@{letter.offset}  {letter.source}  group={letter.consumer_group}  "
                   f"key={letter.key}  type={letter.event_type}  reason={letter.reason}")
    typer.echo(f"{len(records)} dead letter(s) on {dead_letter_of(topic)}")


@dead_letters_app.command("redrive")
def dead_letters_redrive(topic: str = typer.Argument(..., help="the source topic"),
                         group: str = typer.Option(..., help="the consumer group whose dead letters to re-drive")) -> None:
    """Publish a group's dead letters back to their source topic, each once, after the cause is fixed."""
    sent, undecodable = asyncio.run(redrive(_infra().connection_for(OPERATOR), topic, consumer_group=group))
    typer.echo(f"re-drove {sent} event(s) to {topic}; {undecodable} still undecodable, left in {dead_letter_of(topic)}")


def _at(at: str) -> tuple[int, int]:
    partition, _, offset = at.partition("@")
    if not (partition.isdigit() and offset.isdigit()):
        raise typer.BadParameter(f"{at!r}: give the dead letter as PARTITION@OFFSET, as `list` shows it")
    return int(partition), int(offset)


@dead_letters_app.command("show")
def dead_letters_show(topic: str = typer.Argument(..., help="the source topic"),
                      at: str = typer.Option(..., "--at", help="PARTITION@OFFSET, as `list` shows it")) -> None:
    """One dead letter's body, to write its correction from: names, accounts and national IDs are
    redacted (take the real values from the source system)."""
    partition, offset = _at(at)
    record = asyncio.run(dead_letter_at(_infra().connection_for(OPERATOR), topic, partition=partition, offset=offset))
    typer.echo(f"# {describe(record)}")
    typer.echo(redacted_body(record.value or b""))


@dead_letters_app.command("fix")
def dead_letters_fix(topic: str = typer.Argument(..., help="the source topic"),
                     group: str = typer.Option(..., help="the consumer group that set it aside"),
                     at: str = typer.Option(..., "--at", help="PARTITION@OFFSET of the dead letter"),
                     file: Path = typer.Option(..., exists=True, dir_okay=False, help="the corrected event (JSON)")) -> None:
    """Send a corrected event in place of a dead letter whose bytes were the cause (not JSON, a field
    missing or wrong, an unknown type). Refused, with the reason, unless the consumers know the
    correction; sent twice under the same event id, it takes effect once."""
    partition, offset = _at(at)
    try:
        event_id = asyncio.run(resend_fixed(_infra().connection_for(OPERATOR), topic, consumer_group=group,
                                            partition=partition, offset=offset, fixed=file.read_bytes()))
    except FixRefused as refused:
        typer.echo(f"not sent: {refused}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"sent event {event_id} to {topic} in place of {dead_letter_of(topic)} {partition}@{offset}")


audit_app = typer.Typer(help="the auditors' tools: verify, replay, re-derive, trail")
app.add_typer(audit_app, name="audit")


@contextmanager
def _spinner(what: str, *, quiet: bool = False) -> Iterator[None]:
    with Progress(SpinnerColumn(), TextColumn(what), TimeElapsedColumn(), disable=quiet, transient=True) as bars:
        bars.add_task(what, total=None)
        yield


@audit_app.command("verify")
def audit_verify(campaign: str = typer.Option(None, help="only this campaign"),
                 streams_only: bool = typer.Option(False, "--streams-only", help="no read access to the books"),
                 as_json: bool = typer.Option(False, "--json", help="print the report as one JSON line")) -> None:
    """The invariants over the event streams and the services' books: every payment to an eligible,
    approved case (or subsidy period) exactly once, budgets and funds within their allocation, the ledger
    balanced, reconciliation matched or explained, every kit to a registered worker. Exits 1 on any."""
    infra = _infra()
    with _spinner("reading every stream and checking the books", quiet=as_json):
        report = asyncio.run(verify(infra.connection_for(AUDITOR), None if streams_only else infra.database_url,
                                    campaign=campaign))
    body = report.as_json()
    typer.echo(json.dumps(body, ensure_ascii=False) if as_json else json.dumps(body, ensure_ascii=False, indent=2))
    if not report.clean:
        raise typer.Exit(1)


@audit_app.command("replay")
def audit_replay(since: datetime = typer.Option(None, "--from", help="only events from this date (YYYY-MM-DD)"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Read every topic from offset 0, rebuild each service's projections in a scratch schema (no side
    effects possible) and compare them with the live tables. Exits 1 on any difference."""
    infra = _infra()
    with Progress(TextColumn("{task.description:<32}"), BarColumn(), TextColumn("{task.completed:,} events"),
                  TimeElapsedColumn(), disable=as_json) as bars:
        task = bars.add_task("replaying the topics", total=None)
        report = asyncio.run(replay(infra.connection_for(AUDITOR), infra.database_url,
                                    since=since.replace(tzinfo=UTC) if since else None,
                                    progress=lambda topic, n: bars.update(task, advance=n, description=topic),
                                    total=None if as_json else lambda n: bars.update(task, total=n)))
    body = {"clean": report.clean, "events": report.events, "undecodable": report.undecodable,
            "events_per_second": round(report.events_per_second), "compared": report.compared,
            "differences": report.differences}
    typer.echo(json.dumps(body, ensure_ascii=False) if as_json else json.dumps(body, ensure_ascii=False, indent=2))
    if not report.clean:
        raise typer.Exit(1)


@audit_app.command("rederive")
def audit_rederive(campaign: str = typer.Option(None), as_json: bool = typer.Option(False, "--json")) -> None:
    """Every assessment's decision hash again, from its recorded rule set version and inputs. Exits 1 on
    any difference."""
    with _spinner("re-deriving every decision", quiet=as_json):
        report = asyncio.run(rederive(_infra().database_url, campaign=campaign))
    body = {"clean": not report.differences and not report.rule_sets_changed, "cases": report.cases,
            "differences": report.differences, "rule_sets_changed": report.rule_sets_changed}
    typer.echo(json.dumps(body, ensure_ascii=False) if as_json else json.dumps(body, ensure_ascii=False, indent=2))
    if not body["clean"]:
        raise typer.Exit(1)


@audit_app.command("trail")
def audit_trail(case: str = typer.Option(None, "--case", help="a case id"),
                member: str = typer.Option(None, "--member", help="a member's national ID (hashed here, never sent)"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """The whole story of one case, or of every case of one member, in time order; personal data masked."""
    if bool(case) == bool(member):
        raise typer.BadParameter("give --case or --member")
    infra = _infra()
    member_ref = PiiVault(_deployment(infra).pii_key).lookup_hash(
        validate_national_id(normalise_national_id(member))) if member else None
    story = asyncio.run(trail(infra.connection_for(AUDITOR), case_id=case, member_ref=member_ref))
    if as_json:
        typer.echo(json.dumps({"events": story.events, "undecodable": story.undecodable}, ensure_ascii=False))
        return
    if story.undecodable:
        typer.echo(f"# {story.undecodable} record(s) on the topics are no event (poison set aside): skipped")
    for line in story.events:
        typer.echo(f"{line['at']}  {line['event']:<24} {line['producer']:<14} {line['by'] or '':<16} "
                   f"{json.dumps(line['changed'], ensure_ascii=False)}")

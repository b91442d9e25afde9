"""The campaign summary as a person reads it."""

from rich.console import Console
from rich.table import Table


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def print_report(report: dict) -> None:
    table = Table(title=f"Winter warmth campaign {report['campaign']}", show_header=False)
    rows: list[tuple[str, str]]
    rows = [
        ("recipients (synthetic members)", f"{report['recipients']:,}"),
        ("cases registered", f"{report['registered']:,}"),
        ("eligible", f"{report['eligible']:,}"),
        ("ineligible (with reasons)", f"{report['ineligible']:,}"),
        ("approved", f"{report['approved']:,}"),
        ("rejected", f"{report['rejected']:,}"),
        ("payments settled", f"{report['settled']:,}"),
        ("payments failed", f"{report['failed']:,}"),
        ("budget", yuan(report["budget_total_fen"])),
        ("budget used (paid)", f"{yuan(report['budget_used_fen'])}  ({report['budget_used_fen']:,} fen)"),
        ("budget still reserved", yuan(report["budget_reserved_fen"])),
        ("budget available", yuan(report["budget_available_fen"])),
        ("budget balances to the fen", "yes" if report["budget_balanced"] else "NO"),
    ]
    recon = report["reconciliation"]
    rows += [
        ("bank statement matches", f"{recon['matched_to_bank_statement']:,} of {recon['settled_payments']:,} settled"),
        ("bank booked vs ledger paid", f"{yuan(recon['bank_booked_fen'])} vs {yuan(recon['ledger_paid_fen'])}"),
    ]
    if aid := report.get("autumn_aid"):
        rows += [
            ("autumn education aid (same members)", f"{aid['listed']:,} children listed, {aid['eligible']:,} eligible, "
                                                    f"{aid['ineligible']:,} ineligible (with reasons)"),
            ("autumn aid paid", f"{aid['settled']:,} settled, {aid['failed']:,} failed, {yuan(aid['settled_fen'])}; "
                                f"budget balances: {'yes' if aid['budget_balanced'] else 'NO'}"),
        ]
    if day := report.get("bank_day"):
        matched = day["classes"].get("MATCHED", {"items": 0})["items"]
        rows.append((f"bank statement {day['business_date']} (camt.053)",
                     f"{matched:,} items matched, {day['open']:,} open, {day['unexplained']:,} unexplained"))
    rows.append(("wall time", f"{report['wall_seconds']} s"))
    for label, value in rows:
        table.add_row(label, value)
    Console().print(table)


def print_loans_report(report: dict) -> None:
    table = Table(title=f"Interest-subsidised loans {report['campaign']} ({report['region']})", show_header=False)
    recon = report["reconciliation"]
    for label, value in (
        ("enterprises applying", f"{report['enterprises']:,}"),
        ("eligible / approved", f"{report['eligible']:,} / {report['approved']:,}"),
        ("lent by the bank (declined)", f"{report['loans_disbursed']:,} ({report['declined_by_bank']:,})"),
        ("jobs created", f"{report['jobs_created']:,}"),
        ("principal lent", yuan(report["principal_fen"])),
        ("subsidy paid", yuan(report["subsidy_paid_fen"])),
        ("subsidy fund (left)", f"{yuan(report['fund_total_fen'])} ({yuan(report['fund_left_fen'])})"),
        ("loans that waited for the fund; top-up", f"{report['waited_for_fund']:,}; {yuan(report['top_up_fen'])}"),
        ("repaid early / defaulted (clawed back)",
         f"{report['repaid_early']:,} / {report['defaulted']:,} ({yuan(report['clawback_fen'])})"),
        ("periods by status", ", ".join(f"{k} {v['periods']:,}" for k, v in report["periods"].items())),
        ("payment days reconciled (closed; unexplained)", f"{recon['days']} ({recon['closed']}; {recon['unexplained']})"),
        ("wall time", f"{report['wall_seconds']} s"),
    ):
        table.add_row(label, value)
    Console().print(table)


def print_cooling_report(report: dict) -> None:
    table = Table(title=f"Summer cooling {report['campaign']} ({report['region']})", show_header=False)
    for label, value in (
        ("workers listed / registered", f"{report['workers_listed']:,} / {report['registered']:,}"),
        ("reached (coverage)", f"{report['reached']:,} ({report['coverage_percent']} %)"),
        ("over-issues to explain", f"{report['over_issues']:,}"),
        ("sites; shipments", f"{report['sites']:,}; {report['shipments']:,}"),
        ("deliveries exact / short / over", "{exact} / {short} / {over}".format(**report["deliveries"])),
        ("item accounts balanced", str(report["accounts_balanced"])),
        ("wall time", f"{report['wall_seconds']} s"),
    ):
        table.add_row(label, value)
    for item, a in report["items"].items():
        table.add_row(f"  {item}", f"received {a['received']:,} = handed out {a['handed_out']:,} + in stock "
                                   f"{a['in_stock']:,} + in transit {a['in_transit']:,} + written off {a['written_off']:,}")
    Console().print(table)

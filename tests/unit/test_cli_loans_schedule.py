"""`siji loans schedule` as a user runs it: the loan and policy files in the format the README documents
(read from the README itself), or a shipped policy document as is; JSON out."""

import json
import re
from datetime import date, timedelta
from pathlib import Path

from typer.testing import CliRunner

from siji_cli import main
from siji_shared.dates import add_months

ROOT = Path(__file__).resolve().parents[2]
YANCHENG = ROOT / "services" / "loans" / "policies" / "loan-subsidy.yancheng.2026.v1.json"


def documented_inputs() -> dict[str, dict]:
    """The example files of the README's "Loan schedules" section: `name.json: {...}`, over lines."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Loan schedules", 1)[1]
    block = re.search(r"```json\n(.*?)```", section, re.S)
    assert block, "the README shows the input files"
    parts = re.split(r"^(\w+\.json):", block.group(1), flags=re.M)[1:]
    return {name: json.loads(body) for name, body in zip(parts[::2], parts[1::2], strict=True)}


def run(tmp_path: Path, *args: str) -> dict:
    result = CliRunner().invoke(main.app, ["loans", "schedule", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def write(tmp_path: Path, name: str, body: dict) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return str(path)


def test_the_documented_files_give_a_schedule_of_contiguous_periods(tmp_path):
    files = {name: write(tmp_path, name, body) for name, body in documented_inputs().items()}
    assert set(files) == {"loan.json", "policy.json", "bank.json"}
    out = run(tmp_path, "--loan", files["loan.json"], "--policy", files["policy.json"], "--bank", files["bank.json"])
    loan = documented_inputs()["loan.json"]
    start = date.fromisoformat(loan["start"])
    periods = out["periods"]
    assert set(periods[0]) == {"start", "end", "days", "interest_fen", "borrower_fen", "subsidy_fen"}
    assert periods[0]["start"] == (start + timedelta(days=1)).isoformat()
    assert periods[-1]["end"] == add_months(start, loan["term_months"]).isoformat()
    for before, after in zip(periods, periods[1:], strict=False):
        assert date.fromisoformat(after["start"]) == date.fromisoformat(before["end"]) + timedelta(days=1)
    for p in periods:
        assert p["days"] == (date.fromisoformat(p["end"]) - date.fromisoformat(p["start"])).days + 1
        assert p["borrower_fen"] == p["interest_fen"] - p["subsidy_fen"] and 0 <= p["subsidy_fen"] <= p["interest_fen"]
    assert (out["interest_fen"], out["subsidy_fen"], out["borrower_fen"]) == (
        sum(p["interest_fen"] for p in periods), sum(p["subsidy_fen"] for p in periods),
        sum(p["borrower_fen"] for p in periods))
    assert 0 < out["subsidy_fen"] < out["interest_fen"]


def test_a_shipped_policy_document_as_is_with_its_bank_conventions(tmp_path):
    # Yancheng: LPR 3.00 % − 150 bp, so of 3.65 % the subsidy is 2.15 %; its document assumes ACT/365.
    # CNY 10,000 at 3.65 % ACT/365 is 100 fen a day: 20 Dec 2027 to 20 Mar 2028 (29 Feb in it) is 91 days,
    # 9,100 fen of interest; the subsidy 10,000 yuan × 2.15 % × 91 / 365 = 53.6027 yuan, rounded down: 5,360 fen
    loan = write(tmp_path, "loan.json", {"principal_fen": 1_000_000, "annual_rate_bp": 365, "term_months": 3,
                                         "start": "2027-12-20", "method": "interest_only"})
    out = run(tmp_path, "--loan", loan, "--policy", str(YANCHENG))
    assert [(p["end"], p["days"], p["interest_fen"], p["subsidy_fen"], p["borrower_fen"]) for p in out["periods"]] == [
        ("2028-03-20", 91, 9_100, 5_360, 3_740)]
    act360 = run(tmp_path, "--loan", loan, "--policy", str(YANCHENG),
                 "--bank", write(tmp_path, "bank.json", {"day_count": "ACT/360"}))
    # --bank wins: 1,000,000 × 3.65 % × 91 / 360 = 9,226.39 → 9,226 fen; 9,226 × 215 / 365 = 5,434.49 → 5,434
    assert (act360["interest_fen"], act360["subsidy_fen"]) == (9_226, 5_434)


def test_a_policy_that_does_not_follow_the_format_is_refused_saying_why(tmp_path):
    loan = write(tmp_path, "loan.json", {"principal_fen": 1_000_000, "annual_rate_bp": 365, "term_months": 3,
                                         "start": "2027-12-20", "method": "interest_only"})
    policy = write(tmp_path, "policy.json", {"borrower_share": "floor_rate"})
    result = CliRunner().invoke(main.app, ["loans", "schedule", "--loan", loan, "--policy", policy])
    assert result.exit_code != 0 and "LPR" in result.output

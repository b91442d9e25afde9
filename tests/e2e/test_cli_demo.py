"""`siji demo --json` as a person runs it, against the running services."""

import json
import os
import subprocess
import sys
from pathlib import Path

from support.infra import TEST_PORT_OFFSET

SIJI = Path(sys.executable).parent / "siji"


def test_demo_prints_the_summary_as_json_on_the_last_line(infra, deployment):
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, DATABASE_URL=infra.database_url,
               SIJI_PORT_OFFSET=str(TEST_PORT_OFFSET), SIJI_TOKEN_SECRET=deployment.token_secret)
    done = subprocess.run([str(SIJI), "demo", "--recipients", "40", "--json"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["recipients"] == 40
    assert summary["registered"] == summary["eligible"] + summary["ineligible"]
    assert summary["settled"] + summary["failed"] == summary["approved"] > 30
    assert summary["budget_used_fen"] == summary["reconciliation"]["bank_booked_fen"] > 0
    assert summary["budget_balanced"] is True

"""The `siji` command as a person runs it, against the test deployment."""

import os
import subprocess
import sys
from pathlib import Path

from support.infra import TEST_PORT_OFFSET

SIJI = Path(sys.executable).parent / "siji"


def siji(infra, deployment, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=infra.bootstrap_servers, DATABASE_URL=infra.database_url,
               SIJI_PORT_OFFSET=str(TEST_PORT_OFFSET), SIJI_TOKEN_SECRET=deployment.token_secret)
    return subprocess.run([str(SIJI), *args], env=env, capture_output=True, text=True, timeout=300)

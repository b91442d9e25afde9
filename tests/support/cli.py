"""The `siji` command as a person runs it, against the test deployment."""

import os
import subprocess
import sys
from pathlib import Path

from support.infra import TEST_PORT_OFFSET, TEST_STATE

SIJI = Path(sys.executable).parent / "siji"


def siji(infra, deployment, *args: str) -> subprocess.CompletedProcess:
    """With the session's infrastructure: its state folder (the local launchers' ports and Kafka credentials),
    or the external Kafka and PostgreSQL the session was given."""
    settings = infra.stack.settings
    env = dict(os.environ, SIJI_STATE_DIR=str(TEST_STATE), SIJI_KAFKA_PORT=str(settings.kafka_port),
               SIJI_POSTGRES_PORT=str(settings.postgres_port), SIJI_PORT_OFFSET=str(TEST_PORT_OFFSET),
               SIJI_TOKEN_SECRET=deployment.token_secret, SIJI_PII_KEY=deployment.pii_key)
    return subprocess.run([str(SIJI), *args], env=env, capture_output=True, text=True, timeout=300)

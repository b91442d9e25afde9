"""Container images built on this machine, from no registry: a Debian base made by `debootstrap` from
Debian's mirror, then Kafka (the broker jars Maven resolved, on Debian's JRE), PostgreSQL (Debian's
package), the services (one image, an entry point per service) and the bank simulator. The Dockerfiles
are in deploy/images; each build context is a tar stream made here, so nothing is copied into the tree.
`siji images build` (`make images`) starts the Docker engine first when none answers."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from siji_cli.infra import processes
from siji_cli.infra.kafka import LOG4J, ensure_jars
from siji_cli.infra.postgres import SETTINGS
from siji_cli.paths import DEPLOY_DIR, ROOT

IMAGES_DIR = DEPLOY_DIR / "images"
TAG = "0.1.0"
BASE = "siji-base:bookworm"
KAFKA = f"siji-kafka:{TAG}"
POSTGRES = f"siji-postgres:{TAG}"
SIJI = f"siji:{TAG}"
BANK = f"siji-bank:{TAG}"
SOURCE = ("pyproject.toml", "requirements.txt", "contracts", "services", "cli")
BUILD_TOOLS = ("setuptools", "wheel")  # the editable install's build backend, pinned in requirements-dev.txt


def docker(*args: str, stdin: io.BufferedReader | None = None, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["docker", *args], stdin=stdin, capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"docker {args[0]} failed: {(result.stderr or result.stdout)[-3000:]}")
    return result


def engine_answers() -> bool:
    return shutil.which("docker") is not None and docker("info", check=False).returncode == 0


def ensure_engine(state_dir: Path) -> bool:
    """Start Debian's Docker engine when none answers (installing docker.io when absent); True when this
    call started it, so the caller stops it again (`stop_engine`)."""
    if engine_answers():
        return False
    if shutil.which("dockerd") is None:
        _apt_install("docker.io")
    run = state_dir / "docker"
    processes.start_detached(["dockerd"], log_file=run / "dockerd.log", pid_file=run / "dockerd.pid")
    processes.wait_until(engine_answers, timeout=60, what="the Docker engine", log_file=run / "dockerd.log")
    return True


def stop_engine(state_dir: Path) -> bool:
    """Stop the engine `ensure_engine` started; one that was running before is left alone."""
    return processes.stop(state_dir / "docker" / "dockerd.pid", timeout=30.0)


def build_all(state_dir: Path, kafka_lib_dir: Path, *, echo: Callable[[str], None] = print) -> None:
    work = state_dir / "images"
    work.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, Callable[[], None]]] = [
        (BASE, lambda: _build_base(work)),
        (KAFKA, lambda: _build(KAFKA, "kafka.Dockerfile", work, {
            "kafka-lib": ensure_jars(kafka_lib_dir), "log4j2.yaml": LOG4J,
            "kafka-start.sh": IMAGES_DIR / "kafka-start.sh"})),
        (POSTGRES, lambda: _build(POSTGRES, "postgres.Dockerfile", work, {
            "postgres-start.sh": IMAGES_DIR / "postgres-start.sh", "postgresql.siji.conf": _postgres_settings(work)})),
        (SIJI, lambda: _build(SIJI, "siji.Dockerfile", work, {
            "wheels": _wheels(work / "wheels"), **{f"app/{name}": ROOT / name for name in SOURCE}})),
        (BANK, lambda: _build(BANK, "bank.Dockerfile", work, {})),
    ]
    for name, step in steps:
        started = time.monotonic()
        step()
        echo(f"{name}: ready in {time.monotonic() - started:.0f} s")


def _postgres_settings(work: Path) -> Path:
    """The local launcher's PostgreSQL settings, for the image's first start to append."""
    path = work / "postgresql.siji.conf"
    path.write_text(SETTINGS)
    return path


def image_exists(name: str) -> bool:
    return docker("image", "inspect", name, check=False).returncode == 0


def _build_base(work: Path) -> None:
    """A minimal Debian bookworm made by debootstrap (once: docker's layer cache cannot see it)."""
    if image_exists(BASE):
        return
    if shutil.which("debootstrap") is None:
        _apt_install("debootstrap")
    rootfs = work / "rootfs"
    shutil.rmtree(rootfs, ignore_errors=True)
    subprocess.run(["debootstrap", "--variant=minbase", "bookworm", str(rootfs)], check=True,
                   stdout=subprocess.DEVNULL)
    for cache in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for item in (rootfs / cache).glob("*"):
            if item.is_file():
                item.unlink()
    with tempfile.TemporaryFile(dir=work) as archive:
        subprocess.run(["tar", "-C", str(rootfs), "-c", "."], stdout=archive, check=True)
        archive.seek(0)
        docker("import", "--change", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "--change", 'CMD ["bash"]', "-", BASE, stdin=archive)  # type: ignore[arg-type]
    shutil.rmtree(rootfs)


def _build(name: str, dockerfile: str, work: Path, files: dict[str, Path]) -> None:
    """`docker build` on a context streamed as a tar: the Dockerfile and `files` (path in the context ->
    file or folder here); Python's caches and build leftovers stay out."""
    with tempfile.TemporaryFile(dir=work) as context:
        with tarfile.open(fileobj=context, mode="w", format=tarfile.GNU_FORMAT) as tar:
            tar.add(IMAGES_DIR / dockerfile, "Dockerfile")
            for target, source in files.items():
                tar.add(source, target, filter=_without_caches)
        context.seek(0)
        docker("build", "--quiet", "--tag", name, "-", stdin=context)  # type: ignore[arg-type]


def _without_caches(member: tarfile.TarInfo) -> tarfile.TarInfo | None:
    parts = Path(member.name).parts
    if any(p == "__pycache__" or p.endswith(".egg-info") or p in {".pytest_cache", ".mypy_cache"} for p in parts):
        return None
    return member


def _wheels(folder: Path) -> Path:
    """Wheels of every pinned runtime requirement (and the build backend) for the image's pip, which
    reaches no index: made here, where the package index is reachable."""
    pins = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
            if line.split("==")[0] in BUILD_TOOLS]
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",
                    "--wheel-dir", str(folder), "-r", str(ROOT / "requirements.txt"), *pins], check=True)
    return folder


def _apt_install(package: str) -> None:
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True)
    subprocess.run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", package],
                   check=True, stdout=subprocess.DEVNULL)

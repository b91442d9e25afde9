"""create_app(): the audit service: its consumers, the sweep that raises findings, and its findings route."""

from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI

from audit import handlers, watch
from audit.api import router
from audit.bootstrap import Audit, bootstrap
from audit.config import Settings
from siji_shared import outbox, tracing
from siji_shared.leader import run_as_schema_leader
from siji_shared.logging import configure_logging
from siji_shared.service_app import ServiceWiring, health_router, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


async def _sweeps(c: Audit) -> None:
    sweeper = watch.Sweeper(grace=timedelta(seconds=c.settings.grace_seconds))

    async def step() -> bool:
        async with c.pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, await sweeper.sweep(conn))
        return False

    await run_as_schema_leader(c.pool, job="sweep", step=step, poll_seconds=c.settings.sweep_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("audit", fmt=settings.log_format, level=settings.log_level)
    app = FastAPI(title="Siji audit", lifespan=service_lifespan(ServiceWiring(
        name="audit", schema="audit", settings=settings, migrations=MIGRATIONS, bootstrap=bootstrap,
        consumers=handlers.register, background=lambda container: [_sweeps(container)])))
    app.state.settings = settings
    tracing.configure("audit", app, otlp_endpoint=settings.otlp_endpoint)
    app.include_router(router)
    app.include_router(health_router)
    return app

"""create_app(): settings -> logging -> routes -> lifespan (migrations, pool, container, Kafka, outbox relay)."""

from pathlib import Path

from fastapi import FastAPI

from eligibility import handlers, jobs
from eligibility.api import router
from eligibility.bootstrap import bootstrap
from eligibility.config import Settings
from eligibility.domain import DecisionRefused
from eligibility.imports import ImportRunning
from eligibility.policies import VersionConflict
from eligibility.policy import PolicyInvalid
from eligibility.roster import RosterUnreadable
from eligibility.service import ApplicationsInvalid, Forbidden, NotFound
from siji_shared import tracing
from siji_shared.http import install_error_handlers
from siji_shared.logging import configure_logging
from siji_shared.service_app import ServiceWiring, health_router, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("eligibility", fmt=settings.log_format, level=settings.log_level)
    app = FastAPI(title="Siji eligibility", lifespan=service_lifespan(ServiceWiring(
        name="eligibility", schema="eligibility", settings=settings, migrations=MIGRATIONS, bootstrap=bootstrap,
        consumers=handlers.register, background=jobs.background, on_start=jobs.on_start,
    )))
    app.state.settings = settings
    tracing.configure("eligibility", app, otlp_endpoint=settings.otlp_endpoint)
    app.include_router(router)
    app.include_router(health_router)
    install_error_handlers(app, {DecisionRefused: 409, ImportRunning: 409, NotFound: 404, Forbidden: 403,
                                 RosterUnreadable: 422, VersionConflict: 409, PolicyInvalid: 422,
                                 ApplicationsInvalid: 422})
    return app

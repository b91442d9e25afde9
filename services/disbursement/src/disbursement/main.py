"""create_app(): settings -> logging -> routes -> lifespan (migrations, pool, Kafka, outbox relay, dispatcher)."""

from functools import partial
from pathlib import Path

from fastapi import FastAPI

from disbursement import handlers
from disbursement.api import router
from disbursement.bank import BankClient
from disbursement.config import Settings
from disbursement.dispatcher import Dispatcher
from disbursement.service import BudgetExists
from siji_shared.http import install_error_handlers
from siji_shared.leader import run_as_leader
from siji_shared.logging import configure_logging
from siji_shared.pii import PiiVault
from siji_shared.service_app import Runtime, service_lifespan

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
SCHEMA = "disbursement"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("disbursement", fmt=settings.log_format, level=settings.log_level)
    vault = PiiVault(settings.pii_key)

    async def dispatch_payments(runtime: Runtime) -> None:
        bank = BankClient(settings.bank_url, timeout=settings.bank_timeout_seconds)
        dispatcher = Dispatcher(runtime.pool, bank, vault, batch_size=settings.dispatch_batch_size,
                                concurrency=settings.bank_concurrency)
        try:
            await run_as_leader(runtime.pool, name=f"siji-dispatcher:{SCHEMA}", channel=f"{SCHEMA}_payments",
                                step=dispatcher.dispatch_due, poll_seconds=settings.relay_poll_seconds)
        finally:
            await bank.aclose()

    app = FastAPI(title="Siji disbursement", lifespan=service_lifespan(
        name="disbursement", schema=SCHEMA, settings=settings, migrations=MIGRATIONS,
        consumers=partial(handlers.register, vault=vault),
        background=lambda runtime: [dispatch_payments(runtime)],
    ))
    app.state.settings = settings
    app.include_router(router)
    install_error_handlers(app, {BudgetExists: 409})
    return app

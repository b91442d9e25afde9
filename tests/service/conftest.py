"""The service tier: use cases called directly, each on a fresh schema of real PostgreSQL (the SQL is
the logic), with fakes for what lies outside the database (dead letters, the bank)."""

from pathlib import Path

import pytest

import disbursement.main
import eligibility.main
import reconciliation.main
from disbursement.bootstrap import bootstrap as disbursement_bootstrap
from disbursement.config import Settings as DisbursementSettings
from eligibility import policies
from eligibility.bootstrap import bootstrap as eligibility_bootstrap
from eligibility.config import Settings as EligibilitySettings
from reconciliation.bootstrap import bootstrap as reconciliation_bootstrap
from reconciliation.config import Settings as ReconciliationSettings
from siji_shared.db import create_pool, migrate
from support.service import VAULT, NoDeadLetters


async def fresh(infra, schema: str, migrations: Path):
    await migrate(infra.database_url, schema, migrations)
    return await create_pool(infra.database_url, schema, size=4)


@pytest.fixture
async def elig(infra, schema):
    pool = await fresh(infra, schema, eligibility.main.MIGRATIONS)
    await policies.load_shipped(pool)  # as the service does when it starts
    yield eligibility_bootstrap(EligibilitySettings(), pool=pool, dead_letters=NoDeadLetters(), vault=VAULT)
    await pool.close()


@pytest.fixture
async def disb(infra, schema):
    pool = await fresh(infra, schema, disbursement.main.MIGRATIONS)
    container = disbursement_bootstrap(DisbursementSettings(), pool=pool, dead_letters=NoDeadLetters(), vault=VAULT)
    yield container
    await container.aclose()
    await pool.close()


@pytest.fixture
async def recon(infra, schema):
    pool = await fresh(infra, schema, reconciliation.main.MIGRATIONS)
    container = reconciliation_bootstrap(ReconciliationSettings(), pool=pool, dead_letters=NoDeadLetters())
    yield container
    await container.aclose()
    await pool.close()

from pathlib import Path

import pytest

from siji_shared.db import create_pool, migrate

TEST_MIGRATIONS = Path(__file__).parent / "migrations"


@pytest.fixture
async def pool(infra, schema):
    """A pool on a fresh schema holding the runtime's tables and a test `effects` table."""
    await migrate(infra.database_url, schema, TEST_MIGRATIONS)
    pool = await create_pool(infra.database_url, schema, size=4)
    yield pool
    await pool.close()

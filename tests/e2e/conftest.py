"""The e2e tier's client of the running services' APIs."""

import pytest

from support.api import Api


@pytest.fixture
async def api(deployment):
    client = Api(deployment)
    yield client
    await client.aclose()

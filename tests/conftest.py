import uuid

import pytest

from support.infra import Endpoints, test_infrastructure


@pytest.fixture(scope="session")
def infra():
    """Kafka and PostgreSQL for the whole session: started here unless external ones are configured."""
    stack = test_infrastructure()
    stack.up()
    yield Endpoints(bootstrap_servers=stack.bootstrap_servers, database_url=stack.database_url)
    stack.down()


@pytest.fixture
def schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"

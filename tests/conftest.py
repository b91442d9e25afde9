import os
import uuid

import pytest

from siji_shared.pii import personal_data_in
from support.api import Api
from support.infra import TEST_STATE, Endpoints, fresh_test_infrastructure, test_deployment


@pytest.fixture(scope="session")
def infra():
    """Kafka and PostgreSQL for the whole session: started here unless external ones are configured."""
    stack = fresh_test_infrastructure()
    try:
        stack.up()  # the topics, the users and their ACLs too
    except BaseException:
        stack.down()
        raise
    yield Endpoints(bootstrap_servers=stack.bootstrap_servers, database_url=stack.database_url, stack=stack)
    if not os.environ.get("SIJI_KEEP_TEST_INFRA"):
        stack.down()


@pytest.fixture(scope="session")
def deployment(infra):
    """Eligibility, disbursement and the bank simulator as separate processes, for the whole session."""
    services = test_deployment(infra)
    services.start_all()
    yield services
    services.stop_all()


@pytest.fixture
def schema() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def api(deployment):
    """A client of the running services' APIs, with tokens per role."""
    client = Api(deployment)
    yield client
    await client.aclose()


def pytest_sessionfinish(session, exitstatus):
    """After the whole suite: no log file the services wrote holds a national ID or a bank card number in
    clear (a finding fails the run)."""
    found = [f"{path.name}: {hit}" for path in sorted((TEST_STATE / "logs").glob("*.log"))
             for line in path.read_text(errors="replace").splitlines() for hit in personal_data_in(line)]
    if found:
        session.config.get_terminal_writer().line(f"personal data in clear in the logs: {found[:10]}", red=True)
        session.exitstatus = 1

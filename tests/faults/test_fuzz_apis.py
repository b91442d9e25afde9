"""Every HTTP API fuzzed from its own OpenAPI schema (schemathesis: valid and invalid inputs alike):
no 5xx, and every 4xx says why in its `detail`."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from siji_shared.auth import Role

AS = {"eligibility": Role.CASEWORKER, "disbursement": Role.FINANCE, "reconciliation": Role.FINANCE,
      "loans": Role.FINANCE, "cooling": Role.CASEWORKER, "audit": Role.AUDITOR}


@pytest.mark.parametrize("service", sorted(AS))
def test_no_input_makes_a_service_fail_and_every_refusal_says_why(service, deployment, api):
    base = deployment.url(service)
    auth = api.auth(f"fuzz-{service}", AS[service])
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=8, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def call(case) -> None:
                response = case.call(base_url=base, headers=auth, timeout=30)
                label = f"{case.method} {case.formatted_path} -> {response.status_code}"
                if response.status_code >= 500:
                    failures.append(f"{label}: {response.text[:300]}")
                elif response.status_code >= 400:
                    try:
                        detail = response.json().get("detail")
                    except ValueError:
                        detail = None
                    if not detail:
                        failures.append(f"{label}: a refusal without a reason: {response.text[:300]}")

            try:
                call()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # an operation that takes nothing has no invalid input
    assert not failures, failures[:10]

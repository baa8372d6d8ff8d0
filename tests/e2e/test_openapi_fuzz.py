"""schemathesis generates requests from the host's own OpenAPI description and sends them to the real host over
HTTPS: whatever it sends, the host never answers with a server error, and every answer is application/scim+json
with a SCIM body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from e2e_host import TOKEN, RunningHost, start_demo_host

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fuzz_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("home-fuzz"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(fuzz_host: RunningHost) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment overrides `verify`
        session.verify = str(fuzz_host.cert)
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session


@pytest.fixture(scope="module")
def api_schema(fuzz_host: RunningHost, http: requests.Session) -> schemathesis.BaseSchema:
    response = http.get(f"{fuzz_host.tenant_url}/openapi.json", timeout=10)
    response.raise_for_status()
    return schemathesis.openapi.from_dict(response.json())


def test_generated_requests_never_get_a_server_error(
    api_schema: schemathesis.BaseSchema, fuzz_host: RunningHost, http: requests.Session
) -> None:
    # schemathesis's own pytest plugin does not run under pytest 9 yet, so each operation gets a plain
    # hypothesis test built from the operation's strategy.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10

    for operation in operations:

        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def check(case: schemathesis.Case) -> None:
            response = case.call(base_url=fuzz_host.tenant_url, session=http, timeout=30, verify=str(fuzz_host.cert))
            case.validate_response(response, checks=[not_a_server_error])
            content_type = "".join(response.headers.get("content-type", []))
            assert content_type.startswith("application/scim+json") or response.status_code == 204

        check()

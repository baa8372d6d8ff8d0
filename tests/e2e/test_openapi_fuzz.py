"""schemathesis generates requests from the host's own OpenAPI description and sends them to the real host over
HTTPS: whatever it sends, the host never answers with a server error, and every answer is application/scim+json
with a SCIM body."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
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
        session.verify = str(fuzz_host.cert)
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session


@pytest.fixture(scope="module")
def api_schema(fuzz_host: RunningHost, http: requests.Session) -> schemathesis.BaseSchema:
    response = http.get(f"{fuzz_host.tenant_url}/openapi.json", timeout=10)
    response.raise_for_status()
    return schemathesis.openapi.from_dict(response.json())


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_get_a_server_error(
    case: schemathesis.Case, fuzz_host: RunningHost, http: requests.Session
) -> None:
    response = case.call(base_url=fuzz_host.tenant_url, session=http, timeout=30)
    case.validate_response(response, checks=[not_a_server_error])
    assert response.headers.get("content-type", "").startswith("application/scim+json") or response.status_code == 204

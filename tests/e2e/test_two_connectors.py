"""One host, two connectors: each answers only to its own token, at its own case-sensitive URL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.sql.demo_schema import create_demo_tables
from ecmahost.demo import demo_connector
from ecmahost.home import Home

from e2e_host import RunningHost, prepare_home, start_serve_host

pytestmark = pytest.mark.e2e

TOKENS = {"hr": "token-of-hr-0123456789", "Sales": "token-of-sales-0123456789"}


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    home = tmp_path_factory.mktemp("home-two")
    for name in TOKENS:
        asyncio.run(create_demo_tables(f"sqlite:///{home / name}.db", home))
    prepare_home(home, demo_connector("hr", f"sqlite:///{home / 'hr'}.db"), TOKENS["hr"])
    store = ConnectorStore(Home(home))
    store.save(demo_connector("Sales", f"sqlite:///{home / 'Sales'}.db"))
    store.set_token("Sales", TOKENS["Sales"])
    running = start_serve_host(home)
    yield running
    running.stop()


def get(host: RunningHost, connector: str, token: str) -> httpx.Response:
    with httpx.Client(verify=host.tls()) as client:
        url = f"{host.root}/ecma2host_{connector}/scim/Users"
        return client.get(url, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("connector", sorted(TOKENS))
def test_each_connector_accepts_its_own_token(host: RunningHost, connector: str) -> None:
    assert get(host, connector, TOKENS[connector]).status_code == 200


def test_a_token_of_one_connector_never_opens_another(host: RunningHost) -> None:
    assert get(host, "hr", TOKENS["Sales"]).status_code == 401
    assert get(host, "Sales", TOKENS["hr"]).status_code == 401


def test_connector_names_are_case_sensitive(host: RunningHost) -> None:
    assert get(host, "sales", TOKENS["Sales"]).status_code == 404
    assert get(host, "HR", TOKENS["hr"]).status_code == 404

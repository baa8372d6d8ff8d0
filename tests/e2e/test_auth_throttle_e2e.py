"""Failed-token throttling on the real host over HTTPS: a burst of wrong tokens from the address the right token
also comes from (as behind Microsoft's provisioning agent) is throttled, and the right token answers 200
throughout."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from e2e_host import RunningHost, start_demo_host

pytestmark = pytest.mark.e2e

GUESSERS = 4
GUESSES_EACH = 40


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningHost]:
    running = start_demo_host(tmp_path_factory.mktemp("home-throttle"))
    yield running
    running.stop()


def _guess(host: RunningHost, index: int, statuses: list[int], lock: threading.Lock) -> None:
    with host.client(token=None) as client:
        for guess in range(GUESSES_EACH):
            response = client.get("/Users", headers={"Authorization": f"Bearer wrong-{index}-{guess:06}-token"})
            with lock:
                statuses.append(response.status_code)


def test_a_burst_of_wrong_tokens_never_refuses_the_right_token(host: RunningHost) -> None:
    with host.client() as scim:
        assert scim.get("/Users", params={"count": 1}).status_code == 200, "the agent's token is in use"
        wrong: list[int] = []
        lock = threading.Lock()
        guessers = [threading.Thread(target=_guess, args=(host, i, wrong, lock)) for i in range(GUESSERS)]
        for thread in guessers:
            thread.start()
        right = []
        while any(thread.is_alive() for thread in guessers):
            right.append(scim.get("/Users", params={"count": 1}).status_code)
        for thread in guessers:
            thread.join()
        right.append(scim.get("/Users", params={"count": 1}).status_code)
    assert set(right) == {200}, right
    assert set(wrong) <= {401, 429}
    assert wrong.count(401) <= 10, "at most auth_limit.max_failures guesses were checked"
    assert wrong.count(429) >= GUESSERS * GUESSES_EACH - 10


def test_a_throttled_address_gets_429_with_retry_after_for_a_wrong_token(host: RunningHost) -> None:
    with host.client(token="wrong-token-after-the-burst") as client:
        for _ in range(11):
            response = client.get("/Users")
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    assert int(response.headers["retry-after"]) > 0
    assert "try again" in response.json()["detail"]

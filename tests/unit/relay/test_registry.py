"""The relay's registry: one-time codes, agents as nkey users with their site's subjects only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from ecmahost.relay.registry import RegistryError, RelayHome, new_seed, public_key


def test_a_code_is_spent_once_and_stored_only_as_a_hash(tmp_path: Path) -> None:
    home = RelayHome(tmp_path)
    home.init()
    code = home.add_site("paris")
    assert code not in home.sites_file.read_text()
    assert home.redeem(code) == "paris"
    with pytest.raises(RegistryError, match="unknown registration code"):
        home.redeem(code)


def test_an_expired_code_is_refused(tmp_path: Path) -> None:
    home = RelayHome(tmp_path)
    code = home.add_site("paris", seconds=0)
    time.sleep(0.01)
    with pytest.raises(RegistryError, match="expired"):
        home.redeem(code)


def test_an_agent_may_subscribe_to_its_site_and_answer_only(tmp_path: Path) -> None:
    home = RelayHome(tmp_path)
    home.init()
    home.add_site("paris")
    key = public_key(new_seed())
    home.add_agent("paris", key)
    line = next(line for line in home.auth_file.read_text().splitlines() if key in line)
    assert '"subscribe": {"allow": ["ecmahost.req.paris.>"]}' in line
    assert '"publish": {"allow": ["ecmahost.hb.paris"]}' in line
    assert '"allow_responses": true' in line


@pytest.mark.parametrize("key", ["UNOTAKEY", "S" + "A" * 55, ""])
def test_only_a_user_public_key_is_accepted(tmp_path: Path, key: str) -> None:
    home = RelayHome(tmp_path)
    home.init()
    home.add_site("paris")
    with pytest.raises(RegistryError, match="public key"):
        home.add_agent("paris", key)


def test_revoke_removes_the_user_from_the_authorization_file(tmp_path: Path) -> None:
    home = RelayHome(tmp_path)
    home.init()
    home.add_site("paris")
    key = public_key(new_seed())
    home.add_agent("paris", key)
    assert home.revoke(key[:10])["site"] == "paris"
    assert key not in home.auth_file.read_text()

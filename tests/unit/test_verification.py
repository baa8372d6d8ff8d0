"""`TargetVerification`: what a request of a served connector gets while its file is checked against its target,
after a problem was found, and when the target was down at the check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ecmahost import errors
from ecmahost.config.model import ConnectorConfig
from ecmahost.connectors.base import Connector, TargetProblem
from ecmahost.connectors.errors import ConfigurationError, TargetUnavailable
from ecmahost.verification import TargetVerification

pytestmark = pytest.mark.anyio


class ScriptedConnector(Connector):
    """`verify` answers from a list: a list of problems, or an exception to raise."""

    type_name = "scripted"
    check = discover = search = get = create = update = delete = None  # type: ignore[assignment]

    def __init__(self, answers: list[Any]) -> None:
        config = ConnectorConfig.model_validate(
            {"name": "hr", "type": "scripted", "object_types": {"User": {"anchor": "Id", "attributes": {"Id": {}}}}}
        )
        super().__init__(config, home=Path("."))
        self.answers = answers
        self.calls = 0

    async def verify(self) -> list[TargetProblem]:
        self.calls += 1
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return list(answer)


ScriptedConnector.__abstractmethods__ = frozenset()
GROUP_PROBLEM = TargetProblem("object_types.Group.members.group_key", "no column set", "set it", "Group")


async def test_a_problem_of_one_object_type_refuses_only_that_one() -> None:
    verification = TargetVerification(ScriptedConnector([[GROUP_PROBLEM]]), 5)
    await verification.admit("User")
    with pytest.raises(errors.TargetUnavailable) as refused:
        await verification.admit("Group")
    assert "/Groups of 'hr' is not served" in refused.value.detail
    assert "object_types.Group.members.group_key: no column set; set it" in refused.value.detail
    assert refused.value.retry_after is not None
    assert verification.state()["not_served"] == ["Groups"]
    assert not verification.clear


async def test_a_connector_without_problems_is_clear_after_one_check() -> None:
    connector = ScriptedConnector([[]])
    verification = TargetVerification(connector, 5)
    await verification.admit("User")
    await verification.admit("Group")
    assert verification.clear
    assert connector.calls == 1


async def test_discovery_neither_waits_for_nor_triggers_the_check() -> None:
    connector = ScriptedConnector([[]])
    verification = TargetVerification(connector, 5)
    await verification.admit(None)
    assert connector.calls == 0


async def test_a_down_target_answers_503_and_is_checked_again_at_the_next_request() -> None:
    down = TargetUnavailable("cannot reach the database")
    connector = ScriptedConnector([down, TargetUnavailable("cannot reach the database"), [GROUP_PROBLEM]])
    verification = TargetVerification(connector, 5)
    await verification.settle_quietly()
    assert verification.state()["unverified_reason"] == "cannot reach the database"
    with pytest.raises(errors.TargetUnavailable, match="cannot reach the database"):
        await verification.admit("User")
    await verification.admit("User")  # the target is back: checked now
    with pytest.raises(errors.TargetUnavailable, match="not served"):
        await verification.admit("Group")
    assert connector.calls == 3


async def test_a_connection_problem_refuses_every_object_type() -> None:
    verification = TargetVerification(ScriptedConnector([ConfigurationError("permission denied on schema hr")]), 5)
    with pytest.raises(errors.TargetUnavailable, match=r"connector 'hr' is not served: .*permission denied"):
        await verification.admit("User")
    with pytest.raises(errors.TargetUnavailable):
        await verification.admit(None)


async def test_a_check_that_breaks_leaves_the_connector_served() -> None:
    verification = TargetVerification(ScriptedConnector([RuntimeError("a bug in a check")]), 5)
    await verification.admit("User")
    assert verification.clear


async def test_a_refused_request_checks_again_once_the_last_check_is_old(monkeypatch: pytest.MonkeyPatch) -> None:
    connector = ScriptedConnector([[GROUP_PROBLEM], []])  # then the column was added to the database
    verification = TargetVerification(connector, 5)
    await verification.settle()
    with pytest.raises(errors.TargetUnavailable):
        await verification.admit("Group")  # checked just now: refused without asking the target
    assert connector.calls == 1
    monkeypatch.setattr("ecmahost.verification.RECHECK_SECONDS", 0.0)
    await verification.admit("Group")
    assert connector.calls == 2
    assert verification.clear

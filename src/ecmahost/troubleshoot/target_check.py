"""Check a connector configuration against its target before it is saved: the glue between the configuration
layer and `Connector.verify`, for the wizard (web and CLI), `connector import` and `test-connection`.

`check_target(config, home)` builds the connector, asks its target once and closes it; it returns the problems
found, or why the target could not be asked (then nothing was checked). `refusal` turns either into the
`ConfigFileError` a save raises, each problem an `Issue` with its file key and fix. It writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecmahost.config import yaml_io
from ecmahost.config.errors import ConfigError, ConfigFileError, Issue
from ecmahost.config.model import ConnectorConfig
from ecmahost.config.validation import validate_connector
from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.errors import ConnectorError, TargetUnavailable
from ecmahost.connectors.registry import connector_type
from ecmahost.deadlines import within
from ecmahost.home import Home
from ecmahost.troubleshoot.steps import Step, failed, passed, warned

logger = logging.getLogger(__name__)

CHECK_SECONDS = 30.0
SKIP_HINT = (
    "start the target (or fix the connection) and save again, or save without the check "
    "(`--skip-target-check`; in the web wizard, tick 'Save without checking the target'): the host then checks "
    "it when it loads the file"
)


@dataclass(slots=True)
class TargetCheck:
    problems: list[TargetProblem] = field(default_factory=list)
    unreachable: str | None = None
    """why the target could not be asked (nothing was checked), None when it was"""

    @property
    def passed(self) -> bool:
        return self.unreachable is None and not self.problems


async def check_target(config: ConnectorConfig, home: Home) -> TargetCheck:
    """Compare `config` with its target once (`Connector.verify`), within `CHECK_SECONDS`."""
    try:
        connector = connector_type(config.type)(config, home=home.root)
    except Exception as exc:  # the connector cannot even be built from this configuration
        return TargetCheck([TargetProblem("connection", str(exc), "check the connection settings")])
    try:
        async with within(CHECK_SECONDS):
            await connector.open()
            return TargetCheck(await connector.verify())
    except TimeoutError:
        return TargetCheck(unreachable=f"the target did not answer within {CHECK_SECONDS:g} s")
    except TargetUnavailable as exc:
        return TargetCheck(unreachable=exc.detail)
    except ConnectorError as exc:
        return TargetCheck([TargetProblem("connection", exc.detail, "check the connection settings")])
    finally:
        try:
            await connector.close()
        except Exception:  # closing a connector that never connected must not hide the result
            logger.debug("closing the connector after its target check failed", exc_info=True)


async def check_raw(raw: Mapping[str, Any], home: Home, *, file: str, allow_plaintext: bool = False) -> TargetCheck:
    """`check_target` for a file's parsed content. A configuration that cannot be built for the check (an
    environment variable its password needs is not set here) counts as a target that cannot be reached."""
    try:
        config = validate_connector(raw, file=file, home=home, allow_plaintext=allow_plaintext, require_env=True)
    except ConfigError as exc:
        return TargetCheck(unreachable=str(exc))
    return await check_target(config, home)


def refusal(check: TargetCheck, file: str) -> ConfigFileError | None:
    """The error that stops a save: one issue per problem, or one saying the target could not be reached."""
    if check.problems:
        issues = [Issue(p.where, f"does not match the target: {p.problem}", fix=p.fix) for p in check.problems]
        return ConfigFileError(file, issues)
    if check.unreachable is not None:
        return ConfigFileError.single(
            file, f"cannot check the connector against its target: {check.unreachable}", fix=SKIP_HINT
        )
    return None


async def import_refusal(text: str, home: Home, *, name: str | None, source: str) -> ConfigFileError | None:
    """What stops importing `text` (an exported connector file) because of its target, or None. A file that is
    invalid by itself is left to `ConnectorStore.import_`, which lists its own issues."""
    try:
        raw = yaml_io.parse_mapping(text, file=source)
        if name is not None:
            raw["name"] = name
        validate_connector(raw, file=source, home=home, allow_plaintext=True, require_env=False)
    except ConfigError:
        return None
    return refusal(await check_raw(raw, home, file=source, allow_plaintext=True), source)


TARGET_FILE_STEP = "Connector file matches the target"


async def target_step(config: ConnectorConfig, home: Home) -> Step:
    """`test-connection`'s step for the file against the target, run where the home is readable (on the host)."""
    check = await check_target(config, home)
    name = config.name
    if check.unreachable is not None:
        return warned(TARGET_FILE_STEP, f"not checked: the target could not be reached from here: {check.unreachable}")
    if check.problems:
        listed = "; ".join(problem.render() for problem in check.problems)
        return failed(
            TARGET_FILE_STEP,
            f"{len(check.problems)} problem(s): {listed}",
            f"edit the file (`ecmahost connector edit {name}` or the admin UI); the running host applies it without "
            "a restart and serves the object types it refused",
        )
    return passed(TARGET_FILE_STEP, "every table, column, key, object class or file it names exists")

"""The running host: each configured connector with its connector instance and provisioning service.

Built from the home folder's connector files; `start()` opens every connector (which must not fail when a target
is down: requests then get 503) and verifies each against its target in the background (`verification`: an
object type whose file does not match its target answers 503), `stop()` closes them. A connector whose file is
invalid is left out and its error is kept, so one broken file never stops the others from serving. The runtime
also keeps each connector's recent target errors (recorded by the http layer), which the host monitor publishes
for `ecmahost status`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ecmahost.config.model import ConnectorConfig
from ecmahost.connectors.base import Connector
from ecmahost.connectors.registry import connector_type
from ecmahost.observability.recent_errors import RecentErrors
from ecmahost.service import ProvisioningService
from ecmahost.verification import TargetVerification

logger = logging.getLogger(__name__)

STOP_WAIT_SECONDS = 5.0
"""how long a stopping host waits for target checks still in flight"""


@dataclass(slots=True)
class ConnectorRuntime:
    config: ConnectorConfig
    connector: Connector
    service: ProvisioningService
    verification: TargetVerification

    @property
    def token_hash(self) -> str | None:
        return self.config.token.hash if self.config.token else None


@dataclass(slots=True)
class HostRuntime:
    home: Path
    connectors: dict[str, ConnectorRuntime] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    """connector name (or file) -> why it is not served"""
    recent_errors: RecentErrors = field(default_factory=RecentErrors)
    """each connector's last target errors (503/500 answers), for `ecmahost status`"""
    verifying: set[asyncio.Task[None]] = field(default_factory=set)

    @classmethod
    def build(
        cls,
        home: Path,
        configs: dict[str, ConnectorConfig],
        errors: dict[str, str] | None = None,
        *,
        types: Mapping[str, type[Connector]] | None = None,
    ) -> HostRuntime:
        """`types` serves connector types that are not installed (a test's `kit.MemoryConnector`) by name."""
        runtime = cls(home, errors=dict(errors or {}))
        for name, config in configs.items():
            try:
                kind = (types or {}).get(config.type) or connector_type(config.type)
                connector = kind(config, home=home)
                verification = TargetVerification(connector, config.limits.target_timeout_seconds)
                service = ProvisioningService(config, connector)
                runtime.connectors[name] = ConnectorRuntime(config, connector, service, verification)
            except Exception as exc:  # one broken connector must not stop the others
                logger.error("connector %s is not served: %s", name, exc)
                runtime.errors[name] = str(exc)
        return runtime

    async def start(self) -> None:
        for name, item in self.connectors.items():
            await item.connector.open()
            logger.info("connector %s (%s) ready at /ecma2host_%s/scim", name, item.config.type, name)
            self.verify_soon(item)

    def verify_soon(self, item: ConnectorRuntime) -> None:
        """Verify `item` against its target in the background (its first request waits for it if need be)."""
        task = asyncio.get_running_loop().create_task(item.verification.settle_quietly())
        self.verifying.add(task)
        task.add_done_callback(self.verifying.discard)

    async def stop(self) -> None:
        if self.verifying:  # let checks in flight end (a driver thread must not outlive the loop), within bounds
            _, late = await asyncio.wait(list(self.verifying), timeout=STOP_WAIT_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        for item in self.connectors.values():
            try:
                await item.connector.close()
            except Exception:
                logger.exception("closing connector %s failed", item.config.name)

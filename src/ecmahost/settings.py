"""Host settings, read from `<home>/host.yaml`: port, bind address, TLS certificate, log levels, log files.

A missing file means all defaults; unknown keys are errors (a typo should not be silently ignored). Saving
keeps the file's comments. This module does not apply the settings (the server, logging and TLS code do).
"""

from __future__ import annotations

import ipaddress
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml.comments import CommentedMap

from ecmahost.config import yaml_io
from ecmahost.config.errors import ConfigFileError, Issue
from ecmahost.home import Home, write_private

DEFAULT_PORT = 8585
MAX_DRAIN_SECONDS = 60
LOOPBACK = ("127.0.0.1", "::1")


def proxy_address(text: str) -> str:
    """A trusted proxy: one IP address or a network (`10.0.0.0/8`), normalized; `ValueError` for anything else
    (a `*` included: trusting every peer would let any client choose the address it is throttled and logged as)."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not an IP address or network (e.g. 127.0.0.1, 10.0.0.0/8, ::1)") from None
    return str(network.network_address) if network.num_addresses == 1 else str(network)


class LogLevel(StrEnum):
    """The ECMA host's trace levels (`switchValue`); matched case-insensitively when read."""

    OFF = "Off"
    ERROR = "Error"
    WARNING = "Warning"
    INFORMATION = "Information"
    VERBOSE = "Verbose"

    @classmethod
    def _missing_(cls, value: object) -> LogLevel | None:
        if isinstance(value, str):
            for member in cls:
                if member.value.lower() == value.lower():
                    return member
        return None

    @property
    def python_level(self) -> int:
        """The `logging` level to set: Off is above CRITICAL, Verbose is DEBUG."""
        return _PYTHON_LEVELS[self]


_PYTHON_LEVELS = {
    LogLevel.OFF: logging.CRITICAL + 10,
    LogLevel.ERROR: logging.ERROR,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.INFORMATION: logging.INFO,
    LogLevel.VERBOSE: logging.DEBUG,
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsSettings(_Section):
    certificate: Path | None = None
    """PEM certificate (chain); None: the generated `certs/host.crt`. Relative paths are from the home."""
    key: Path | None = None
    """PEM private key, unencrypted; None: the generated `certs/host.key`."""


class LogLevels(_Section):
    host: LogLevel = LogLevel.ERROR
    connectors: LogLevel = LogLevel.ERROR


class LogFileSettings(_Section):
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    backups: int = Field(default=5, ge=0, le=100)


class LogFormat(StrEnum):
    TEXT = "text"
    """one line per record: time, level, connector, logger, message (tracebacks on the lines that follow)"""
    JSON = "json"
    """one JSON object per line (time, level, connector, logger, message, request_id, exception)"""


class MetricsSettings(_Section):
    enabled: bool = True
    """serve `GET /metrics` in the Prometheus text format"""
    token_hash: str | None = None
    """when set, `/metrics` needs `Authorization: Bearer <token>` (set with `ecmahost service metrics-token`)"""


class AuthLimitSettings(_Section):
    """Failed token checks allowed per client address within `window_seconds`; beyond, the client gets 429."""

    max_failures: int = Field(default=10, ge=1)
    window_seconds: float = Field(default=60.0, gt=0)


class ActivitySettings(_Section):
    """The activity journal (`observability.activity`): one record per SCIM operation in `<home>/activity/`."""

    enabled: bool = True
    """record each SCIM operation (identifiers and attribute names, never a value below Verbose, never a secret)"""
    retention_days: float = Field(default=30.0, gt=0)
    """records older than this are deleted"""
    max_megabytes: float = Field(default=200.0, gt=0)
    """the journal's size cap; past it the oldest records are deleted"""


ProxyAddress = Annotated[str, AfterValidator(proxy_address)]


class HostSettings(_Section):
    port: int = Field(default=DEFAULT_PORT, ge=1, le=65535)
    bind: str = "0.0.0.0"  # noqa: S104 - the host serves the provisioning agent on another machine
    tls: TlsSettings = TlsSettings()
    log_levels: LogLevels = LogLevels()
    log_file: LogFileSettings = LogFileSettings()
    log_format: LogFormat = LogFormat.TEXT
    metrics: MetricsSettings = MetricsSettings()
    auth_limit: AuthLimitSettings = AuthLimitSettings()
    activity: ActivitySettings = ActivitySettings()
    trusted_proxies: tuple[ProxyAddress, ...] = LOOPBACK
    """peers whose `X-Forwarded-For` (and `X-Forwarded-Proto`) the host believes: a forwarding agent or a reverse
    proxy. A request from any other peer is taken as from its TCP address; empty: believe no one"""
    shutdown_drain_seconds: float = Field(default=0, ge=0, le=MAX_DRAIN_SECONDS)
    """the lame-duck drain on SIGTERM/SIGINT (`ecmahost.drain`): serve this long with `/health` at 503 and every
    response closing its connection, then stop gracefully; behind a load balancer more than its checks' fall x
    interval. 0: stop at once"""

    def certificate_paths(self, home: Home) -> tuple[Path, Path]:
        """The certificate and key to serve with: the configured ones (relative to the home) or the generated
        ones."""
        cert = self.tls.certificate or home.cert_file
        key = self.tls.key or home.key_file
        return (home.root / cert).resolve(), (home.root / key).resolve()


def load_settings(home: Home) -> HostSettings:
    """`host.yaml` as settings: defaults when the file does not exist, `ConfigFileError` when invalid."""
    label = home.relative(home.host_file)
    try:
        text = home.host_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return HostSettings()
    raw = yaml_io.parse_mapping(text, file=label)
    try:
        return HostSettings.model_validate(yaml_io.to_plain(raw))
    except ValidationError as exc:
        issues = []
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            fix = "remove it or correct its spelling" if error["type"] == "extra_forbidden" else ""
            issues.append(
                Issue(
                    ".".join(str(part) for part in loc),
                    str(error["msg"]),
                    fix=fix,
                    line=yaml_io.line_of(raw, loc),
                )
            )
        raise ConfigFileError(label, issues) from None


def save_settings(home: Home, settings: HostSettings) -> None:
    """Write `settings` to `host.yaml`, leaving out defaults and keeping the comments of keys that stay."""
    if home.host_file.exists():
        raw = yaml_io.parse_mapping(home.host_file.read_text(encoding="utf-8"), file="host.yaml")
    else:
        raw = CommentedMap()
        raw.yaml_set_start_comment("ecmahost host settings, see docs/configuration.md")
    new: dict[str, Any] = settings.model_dump(mode="json", exclude_defaults=True)
    home.ensure()
    write_private(home.host_file, yaml_io.dump(yaml_io.merge_into(raw, new)))

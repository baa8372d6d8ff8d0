"""`ecmahost status`: is the host of this home running, what it serves, the certificate's expiry, last errors.

Read from the home only: `run/host.pid` (is that process alive?), `run/state.json` (what the running host serves,
its log levels, its connectors' recent target errors), the connector files (what is configured, which files are
invalid) and the certificate. It sends no request and holds no secret.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.observability.redaction import redact_text
from ecmahost.observability.run_files import read_state, running_pid
from ecmahost.settings import HostSettings, load_settings
from ecmahost.tls import TlsError, certificate_info


@dataclass
class ConnectorStatus:
    name: str
    type: str | None
    tenant_url: str
    served: bool
    problem: str | None = None
    recent_errors: list[dict[str, Any]] = field(default_factory=list)
    not_served: list[str] = field(default_factory=list)
    """`all`, `Users`, `Groups`: what the running host refuses because the file does not match the target"""
    target_problems: list[str] = field(default_factory=list)
    """each mismatch between the file and the target, with where and how to fix it"""
    unverified: str | None = None
    """why the running host has not checked the file against the target yet (the target is down)"""


@dataclass
class CertificateStatus:
    path: str
    subject: str | None = None
    names: list[str] = field(default_factory=list)
    not_after: str | None = None
    days_left: int | None = None
    expired: bool = False
    problem: str | None = None


@dataclass
class HostStatus:
    home: str
    running: bool
    pid: int | None
    url: str
    started_at: str | None
    log_levels: dict[str, str]
    connectors: list[ConnectorStatus]
    certificate: CertificateStatus
    settings_problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def local_url(settings: HostSettings, scheme: str = "https") -> str:
    """Where this machine reaches the host of this home."""
    host = "localhost" if settings.bind in ("0.0.0.0", "::", "") else settings.bind  # noqa: S104 - a comparison
    return f"{scheme}://{host}:{settings.port}"


def _certificate(home: Home, settings: HostSettings) -> CertificateStatus:
    cert, _ = settings.certificate_paths(home)
    status = CertificateStatus(path=str(cert))
    try:
        info = certificate_info(cert)
    except TlsError as exc:
        status.problem = f"{exc}; create one with `ecmahost cert generate`"
        return status
    status.subject, status.names = info.subject, list(info.sans)
    status.not_after, status.days_left, status.expired = info.not_after.isoformat(), info.days_left, info.expired
    if info.expired:
        status.problem = "EXPIRED: Entra's test connection fails; run `ecmahost cert generate --force` and restart"
    elif info.expires_soon:
        status.problem = f"expires in {info.days_left} days; renew it with `ecmahost cert generate --force`"
    return status


def _connectors(home: Home, state: dict[str, Any] | None, url: str) -> list[ConnectorStatus]:
    report = ConnectorStore(home).scan(require_env=False)
    served: dict[str, Any] = (state or {}).get("connectors", {})
    invalid: dict[str, str] = (state or {}).get("invalid_connectors", {})
    errors: dict[str, list[dict[str, Any]]] = (state or {}).get("recent_errors", {})
    result = []
    for name in sorted({*report.configs, *report.errors, *served}):
        config = report.configs.get(name)
        problem = report.errors.get(name) or invalid.get(name)
        item = ConnectorStatus(
            name=name,
            type=config.type if config else served.get(name, {}).get("type"),
            tenant_url=served.get(name, {}).get("tenant_url") or f"{url}/ecma2host_{name}/scim",
            served=name in served,
            problem=redact_text(str(problem)) if problem else None,
            recent_errors=errors.get(name, []),
        )
        _target_check(item, served.get(name, {}).get("target_check"))
        if state is not None and not item.served and item.problem is None:
            item.problem = "configured after the host started: restart the host to serve it"
        result.append(item)
    return result


def _target_check(item: ConnectorStatus, check: dict[str, Any] | None) -> None:
    if not check:
        return
    item.not_served = list(check.get("not_served") or [])
    item.unverified = check.get("unverified_reason")
    for problem in check.get("problems") or []:
        text = f"{problem['where']}: {problem['problem']}" + (f"; {problem['fix']}" if problem.get("fix") else "")
        item.target_problems.append(redact_text(text))


def host_status(home: Home) -> HostStatus:
    settings_problem = None
    try:
        settings = load_settings(home)
    except ConfigError as exc:
        settings, settings_problem = HostSettings(), str(exc)
    pid = running_pid(home)
    state = read_state(home) if pid is not None else None
    url = (state or {}).get("url") or local_url(settings)
    levels = (state or {}).get("log_levels") or {
        "host": settings.log_levels.host.value,
        "connectors": settings.log_levels.connectors.value,
    }
    return HostStatus(
        home=str(home.root),
        running=pid is not None,
        pid=pid,
        url=url,
        started_at=(state or {}).get("started_at"),
        log_levels=levels,
        connectors=_connectors(home, state, url),
        certificate=_certificate(home, settings),
        settings_problem=settings_problem,
    )

"""`ecmahost collect-troubleshooting-info`: one zip with what support needs, and no secret.

Contents: `README.txt`, `versions.json` (ecmahost, Python, OS, installed packages), `host-settings.json` (the
metrics token hash masked), `status.json`, `certificate.json` (public facts only), `connectors/<name>.yaml` (the
export form: encrypted secrets redacted, token hash dropped), `logs/*` (every log file), and
`test-connection/<name>.json` (the connection test of each connector, without a token: it stops at the token step),
and `activity.json` (the activity journal's last `activity_hours`, identifiers and attribute names only).

Every text member passes through `redact_text` on its way into the archive, as a second line of defence after
the export and the log formatter. Never included: `secret.key`, the TLS private key, environment variables.
"""

from __future__ import annotations

import json
import platform
import sys
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

from ecmahost import __version__
from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.home import Home
from ecmahost.observability.log_reader import log_files
from ecmahost.observability.redaction import REDACTED, redact_text
from ecmahost.settings import load_settings
from ecmahost.tls import TlsError, certificate_info
from ecmahost.troubleshoot.activity_check import recent_activity
from ecmahost.troubleshoot.connection_check import ConnectionTest, host_certificates, run_connection_test
from ecmahost.troubleshoot.status import host_status

README = """ecmahost troubleshooting information, collected {stamp} from {home}

versions.json           ecmahost, Python, operating system, installed packages
host-settings.json      host.yaml as the host reads it (metrics token hash masked)
status.json             running or not, connectors and tenant URLs, certificate, recent target errors
certificate.json        the served certificate's public facts (never the key)
connectors/<name>.yaml  connector files in export form: secrets redacted, token hash dropped
logs/                   the host's log files (secrets were redacted when written, and again here)
test-connection/        `ecmahost test-connection` for each connector, run without a token
activity.json           the activity journal's last {hours:g} hours: one record per SCIM operation (identifiers,
                        attribute names, status, error type; no attribute value)

Not included: secret.key, the TLS private key, tokens, passwords, environment variables.
"""

Progress = Callable[[str], None]


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, default=str)


def versions() -> dict[str, Any]:
    packages = {dist.metadata["Name"]: dist.version for dist in distributions() if dist.metadata["Name"]}
    os_release = Path("/etc/os-release")
    return {
        "ecmahost": __version__,
        "python": sys.version,
        "platform": platform.platform(),
        "os_release": os_release.read_text(encoding="utf-8") if os_release.is_file() else None,
        "packages": dict(sorted(packages.items(), key=lambda item: item[0].lower())),
    }


def _settings(home: Home) -> str:
    try:
        data = load_settings(home).model_dump(mode="json")
    except ConfigError as exc:
        return _json({"error": str(exc)})
    if data.get("metrics", {}).get("token_hash"):
        data["metrics"]["token_hash"] = REDACTED
    return _json(data)


def _certificate(home: Home) -> str:
    try:
        cert, _ = load_settings(home).certificate_paths(home)
        info = certificate_info(cert)
    except (ConfigError, TlsError) as exc:
        return _json({"error": str(exc)})
    facts = {
        "path": str(cert),
        "subject": info.subject,
        "names": list(info.sans),
        "not_before": info.not_before.isoformat(),
        "not_after": info.not_after.isoformat(),
        "days_left": info.days_left,
        "expired": info.expired,
        "key": f"{info.key_type} {info.key_bits}",
        "sha256": info.fingerprint_sha256,
    }
    return _json(facts)


def _connector_file(store: ConnectorStore, name: str) -> str:
    try:
        return store.export(name)
    except ConfigError as exc:
        return f"# could not export this connector file: {exc}\n"


def _connection_tests(home: Home, status_url: str, names: list[str], timeout: float) -> dict[str, str]:
    trusted = host_certificates(home)
    results = {}
    for name in names:
        test = ConnectionTest(name, f"{status_url}/ecma2host_{name}/scim", ca_files=trusted, timeout=timeout)
        results[name] = _json(run_connection_test(test).to_dict())
    return results


ACTIVITY_HOURS = 24.0


def collect(
    home: Home,
    out: Path,
    *,
    timeout: float = 5.0,
    progress: Progress | None = None,
    activity_hours: float = ACTIVITY_HOURS,
) -> list[str]:
    """Write the archive to `out`; return the names of its members."""
    say = progress or (lambda _message: None)
    store = ConnectorStore(home)
    status = host_status(home)
    names = [item.name for item in status.connectors]
    members: dict[str, str | Path] = {
        "README.txt": README.format(
            stamp=datetime.now(UTC).isoformat(timespec="seconds"), home=home.root, hours=activity_hours
        ),
        "versions.json": _json(versions()),
        "host-settings.json": _settings(home),
        "status.json": _json(status.to_dict()),
        "certificate.json": _certificate(home),
    }
    for name in names:
        if store.exists(name):
            members[f"connectors/{name}.yaml"] = _connector_file(store, name)
    for path in log_files(home):
        members[f"logs/{path.name}"] = path
    members["activity.json"] = _json(recent_activity(home, activity_hours))
    say(f"testing the connection of {len(names)} connector(s)")
    for name, result in _connection_tests(home, status.url, names, timeout).items():
        members[f"test-connection/{name}.json"] = result
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            text = content.read_text(encoding="utf-8", errors="replace") if isinstance(content, Path) else content
            archive.writestr(member, redact_text(text))
    out.chmod(0o600)
    return list(members)

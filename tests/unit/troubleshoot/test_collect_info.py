"""The troubleshooting zip: what it holds, and that no secret is in it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ecmahost.config.store import ConnectorStore
from ecmahost.config.tokens import hash_token
from ecmahost.demo import demo_connector
from ecmahost.home import Home
from ecmahost.settings import HostSettings, MetricsSettings, save_settings
from ecmahost.tls import generate_certificate
from ecmahost.troubleshoot.collect_info import collect

TOKEN = "collect-secret-token-0123456789"
DB_PASSWORD = "Db-Pa55word-xyz"
METRICS_TOKEN = "metrics-secret-0123456789"


@pytest.fixture
def home(tmp_path: Path) -> Home:
    where = Home(tmp_path / "home")
    where.ensure(where.logs_dir)
    store = ConnectorStore(where)
    store.save(demo_connector("hr", "postgresql://app@127.0.0.1:1/hr"))
    store.set_token("hr", TOKEN)
    store.set_secret("hr", "password", DB_PASSWORD)
    save_settings(where, HostSettings(metrics=MetricsSettings(token_hash=hash_token(METRICS_TOKEN))))
    generate_certificate(where, hostnames=["localhost"])
    (where.logs_dir / "ecmahost.log").write_text(
        f"2025-01-01T00:00:00.000Z Error       hr x: failed postgresql://app:{DB_PASSWORD}@db/hr Bearer {TOKEN}\n"
    )
    return where


def test_the_zip_holds_logs_connector_files_settings_versions_certificate_and_tests(home, tmp_path) -> None:
    out = tmp_path / "info.zip"
    collect(home, out, timeout=1)
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        versions = archive.read("versions.json").decode()
    assert names == {
        "README.txt",
        "versions.json",
        "host-settings.json",
        "status.json",
        "certificate.json",
        "connectors/hr.yaml",
        "logs/ecmahost.log",
        "test-connection/hr.json",
        "activity.json",
    }
    assert '"python"' in versions
    assert '"prometheus-client"' in versions.lower() or '"prometheus_client"' in versions.lower()


def test_no_secret_is_in_the_zip(home, tmp_path) -> None:
    out = tmp_path / "info.zip"
    collect(home, out, timeout=1)
    with zipfile.ZipFile(out) as archive:
        everything = b"\n".join(archive.read(name) for name in archive.namelist())
    key_body = home.key_file.read_text().splitlines()[1].encode()
    for secret in (TOKEN, DB_PASSWORD, METRICS_TOKEN, "scrypt$"):
        assert secret.encode() not in everything.replace(b"scrypt$<redacted>", b""), secret
    assert key_body not in everything
    assert home.secret_key_file.read_bytes().strip() not in everything
    assert out.stat().st_mode & 0o077 == 0

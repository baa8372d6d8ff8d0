from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from ecmahost.config.errors import ConfigFileError
from ecmahost.home import Home
from ecmahost.settings import HostSettings, LogLevel, TlsSettings, load_settings, save_settings


def test_missing_host_file_means_defaults(home: Home) -> None:
    settings = load_settings(home)
    assert (settings.port, settings.bind) == (8585, "0.0.0.0")
    assert settings.log_levels.host is LogLevel.ERROR
    assert settings.log_levels.connectors is LogLevel.ERROR
    assert settings.tls == TlsSettings()


def test_settings_are_read_from_host_yaml(home: Home) -> None:
    home.ensure()
    home.host_file.write_text("port: 9443\nlog_levels: {host: verbose}\nlog_file: {backups: 2}\n")
    settings = load_settings(home)
    assert settings.port == 9443
    assert settings.log_levels.host is LogLevel.VERBOSE
    assert settings.log_levels.connectors is LogLevel.ERROR
    assert settings.log_file.backups == 2


def test_unknown_key_is_an_error_with_file_path_and_line(home: Home) -> None:
    home.ensure()
    home.host_file.write_text("port: 8585\nprot: 1\n")
    with pytest.raises(ConfigFileError) as caught:
        load_settings(home)
    assert (
        str(caught.value)
        == "host.yaml: prot: Extra inputs are not permitted; remove it or correct its spelling (line 2)"
    )


def test_bad_port_is_an_error(home: Home) -> None:
    home.ensure()
    home.host_file.write_text("port: 70000\n")
    with pytest.raises(ConfigFileError, match=re.escape("host.yaml: port: Input should be less than or equal")):
        load_settings(home)


def test_log_levels_map_to_python_levels() -> None:
    assert LogLevel.VERBOSE.python_level == logging.DEBUG
    assert LogLevel.INFORMATION.python_level == logging.INFO
    assert LogLevel.OFF.python_level > logging.CRITICAL


def test_save_keeps_comments_and_leaves_out_defaults(home: Home) -> None:
    home.ensure()
    home.host_file.write_text("# my host\nport: 9000  # firewall allows it\n")
    save_settings(home, load_settings(home).model_copy(update={"bind": "127.0.0.1"}))
    text = home.host_file.read_text()
    assert "# my host" in text
    assert "port: 9000  # firewall allows it" in text
    assert "bind: 127.0.0.1" in text
    assert "log_levels" not in text
    assert load_settings(home).bind == "127.0.0.1"


def test_certificate_paths_default_to_the_generated_ones(home: Home) -> None:
    assert HostSettings().certificate_paths(home) == (home.cert_file.resolve(), home.key_file.resolve())


def test_relative_certificate_paths_are_from_the_home(home: Home, tmp_path: Path) -> None:
    settings = HostSettings(tls=TlsSettings(certificate=Path("mine/c.pem"), key=tmp_path / "k.pem"))
    assert settings.certificate_paths(home) == ((home.root / "mine/c.pem").resolve(), tmp_path / "k.pem")


def test_trusted_proxies_default_to_loopback_and_take_addresses_and_networks(home: Home) -> None:
    assert load_settings(home).trusted_proxies == ("127.0.0.1", "::1")
    home.ensure()
    home.host_file.write_text("trusted_proxies: [10.0.0.0/8, 192.0.2.5/32, '2001:DB8::1']\n")
    assert load_settings(home).trusted_proxies == ("10.0.0.0/8", "192.0.2.5", "2001:db8::1")
    home.host_file.write_text("trusted_proxies: []\n")
    assert load_settings(home).trusted_proxies == ()


@pytest.mark.parametrize("value", ["'*'", "proxy.example.org", "10.0.0.300"])
def test_a_trusted_proxy_that_is_not_an_address_or_network_is_an_error_naming_the_key(home: Home, value: str) -> None:
    home.ensure()
    home.host_file.write_text(f"trusted_proxies: [127.0.0.1, {value}]\n")
    with pytest.raises(ConfigFileError) as caught:
        load_settings(home)
    assert "trusted_proxies.1" in str(caught.value)
    assert "is not an IP address or network" in str(caught.value)


def test_shutdown_drain_defaults_to_none_and_over_a_minute_is_an_error_naming_the_key(home: Home) -> None:
    assert load_settings(home).shutdown_drain_seconds == 0
    home.ensure()
    home.host_file.write_text("shutdown_drain_seconds: 90\n")
    with pytest.raises(ConfigFileError, match=re.escape("shutdown_drain_seconds: Input should be less than or equal")):
        load_settings(home)

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ecmahost.cli.main import app
from ecmahost.home import Home
from ecmahost.settings import load_settings
from ecmahost.tls import certificate_info, generate_certificate


def run(runner: CliRunner, home: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["cert", *args, "--home", str(home)])


def test_generate_writes_a_certificate_for_the_given_hosts(runner: CliRunner, home: Path) -> None:
    result = run(runner, home, "generate", "--host", "ecma.contoso.com", "--host", "ecma", "--key-type", "ecdsa")
    assert result.exit_code == 0, result.output
    info = certificate_info(Home(home).cert_file)
    assert info.sans == ("ecma.contoso.com", "ecma", "localhost", "127.0.0.1", "::1")
    assert info.key_type == "ecdsa"
    assert "ecma.contoso.com" in result.stdout


def test_generate_refuses_to_replace_without_force(runner: CliRunner, home: Path) -> None:
    assert run(runner, home, "generate", "--host", "a").exit_code == 0
    again = run(runner, home, "generate", "--host", "b")
    assert again.exit_code == 1
    assert "pass --force" in again.stderr
    assert run(runner, home, "generate", "--host", "b", "--force").exit_code == 0
    assert certificate_info(Home(home).cert_file).subject == "CN=b"


def test_bad_key_type_lists_the_choices(runner: CliRunner, home: Path) -> None:
    result = run(runner, home, "generate", "--key-type", "dsa")
    assert result.exit_code == 2
    assert "rsa" in result.output
    assert "ecdsa" in result.output


def test_show_prints_expiry_and_warns_when_close(runner: CliRunner, home: Path) -> None:
    assert run(runner, home, "generate", "--host", "a", "--days", "10").exit_code == 0
    result = run(runner, home, "show")
    assert result.exit_code == 0
    assert "Expires" in result.stdout
    assert "days left" in result.stdout
    assert "expires in 9 days" in result.stderr or "expires in 10 days" in result.stderr


def test_show_without_certificate_says_how_to_make_one(runner: CliRunner, home: Path) -> None:
    result = run(runner, home, "show")
    assert result.exit_code == 1
    assert "ecmahost cert generate" in result.stderr


def test_use_records_a_matching_pair_in_host_yaml(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "mine.crt", tmp_path / "mine.key"
    generate_certificate((cert, key), hostnames=["mine.example"])
    result = runner.invoke(app, ["cert", "use", "--cert", str(cert), "--key", str(key), "--home", str(home)])
    assert result.exit_code == 0, result.output
    settings = load_settings(Home(home))
    assert settings.certificate_paths(Home(home)) == (cert.resolve(), key.resolve())
    shown = run(runner, home, "show")
    assert "CN=mine.example" in shown.stdout


def test_use_refuses_a_key_that_does_not_match(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    generate_certificate((tmp_path / "a.crt", tmp_path / "a.key"), hostnames=["a"])
    generate_certificate((tmp_path / "b.crt", tmp_path / "b.key"), hostnames=["b"])
    result = runner.invoke(
        app, ["cert", "use", "--cert", str(tmp_path / "a.crt"), "--key", str(tmp_path / "b.key"), "--home", str(home)]
    )
    assert result.exit_code == 1
    assert "is not the key of" in result.stderr
    assert not Home(home).host_file.exists()


def test_generate_switches_host_yaml_back_to_the_generated_certificate(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    cert, key = tmp_path / "mine.crt", tmp_path / "mine.key"
    generate_certificate((cert, key), hostnames=["mine"])
    runner.invoke(app, ["cert", "use", "--cert", str(cert), "--key", str(key), "--home", str(home)])
    result = run(runner, home, "generate", "--host", "gen")
    assert result.exit_code == 0
    assert load_settings(Home(home)).certificate_paths(Home(home))[0] == Home(home).cert_file.resolve()

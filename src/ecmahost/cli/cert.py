"""`ecmahost cert ...`: generate the host's self-signed certificate, show the one in use, use your own.

Thin commands over `ecmahost.tls` and `ecmahost.settings`; the certificate in use is the one `host.yaml` names
(`tls.certificate`/`tls.key`), else the generated `certs/host.crt`/`certs/host.key`.
"""

from __future__ import annotations

import stat
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ecmahost.cli.common import HomeOption, fail, open_home, reported_errors, say, stdout, warn
from ecmahost.tls import DEFAULT_DAYS

# Apart from the default of `--days` (`serve` loads `tls` anyway), the layers below are imported inside the
# commands: every `ecmahost` run, `serve` too, imports all CLI modules first, so a module-level import here delays
# the host's start.
if TYPE_CHECKING:
    from ecmahost.settings import HostSettings
    from ecmahost.tls import CertInfo

app = typer.Typer(help="Manage the host's TLS certificate.", no_args_is_help=True)


class KeyTypeChoice(StrEnum):
    RSA = "rsa"
    ECDSA = "ecdsa"


def _print_info(info: CertInfo, cert_path: Path) -> None:
    from rich.table import Table

    table = Table(show_header=False, box=None)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("File", str(cert_path))
    table.add_row("Subject", info.subject)
    table.add_row("Names (SAN)", ", ".join(info.sans) or "none")
    table.add_row("Key", f"{info.key_type.upper()} {info.key_bits} bits")
    table.add_row("Valid from", info.not_before.strftime("%Y-%m-%d %H:%M UTC"))
    table.add_row("Expires", f"{info.not_after:%Y-%m-%d %H:%M UTC} ({info.days_left} days left)")
    table.add_row("SHA-256", info.fingerprint_sha256)
    stdout.print(table)


def _warn_expiry(info: CertInfo, home_option: str) -> None:
    if info.expired:
        renew = f"`ecmahost cert generate --force{home_option}`"
        warn(f"the certificate has EXPIRED; Entra's test connection fails: run {renew}")
    elif info.expires_soon:
        renew = f"`ecmahost cert generate --force{home_option}`"
        warn(f"the certificate expires in {info.days_left} days: renew it with {renew}")


@app.command()
def generate(
    host: Annotated[
        list[str] | None,
        typer.Option(
            "--host", help="Host name for the certificate (repeat for several; default: this machine's names)."
        ),
    ] = None,
    key_type: Annotated[KeyTypeChoice, typer.Option("--key-type", help="Key algorithm.")] = KeyTypeChoice.RSA,
    days: Annotated[
        int, typer.Option("--days", min=1, max=3650, help="Validity in days (the ECMA host uses 2 years).")
    ] = DEFAULT_DAYS,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing generated certificate.")] = False,
    home: HomeOption = None,
) -> None:
    """Generate a self-signed certificate (SAN: host names + localhost, 127.0.0.1, ::1), key written 0600."""
    from ecmahost.settings import TlsSettings, load_settings, save_settings
    from ecmahost.tls import default_hostnames, generate_certificate

    with reported_errors():
        where = open_home(home)
        if where.cert_file.exists() and not force:
            fail(f"{where.cert_file} already exists; pass --force to replace it")
        where.ensure(where.certs_dir)
        info = generate_certificate(where, hostnames=host or default_hostnames(), key_type=key_type.value, days=days)
        settings = load_settings(where)
        if settings.tls != TlsSettings():
            save_settings(where, settings.model_copy(update={"tls": TlsSettings()}))
            say(f"host.yaml used {settings.tls.certificate}; it now uses the generated certificate.")
    say("Generated a self-signed certificate. Trust it on the provisioning agent's machine, then restart the host.")
    _print_info(info, where.cert_file)


@app.command()
def show(home: HomeOption = None) -> None:
    """Show the certificate in use: subject, names, expiry date and days left (warns under 30 days)."""
    from ecmahost.settings import load_settings
    from ecmahost.tls import certificate_info

    with reported_errors():
        where = open_home(home)
        cert_path, _ = load_settings(where).certificate_paths(where)
        if not cert_path.exists():
            fail(f"no certificate at {cert_path}; create one with `ecmahost cert generate`")
        info = certificate_info(cert_path)
    _print_info(info, cert_path)
    _warn_expiry(info, f" --home {where.root}" if home else "")


@app.command()
def use(
    cert: Annotated[Path, typer.Option("--cert", help="PEM certificate (chain) to serve.", dir_okay=False)],
    key: Annotated[Path, typer.Option("--key", help="Its unencrypted PEM private key.", dir_okay=False)],
    home: HomeOption = None,
) -> None:
    """Serve your own certificate: checks that the key matches it, then records both paths in host.yaml."""
    from ecmahost.settings import TlsSettings, load_settings, save_settings
    from ecmahost.tls import check_key_pair

    with reported_errors():
        where = open_home(home)
        cert_path, key_path = cert.expanduser().resolve(), key.expanduser().resolve()
        info = check_key_pair(cert_path, key_path)
        settings: HostSettings = load_settings(where)
        tls = TlsSettings(certificate=cert_path, key=key_path)
        save_settings(where, settings.model_copy(update={"tls": tls}))
    if key_path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(f"{key_path} is readable by other users: chmod 600 it")
    say(f"host.yaml now serves {cert_path}. Restart the host to use it.")
    _print_info(info, cert_path)
    _warn_expiry(info, "")

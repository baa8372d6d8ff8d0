"""The host pages: Settings (SCIM port, bind address, the TLS certificate: generate, upload, expiry shown with
a warning 30 days before) and Logs (filter by level and connector, live tail).

Settings are written to `host.yaml` (`settings.save_settings`); a new port or bind address takes effect when
the SCIM listener restarts. A generated or uploaded certificate replaces the files the host serves (host.yaml's
`tls.certificate`/`tls.key` when set, else `certs/host.crt`/`host.key`); the host uses it once it restarts.
Logs are read with `observability.log_reader`; the live tail polls `/logs/entries` for entries after the last
one shown.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ecmahost.admin.connector_pages import certificate_summary
from ecmahost.admin.pages import redirect, render, state
from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.home import write_private
from ecmahost.observability.log_reader import LogEntry, read_entries
from ecmahost.settings import LogLevel, load_settings, save_settings
from ecmahost.tls import TlsError, check_key_pair, default_hostnames, generate_certificate

MAX_LOG_ENTRIES = 500


async def settings_page(request: Request) -> Response:
    home = state(request).home
    settings = load_settings(home)
    error = ""
    if request.method == "POST":
        form = await request.form()
        action = str(form.get("action") or "save")
        try:
            if action == "generate":
                names = [n.strip() for n in str(form.get("hostnames") or "").split(",") if n.strip()]
                generate_certificate(settings.certificate_paths(home), hostnames=names or default_hostnames())
                return redirect("/settings?flash=Certificate+generated:+restart+the+host+to+serve+it")
            if action == "upload":
                try:
                    return await _upload_certificate(request, form)
                finally:
                    await form.close()
            updated = settings.model_copy(
                update={
                    "port": int(str(form.get("port") or settings.port)),
                    "bind": str(form.get("bind") or settings.bind).strip(),
                }
            )
            save_settings(home, type(settings).model_validate(updated.model_dump()))
            return redirect("/settings?flash=Settings+saved:+restart+the+host+to+listen+on+the+new+port")
        except (TlsError, ConfigError, ValidationError, ValueError) as exc:
            error = str(exc)
    return render(
        request,
        "settings.html",
        400 if error else 200,
        settings=settings,
        certificate=certificate_summary(request),
        error=error,
        hostnames=", ".join(default_hostnames()),
    )


async def _upload_certificate(request: Request, form: object) -> Response:
    """Check the pair, then replace the files the host serves: `tls.certificate`/`tls.key` of host.yaml when
    set, else `certs/host.crt`/`host.key` (each staged next to its target, then renamed over it)."""
    home = state(request).home
    files = {key: form.get(key) for key in ("certificate", "key")}  # type: ignore[attr-defined]
    if any(item is None or isinstance(item, str) for item in files.values()):
        raise ValueError("choose both the PEM certificate and its PEM key")
    cert_path, key_path = load_settings(home).certificate_paths(home)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    staged_cert = cert_path.with_name(f".{cert_path.name}.upload")
    staged_key = key_path.with_name(f".{key_path.name}.upload")
    write_private(staged_cert, await files["certificate"].read(), mode=0o644)  # type: ignore[union-attr]
    write_private(staged_key, await files["key"].read())  # type: ignore[union-attr]
    try:
        check_key_pair(staged_cert, staged_key)
    except TlsError:
        staged_cert.unlink(missing_ok=True)
        staged_key.unlink(missing_ok=True)
        raise
    staged_key.replace(key_path)
    staged_cert.replace(cert_path)
    return redirect("/settings?flash=Certificate+uploaded:+restart+the+host+to+serve+it")


def _entries(request: Request) -> list[LogEntry]:
    level = LogLevel(request.query_params.get("level") or "Information")
    connector = request.query_params.get("connector") or None
    found = [entry for entry in read_entries(state(request).home) if entry.matches(connector, level)]
    return found[-MAX_LOG_ENTRIES:]


async def logs_page(request: Request) -> Response:
    entries = _entries(request)
    names = ConnectorStore(state(request).home).list()
    return render(
        request,
        "logs.html",
        entries=entries,
        connectors=names,
        levels=[level.value for level in LogLevel],
        level=request.query_params.get("level") or "Information",
        connector=request.query_params.get("connector") or "",
    )


async def log_entries(request: Request) -> Response:
    """Entries as JSON for the live tail; `after` is the count the page already shows."""
    entries = _entries(request)
    after = int(request.query_params.get("after") or 0)
    fresh = entries[after:] if after <= len(entries) else entries
    return JSONResponse({"count": len(entries), "entries": [{"level": e.level.value, "text": e.text} for e in fresh]})


ROUTES = [
    ("/settings", settings_page, ["GET", "POST"]),
    ("/logs", logs_page, ["GET"]),
    ("/logs/entries", log_entries, ["GET"]),
]

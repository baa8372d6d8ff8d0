"""The Connectors page (list with status, tenant URL, certificate expiry, last error) and its actions: Export,
Import, Delete, and Test connection (the same steps as `ecmahost test-connection`: load the file, build the
connector, open it, `check()`, `discover()`, each shown with its outcome and time).

New and Edit open the wizard (`wizard_pages`). A deletion or an import is applied to the running host when the
UI runs inside it. Exports redact secrets (the token hash is left out), as `ecmahost connector export` does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ecmahost.admin.app import redirect, render, state
from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.connectors.registry import connector_type
from ecmahost.reload import apply_connector_change
from ecmahost.settings import load_settings
from ecmahost.tls import TlsError, certificate_info


@dataclass(frozen=True, slots=True)
class ConnectorRow:
    name: str
    type: str
    status: str
    tenant_url: str
    error: str
    token_set: bool


def _rows(request: Request) -> list[ConnectorRow]:
    the_state = state(request)
    report = ConnectorStore(the_state.home).scan(require_env=False)
    settings = load_settings(the_state.home)
    host = request.url.hostname or "localhost"
    runtime = the_state.runtime
    rows = []
    for name in sorted([*report.configs, *report.errors]):
        config = report.configs.get(name)
        error = str(report.errors[name]) if name in report.errors else ""
        if runtime is not None and not error:
            error = runtime.errors.get(name, "")
        if config is None:
            status = "invalid"
        elif runtime is None:
            status = "saved"
        else:
            status = "served" if name in runtime.connectors else "not served"
        rows.append(
            ConnectorRow(
                name=name,
                type=config.type if config else "?",
                status=status,
                tenant_url=f"https://{host}:{settings.port}/ecma2host_{name}/scim",
                error=error,
                token_set=bool(config and config.token),
            )
        )
    return rows


def certificate_summary(request: Request) -> dict[str, Any]:
    home = state(request).home
    cert, _ = load_settings(home).certificate_paths(home)
    try:
        info = certificate_info(cert)
    except (TlsError, OSError):
        return {"present": False, "path": str(cert)}
    return {"present": True, "path": str(cert), "info": info}


async def connectors_page(request: Request) -> Response:
    return render(request, "connectors.html", rows=_rows(request), certificate=certificate_summary(request))


async def export_connector(request: Request) -> Response:
    name = request.path_params["name"]
    text = ConnectorStore(state(request).home).export(name, include_secrets=False)
    headers = {"Content-Disposition": f'attachment; filename="{name}.yaml"'}
    return Response(text, media_type="application/yaml", headers=headers)


async def delete_connector(request: Request) -> Response:
    name = request.path_params["name"]
    the_state = state(request)
    ConnectorStore(the_state.home).delete(name)
    if the_state.runtime is not None:
        await apply_connector_change(the_state.runtime, the_state.home, name)
    return redirect(f"/?flash=Deleted+connector+{name}")


async def import_connector(request: Request) -> Response:
    form = await request.form()
    upload = form.get("file")
    the_state = state(request)
    if upload is None or isinstance(upload, str):
        return render(
            request,
            "connectors.html",
            400,
            rows=_rows(request),
            error="choose a connector file to import",
            certificate=certificate_summary(request),
        )
    text = (await upload.read()).decode("utf-8", errors="replace")
    try:
        config = ConnectorStore(the_state.home).import_(
            text, replace=bool(form.get("replace")), source=upload.filename or "<upload>"
        )
    except ConfigError as exc:
        return render(
            request,
            "connectors.html",
            400,
            rows=_rows(request),
            error=str(exc),
            certificate=certificate_summary(request),
        )
    if the_state.runtime is not None:
        await apply_connector_change(the_state.runtime, the_state.home, config.name)
    return redirect(f"/?flash=Imported+connector+{config.name}")


@dataclass(slots=True)
class CheckStep:
    title: str
    ok: bool
    detail: str
    seconds: float


async def run_connection_test(request: Request, name: str) -> list[CheckStep]:
    """Load, build, open, check, discover: stops at the first failing step."""
    home = state(request).home
    steps: list[CheckStep] = []
    started = time.monotonic()

    def add(title: str, ok: bool, detail: str) -> bool:
        nonlocal started
        steps.append(CheckStep(title, ok, detail, time.monotonic() - started))
        started = time.monotonic()
        return ok

    try:
        config = ConnectorStore(home).load(name)
    except ConfigError as exc:
        add("Read and validate the connector file", False, str(exc))
        return steps
    add(
        "Read and validate the connector file",
        True,
        f"type {config.type}, object types {', '.join(config.object_types)}",
    )
    try:
        connector = connector_type(config.type)(config, home=home.root)
        await connector.open()
    except Exception as exc:  # shown to the admin
        add("Create the connector", False, f"{type(exc).__name__}: {exc}")
        return steps
    add("Create the connector", True, connector.description or config.type)
    try:
        try:
            await connector.check()
        except Exception as exc:
            add("Connect to the target and read each object type", False, f"{type(exc).__name__}: {exc}")
            return steps
        add("Connect to the target and read each object type", True, "ok")
        try:
            schema = await connector.discover()
        except Exception as exc:
            add("Read the target's schema", False, f"{type(exc).__name__}: {exc}")
            return steps
        facts = ", ".join(f"{key} {value}" for key, value in schema.detail.items() if value)
        add("Read the target's schema", True, f"{len(schema.object_classes)} object types; {facts}")
    finally:
        await connector.close()
    return steps


async def test_connection_page(request: Request) -> Response:
    name = request.path_params["name"]
    steps = await run_connection_test(request, name) if request.method == "POST" else []
    return render(request, "test_connection.html", name=name, steps=steps, ran=request.method == "POST")


ROUTES = [
    ("/", connectors_page, ["GET"]),
    ("/connectors/{name}/export", export_connector, ["GET"]),
    ("/connectors/{name}/delete", delete_connector, ["POST"]),
    ("/connectors/import", import_connector, ["POST"]),
    ("/connectors/{name}/test", test_connection_page, ["GET", "POST"]),
]

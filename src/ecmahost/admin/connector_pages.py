"""The Connectors page (list with status, tenant URL, certificate expiry, last error) and its actions: Export,
Import, Delete, and Test connection: the very steps of `ecmahost test-connection` (`troubleshoot.connection_check`:
tenant URL, port, TLS handshake, certificate dates/name/trust, connector, token, Entra's dummy-user query,
`/Schemas`, a read from the target, optionally a write round trip), each shown with ✓/✗ and its fix. The token
typed there is used for that run only, in the Authorization header, and never stored nor shown.

New and Edit open the wizard (`wizard_pages`). A running host applies a deleted or imported file through its own
watcher. Exports redact secrets (the token hash is left out), as `ecmahost connector export` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import Response

from ecmahost.admin.activity_pages import clock, last_requests
from ecmahost.admin.pages import redirect, render, state
from ecmahost.config.errors import ConfigError
from ecmahost.config.store import ConnectorStore
from ecmahost.settings import load_settings
from ecmahost.tls import TlsError, certificate_info
from ecmahost.troubleshoot.connection_check import (
    ConnectionTest,
    default_url,
    host_certificates,
    run_connection_test,
)
from ecmahost.troubleshoot.steps import Report, StepStatus
from ecmahost.troubleshoot.target_check import import_refusal


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
    rows = []
    for name in sorted([*report.configs, *report.errors]):
        config = report.configs.get(name)
        error = str(report.errors[name]) if name in report.errors else ""
        status = "invalid" if config is None else "saved"
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
    last = last_requests(state(request).home)
    return render(request, "connectors.html", rows=_rows(request), certificate=certificate_summary(request), last=last,
                  clock=clock)  # fmt: skip


async def export_connector(request: Request) -> Response:
    name = request.path_params["name"]
    text = ConnectorStore(state(request).home).export(name, include_secrets=False)
    headers = {"Content-Disposition": f'attachment; filename="{name}.yaml"'}
    return Response(text, media_type="application/yaml", headers=headers)


async def delete_connector(request: Request) -> Response:
    name = request.path_params["name"]
    the_state = state(request)
    ConnectorStore(the_state.home).delete(name)
    return redirect(f"/?flash=Deleted+connector+{name}")


async def import_connector(request: Request) -> Response:
    form = await request.form()
    try:
        return await _import(request, form.get("file"), bool(form.get("replace")))
    finally:
        await form.close()  # the uploaded file's spooled temporary file


async def _import(request: Request, upload: Any, replace: bool) -> Response:
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
    source = upload.filename or "<upload>"
    try:
        refused = await import_refusal(text, the_state.home, name=None, source=source)
        if refused is not None:
            raise refused
        config = ConnectorStore(the_state.home).import_(text, replace=replace, source=source)
    except ConfigError as exc:
        return render(
            request,
            "connectors.html",
            400,
            rows=_rows(request),
            error=str(exc),
            certificate=certificate_summary(request),
        )
    return redirect(f"/?flash=Imported+connector+{config.name}")


MARKS = {StepStatus.PASS: "✓", StepStatus.WARN: "!", StepStatus.FAIL: "✗", StepStatus.SKIP: "-"}


def _connection_test(request: Request, name: str, form: Mapping[str, Any]) -> ConnectionTest:
    """The same test `ecmahost test-connection NAME` runs, trusting the host's own certificate."""
    home = state(request).home
    settings = load_settings(home)
    try:
        user = ConnectorStore(home).load(name, require_env=False).object_types.get("User")
    except ConfigError:
        user = None
    return ConnectionTest(
        connector=name,
        url=str(form.get("url") or "").strip() or default_url(name, settings.port),
        token=str(form.get("token") or "").strip() or None,
        write=bool(form.get("write")),
        ca_files=host_certificates(home),
        expected_attributes=list(user.attributes) if user else None,
    )


async def test_connection_page(request: Request) -> Response:
    """Run `ecmahost test-connection`'s steps (in a worker thread: they call this very host over HTTPS)."""
    name = request.path_params["name"]
    report: Report | None = None
    url = default_url(name, load_settings(state(request).home).port)
    if request.method == "POST":
        test = _connection_test(request, name, await request.form())
        url = test.url
        report = await anyio.to_thread.run_sync(run_connection_test, test)
    failures = sum(step.status is StepStatus.FAIL for step in report.steps) if report else 0
    return render(request, "test_connection.html", name=name, report=report, marks=MARKS, url=url, failures=failures)


ROUTES = [
    ("/", connectors_page, ["GET"]),
    ("/connectors/{name}/export", export_connector, ["GET"]),
    ("/connectors/{name}/delete", delete_connector, ["POST"]),
    ("/connectors/import", import_connector, ["POST"]),
    ("/connectors/{name}/test", test_connection_page, ["GET", "POST"]),
]

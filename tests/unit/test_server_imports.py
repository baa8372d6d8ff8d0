"""Importing `ecmahost.server` loads none of the app (Starlette, the SCIM layers, the connectors, SQLAlchemy,
prometheus_client): `ecmahost.worker` does, which the supervisor of `serve --workers N` imports only to preload the
app before it forks its workers (after it has set `PROMETHEUS_MULTIPROC_DIR`)."""

from __future__ import annotations

import json
import subprocess
import sys

APP_ONLY = ("starlette", "sqlalchemy", "prometheus_client", "ecmahost.http", "ecmahost.scim", "ecmahost.connectors")


def _loaded_after(statement: str) -> list[str]:
    listing = f"sorted(m for m in sys.modules if m.startswith({APP_ONLY!r}))"
    code = f"import json, sys\n{statement}\nprint(json.dumps({listing}))"
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def test_the_supervisor_module_loads_none_of_the_app() -> None:
    assert _loaded_after("import ecmahost.server") == []


def test_the_worker_module_loads_the_app() -> None:
    loaded = _loaded_after("import ecmahost.worker")
    assert "ecmahost.http.app" in loaded
    assert "starlette" in loaded

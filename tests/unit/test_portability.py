"""The single-process host needs nothing POSIX-only of its own, which is what lets it run on Windows (where nothing
here runs it: this is the test of that claim, on Linux). In a fresh interpreter, ecmahost's own code is refused the
POSIX-only modules (`fcntl`, `pwd`, `grp`, `resource`, `termios`) and `os`/`signal` lose the names Windows does
not have (`os.fork`, `signal.SIGHUP`, ...); then every ecmahost module is imported, and a SCIM create and read go
through the `EMBEDDED` host to the CSV connector (whose write takes its file lock).

Libraries keep their own imports: portalocker, for one, takes `fcntl` on POSIX and `msvcrt` on Windows, and its
Windows branch is its maintainers' to test. Modules that are POSIX only by design are listed in `POSIX_ONLY`."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

POSIX_ONLY = {
    "ecmahost.supervisor": "forks the workers of `serve --workers N` and replaces them on SIGHUP (worker_count refuses "
    "N > 1 where os.fork does not exist)",
    "ecmahost.__main__": "not a library module: importing it runs the CLI",
}

SCRIPT = textwrap.dedent(
    """
    import builtins, importlib, os, pkgutil, signal, sys

    POSIX_MODULES = {"fcntl", "pwd", "grp", "resource", "termios"}
    for name in ("fork", "forkpty", "setsid", "getuid", "geteuid", "getgid", "getegid", "getpgid", "killpg",
                 "setpgrp", "getloadavg", "uname", "sync", "fchown", "lchown", "chown"):
        if hasattr(os, name):
            delattr(os, name)
    for name in ("SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTTIN", "SIGTTOU", "SIGCHLD", "SIGALRM", "SIGPIPE"):
        if hasattr(signal, name):
            delattr(signal, name)

    real_import = builtins.__import__
    refused = []

    def no_posix_for_ecmahost(name, globals=None, locals=None, fromlist=(), level=0):
        importer = (globals or {}).get("__name__") or ""
        if importer.split(".")[0] == "ecmahost" and name.split(".")[0] in POSIX_MODULES:
            refused.append((importer, name))
            raise ImportError(f"{name} is POSIX only (refused to {importer})")
        return real_import(name, globals, locals, fromlist, level)

    builtins.__import__ = no_posix_for_ecmahost

    import ecmahost

    skipped = set(sys.argv[2].split(","))
    failed = []
    for module in pkgutil.walk_packages(ecmahost.__path__, "ecmahost."):
        if module.name in skipped:
            continue
        try:
            importlib.import_module(module.name)
        except Exception as exc:
            failed.append(f"{module.name}: {type(exc).__name__}: {exc}")
    print("\\n".join(failed or ["imported every module"]))

    import asyncio, shutil
    from pathlib import Path
    import httpx
    from ecmahost.config.store import ConnectorStore
    from ecmahost.config.tokens import hash_token
    from ecmahost.home import Home
    from ecmahost.host import EMBEDDED, Host
    from ruamel.yaml import YAML

    home = Home(Path(sys.argv[1]))
    home.ensure()
    raw = YAML(typ="safe").load((Path(sys.argv[3])).read_text(encoding="utf-8"))
    raw["token"] = {"hash": hash_token("portable-token")}
    ConnectorStore(home).save(raw)

    async def request():
        app = Host(home, EMBEDDED).app()
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            base = "https://localhost/ecma2host_people/scim"
            headers = {"Authorization": "Bearer portable-token"}
            async with httpx.AsyncClient(transport=transport, base_url=base, headers=headers) as client:
                user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.org"}
                created = await client.post("/Users", json=user)
                read = await client.get(f"/Users/{created.json()['id']}")
                print("create", created.status_code, "read", read.status_code, read.json()["userName"])

    asyncio.run(request())
    print("refused", sorted(set(refused)))
    """
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "csv" / "people.yaml"


def test_every_module_imports_and_a_request_is_served_without_posix_only_modules_and_names(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "home"), ",".join(POSIX_ONLY), str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "imported every module", result.stdout
    assert "create 201 read 200 ada@example.org" in lines, result.stdout
    assert lines[-1] == "refused []", result.stdout
    assert (tmp_path / "home" / "data" / "people.csv.lock").exists()  # the write took its file lock

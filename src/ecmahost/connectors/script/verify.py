"""Compare a script connector file with the machine: the working directory exists, and each configured program
(and the script file an interpreter is given) can be found. It runs no program: a script's own `check`
operation is what `ecmahost test-connection` runs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ecmahost.connectors.base import TargetProblem
from ecmahost.connectors.script.models import ScriptConnection
from ecmahost.connectors.script.runner import ProcessSettings

SCRIPT_SUFFIXES = (".py", ".sh", ".ps1", ".js", ".mjs", ".rb", ".pl", ".php")


def program_problems(settings: ProcessSettings, connection: ScriptConnection) -> list[TargetProblem]:
    if not settings.cwd.is_dir():
        return [
            TargetProblem(
                "connection.working_directory",
                f"the folder {settings.cwd} does not exist",
                "create it or fix the path (relative paths start at the home folder)",
            )
        ]
    commands = {"connection.command": connection.command} if connection.command else {}
    commands |= {f"connection.operations.{op.value}": argv for op, argv in connection.operations.items()}
    search_path = settings.environment().get("PATH", os.defpath)
    found = []
    for key, argv in commands.items():
        problem = _missing(argv, settings.cwd, search_path)
        if problem is not None:
            found.append(
                TargetProblem(
                    key, problem, "install it, or give its full path (or a path relative to the working directory)"
                )
            )
    return found


def _missing(argv: list[str] | None, cwd: Path, search_path: str) -> str | None:
    if not argv:
        return None
    program = argv[0]
    if os.sep in program or "/" in program:
        path = Path(program) if Path(program).is_absolute() else cwd / program
        if not path.is_file():
            return f"the program {program} does not exist (looked in {cwd})"
    elif shutil.which(program, path=search_path) is None:
        return f"the program {program!r} is not on the PATH"
    script = next((a for a in argv[1:] if a.lower().endswith(SCRIPT_SUFFIXES)), None)
    if script is not None and not (Path(script) if Path(script).is_absolute() else cwd / script).is_file():
        return f"the script {script} does not exist (looked in {cwd})"
    return None

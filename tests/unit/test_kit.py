"""`ecmahost.kit` is the one module connector authors import: every name it lists resolves, importing it does not
pull in pytest (a host serving a third-party connector has none), and the template project uses nothing else."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import ecmahost.kit
from ecmahost import testing

TEMPLATE = Path(__file__).parents[2] / "examples" / "ecmahost-connector-template"


def test_every_name_the_kit_lists_resolves() -> None:
    missing = [name for name in ecmahost.kit.__all__ if not hasattr(ecmahost.kit, name)]
    assert missing == []


def test_the_kit_hands_out_the_contract_tests_themselves() -> None:
    assert ecmahost.kit.ConnectorContract is testing.ConnectorContract
    assert ecmahost.kit.CONTRACT_VERSION == testing.CONTRACT_VERSION


def test_importing_the_kit_does_not_import_pytest() -> None:
    code = "import json, sys, ecmahost.kit; print(json.dumps('pytest' in sys.modules))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert json.loads(output) is False


def test_the_template_imports_nothing_of_ecmahost_but_the_kit() -> None:
    imported = set()
    for path in sorted(TEMPLATE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
    assert {name for name in imported if name.split(".")[0] == "ecmahost"} == {"ecmahost.kit"}


def test_the_template_passes_the_connector_contract() -> None:
    env = {**os.environ, "PYTHONPATH": str(TEMPLATE / "src")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=TEMPLATE,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout

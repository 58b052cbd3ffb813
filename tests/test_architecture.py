"""The architecture's "never" rules are import-linter contracts (pyproject.toml), run by `make lint` in CI.

These tests make sure the contracts stay there and bite: each one is broken on purpose in a copy of the code,
and lint-imports must say so. Removing a contract, or weakening one until it no longer catches its violation,
fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# contract name -> (module that must not, import line that would break the rule)
CONTRACTS = {
    "model imports nothing of the app": ("app/model/identity.py", "import app.journeys.steps"),
    "the service never imports the sandbox (only the dev server wires it)": (
        "app/journeys/views.py", "import app.sandbox"),
    "the FranceConnect room never imports journeys, connectors or dossiers": (
        "app/franceconnect/client.py", "import app.connectors.retrieval"),
    "connectors never import Flask, views, dossiers or journeys": ("app/connectors/cnam.py", "import flask"),
    "dossiers never import views or connectors": ("app/dossiers/store.py", "import app.connectors.cnam"),
    "organisations never import connectors or views": (
        "app/organisations/settings.py", "import app.connectors.retrieval"),
    "the outbound HTTP layer knows no room and no Flask": ("app/outbound/__init__.py", "import flask"),
    "delivery never imports connectors, journeys or the sandbox": (
        "app/delivery/fhir.py", "import app.journeys.steps"),
    "geography is reference data: no Flask, no HTTP, no other room": ("app/geography/communes.py", "import flask"),
    "notifications never import Flask, views, connectors or the sandbox": (
        "app/notifications/message.py", "import app.journeys.steps"),
}


def contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {contract["name"]: contract for contract in config["tool"]["importlinter"]["contracts"]}


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"})


def test_every_rule_of_the_architecture_is_a_contract():
    assert set(contracts()) == set(CONTRACTS)
    # Indirect imports count: a rule one intermediate module could bypass would be no rule.
    assert not any(contract.get("allow_indirect_imports") for contract in contracts().values())


def test_the_code_keeps_every_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS:
        assert f"{name} KEPT" in result.stdout


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("architecture")
    shutil.copytree(ROOT / "app", target / "app", ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


@pytest.mark.parametrize("name", CONTRACTS)
def test_each_contract_catches_its_violation(copy, name):
    module, line = CONTRACTS[name]
    path = copy / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # a violation made on purpose\n")
    try:
        result = lint_imports(copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0 and f"{name} BROKEN" in result.stdout, result.stdout + result.stderr

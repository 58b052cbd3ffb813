"""The outbound room imports requests, urllib3 and the standard library only: never Flask or another room."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import app.outbound

ALLOWED_THIRD_PARTY = {"requests", "urllib3"}


def test_outbound_imports_nothing_from_other_rooms_or_frameworks():
    room = Path(app.outbound.__file__).parent
    for module in room.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                allowed = (top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY
                           or name == "app.outbound" or name.startswith("app.outbound."))
                assert allowed, f"{module.name} imports {name}"

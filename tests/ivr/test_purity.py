"""The IVR interpreter stays pure: no Django, asyncio, clock, randomness or I/O imports."""

from __future__ import annotations

import ast
from pathlib import Path

import ccapp.ivr

FORBIDDEN = {
    "django",
    "asyncio",
    "time",
    "datetime",
    "random",
    "socket",
    "httpx",
    "aiohttp",
    "requests",
    "os",
}


def test_it_imports_nothing_impure() -> None:
    package = Path(ccapp.ivr.__file__).parent
    for module in ("engine.py", "messages.py", "conditions.py", "schema.py"):
        tree = ast.parse((package / module).read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{module} imports {name}"

"""The import rule of the design, checked by reading every source file (ast), so it cannot drift.

main -> gui -> net -> storage -> crypto_core, and nothing back.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["crypto_core", "storage", "net", "gui", "main"]
RANK = {name: i for i, name in enumerate(LAYERS)}
#: Modules a layer must never import, beyond the ordering of our own layers.
FORBIDDEN = {
    "net": {"tkinter", "_tkinter"},
    "storage": {"tkinter", "_tkinter", "socket", "ssl", "socketserver"},
    "crypto_core": {"tkinter", "_tkinter", "socket", "ssl", "socketserver", "sqlite3"},
    "gui": {"socket", "ssl", "socketserver", "sqlite3", "storage"},
}
CRYPTO_CORE_THIRD_PARTY = {"cryptography"}


def _source_files() -> list[tuple[str, Path]]:
    files = [("main", ROOT / "main.py")]
    for layer in LAYERS[:-1]:
        files += [(layer, p) for p in sorted((ROOT / layer).rglob("*.py"))]
    return files


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value.split(".")[0])
    return found


FILES = _source_files()


def test_there_are_files_to_check() -> None:
    assert any(layer == "crypto_core" for layer, _ in FILES)


@pytest.mark.parametrize(("layer", "path"), FILES, ids=[str(p.relative_to(ROOT)) for _, p in FILES])
def test_imports_follow_the_layering(layer: str, path: Path) -> None:
    for name in _imports(path):
        if name in RANK:
            assert RANK[name] <= RANK[layer], f"{path.name}: {layer} must not import {name}"
        assert name not in FORBIDDEN.get(layer, set()), f"{path.name}: {layer} must not import {name}"
        if layer == "crypto_core" and name not in RANK:
            assert name in sys.stdlib_module_names or name in CRYPTO_CORE_THIRD_PARTY, (
                f"{path.name}: crypto_core may import only the standard library and cryptography, not {name}"
            )


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import tkinter\nfrom net import server\nimport importlib\nimportlib.import_module('gui.app')\n"
    )
    assert {"tkinter", "net", "importlib", "gui"} <= _imports(bad)


#: The client engine's decisions: they take the time from the engine's injected clocks, never read one.
ENGINE_DECISIONS = [
    "backoff",
    "connection_state",
    "outbox_plan",
    "outbox",
    "duties",
    "link",
    "inbox",
    "context",
]
#: The sans-IO ones among them open nothing and wait on nothing either.
SANS_IO = {"backoff", "connection_state", "outbox_plan"}
_IO_MODULES = {"socket", "ssl", "select", "selectors", "threading", "sqlite3", "time"}


def _clock_calls(tree: ast.AST) -> list[str]:
    return [
        f"time.{node.func.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "time"
        and node.func.attr in {"time", "monotonic", "sleep", "perf_counter"}
    ]


@pytest.mark.parametrize("name", ENGINE_DECISIONS)
def test_the_engines_decisions_read_no_clock_of_their_own(name: str) -> None:
    path = ROOT / "net" / f"{name}.py"
    assert _clock_calls(ast.parse(path.read_text(encoding="utf-8"))) == []
    if name in SANS_IO:
        assert _imports(path) & _IO_MODULES == set()


def test_the_clock_check_catches_a_call() -> None:
    assert _clock_calls(ast.parse("import time\nx = time.monotonic()\ny = time.monotonic")) == [
        "time.monotonic"
    ]

"""One name per concept: no two classes of the source below the GUI share a name.

Two classes of one name (the client's and the server's connection, say) make a
reader ask which one a file means; the checked rooms are crypto_core, net and
storage, read from their files like the layering test does.
"""

from __future__ import annotations

import ast
import collections
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOMS = ("crypto_core", "net", "storage")


def _classes() -> dict[str, list[str]]:
    found: dict[str, list[str]] = collections.defaultdict(list)
    for room in ROOMS:
        for path in sorted((ROOT / room).rglob("*.py")):
            if path.is_relative_to(ROOT / "storage" / "profile" / "legacy"):
                continue  # the old profile format, frozen as it was: its names are the old ones on purpose
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    found[node.name].append(str(path.relative_to(ROOT)))
    return found


def test_no_two_classes_share_a_name() -> None:
    shared = {name: paths for name, paths in _classes().items() if len(paths) > 1}
    assert shared == {}


def test_the_check_sees_the_classes_it_guards() -> None:
    classes = _classes()
    for name in ("PeerConnection", "ServerConnection", "RegisteredAccount", "Account", "BenchLink", "Link"):
        assert len(classes[name]) == 1, name

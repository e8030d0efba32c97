"""The import rules of the design, checked by reading every source file (ast), so they cannot drift.

Between layers: main -> gui -> net -> storage -> crypto_core, and nothing back. Inside them, rooms
(folders) with rules of their own: the sans-IO rooms (``net/protocol``, ``net/client/core``) open no
socket, start no thread or process, touch no database and read no clock; ``net/protocol`` holds no
server secret either (no key derivation or stretching: that is the server's); ``net/client`` and
``net/server`` both stand on ``net/protocol`` and never import each other; ``storage/server`` and
``storage/profile`` never import each other; in the client engine only ``net/client/transport.py``
touches sockets (``socket``, ``select``, ``selectors``, ``ssl``); and no module sits directly in
``net/``, outside a room.
And no import cycle anywhere in the source: imports under
``if TYPE_CHECKING:`` and inside functions count too, since they are dependencies all the same.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
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

#: What a sans-IO room may not import: sockets, threads, processes, databases.
IO_MODULES = frozenset(
    {"socket", "socketserver", "ssl", "select", "selectors", "threading", "sqlite3", "subprocess"}
)
#: The clock and sleeping: a sans-IO room is given the time, it never reads it.
CLOCK_CALLS = frozenset(
    {"time.time", "time.time_ns", "time.monotonic", "time.monotonic_ns", "time.sleep", "time.perf_counter"}
)
#: Key derivation and stretching with a secret (the registration lock's peppered Argon2id, the
#: codes' keys) are the server's: the protocol room holds only the facts both sides share.
SERVER_SECRETS = frozenset({"cryptography.hazmat.primitives.kdf"})
#: Sockets and waiting on them: in the engine only net/client/transport.py uses them.
CLIENT_SOCKETS = frozenset({"socket", "select", "selectors", "ssl"})


@dataclass(frozen=True)
class Room:
    """A folder (or one module) of the source and what its modules must not import or call."""

    path: str
    #: Modules (and their submodules) this room's files may not import.
    no_imports: frozenset[str] = frozenset()
    #: Our own modules, by dotted prefix, this room may not import...
    no_rooms: tuple[str, ...] = ()
    #: ...except these, more specific, prefixes.
    but: tuple[str, ...] = ()
    #: Calls (``module.function``) this room may not make.
    no_calls: frozenset[str] = frozenset()


ROOMS = [
    Room(
        "net/protocol",
        no_imports=IO_MODULES | SERVER_SECRETS,
        no_rooms=("net.client", "net.server", "net.bench", "gui"),
        no_calls=CLOCK_CALLS,
    ),
    Room(
        "net/client/core",
        # Not even the time module: the engine's core is handed the time.
        no_imports=IO_MODULES | {"time"},
        no_rooms=("net.client", "net.server", "net.bench", "gui"),
        but=("net.client.core",),
        no_calls=CLOCK_CALLS,
    ),
    Room("net/client", no_rooms=("net.server", "net.bench")),
    Room("net/server", no_rooms=("net.client", "net.bench")),
    Room("storage/server", no_rooms=("storage.profile",)),
    Room("storage/profile", no_rooms=("storage.server",)),
    # The engine's parts around the core take the time from its injected clock; only messenger.py,
    # the driver, reads the real one.
    *(
        Room(f"net/client/{name}.py", no_calls=CLOCK_CALLS)
        for name in ("link", "outbox", "duties", "inbox", "context")
    ),
    # The client's sockets (TLS, pinning, the wake-up pair, waiting on them) are transport.py's
    # alone: every other module of the engine, present or to come, speaks to it, not to the OS.
    *(
        Room(path.relative_to(ROOT).as_posix(), no_imports=CLIENT_SOCKETS)
        for path in sorted((ROOT / "net" / "client").glob("*.py"))
        if path.name != "transport.py"
    ),
]

#: Rules today's code still breaks, each with its reason: (file, what it imports or calls) -> why.
#: Work in progress removes them; the lead empties this list as it lands. An entry that no longer
#: happens fails `test_every_known_exception_still_happens`, so the list only shrinks.
KNOWN_EXCEPTIONS: dict[tuple[str, str], str] = {}

#: Import cycles today's code still has, as the set of modules tangled together -> why.
KNOWN_CYCLES: dict[frozenset[str], str] = {}


def _source_files() -> list[tuple[str, Path]]:
    files = [("main", ROOT / "main.py")]
    for layer in LAYERS[:-1]:
        files += [(layer, p) for p in sorted((ROOT / layer).rglob("*.py"))]
    return files


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


FILES = _source_files()
#: Our modules by dotted name (a package's name stands for its __init__.py).
MODULES = {_module_of(path): path for _, path in FILES}
OUR_MODULES = frozenset(MODULES)


def _imported_names(tree: ast.AST) -> Iterator[str]:
    """Every module an import statement or `import_module` call names, in full (``a.b.c``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
            # `from net.client import outbox` imports the module net.client.outbox, not only the package.
            yield from (
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in OUR_MODULES
            )
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.args[0].value


def _parse(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imports(path: Path) -> set[str]:
    """The top-level packages a file imports."""
    return {name.split(".")[0] for name in _imported_names(_parse(path))}


def _calls(tree: ast.AST) -> set[str]:
    """`module.function` for every call of an imported module's function, and names taken by `from`."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in aliases:
            found.add(f"{aliases[func.value.id]}.{func.attr}")
        elif isinstance(func, ast.Name) and func.id in aliases:
            found.add(aliases[func.id])
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _room_of(path: Path) -> list[Room]:
    """Every room a file is in (a file in net/client/core is in net/client too)."""
    relative = path.relative_to(ROOT).as_posix()
    return [room for room in ROOMS if relative == room.path or relative.startswith(room.path + "/")]


def _violations(path: Path) -> set[str]:
    """What a file imports or calls against the rules of its rooms."""
    rooms = _room_of(path)
    if not rooms:
        return set()
    tree = _parse(path)
    names = set(_imported_names(tree))
    calls = _calls(tree)
    found: set[str] = set()
    for room in rooms:
        for name in names:
            if any(_under(name, banned) for banned in room.no_imports):
                found.add(name)
            if any(_under(name, banned) for banned in room.no_rooms) and not any(
                _under(name, allowed) for allowed in room.but
            ):
                found.add(name)
        found |= calls & room.no_calls
    return found


ROOM_FILES = [path for _, path in FILES if _room_of(path)]


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


def test_every_room_exists() -> None:
    for room in ROOMS:
        place = ROOT / room.path
        assert place.is_file() if room.path.endswith(".py") else (place / "__init__.py").is_file(), (
            f"the room {room.path} is missing"
        )


@pytest.mark.parametrize("path", ROOM_FILES, ids=[str(p.relative_to(ROOT)) for p in ROOM_FILES])
def test_each_room_keeps_its_rules(path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    broken = {name for name in _violations(path) if (relative, name) not in KNOWN_EXCEPTIONS}
    rooms = ", ".join(dict.fromkeys(room.path for room in _room_of(path)))
    assert not broken, f"{relative} (in {rooms}) must not import or call: {', '.join(sorted(broken))}"


def test_no_module_sits_directly_in_net_outside_a_room() -> None:
    loose = sorted(p.name for p in (ROOT / "net").glob("*.py") if p.name != "__init__.py")
    assert not loose, f"put these in net/protocol, net/server, net/client or net/bench: {loose}"


def test_only_transport_opens_the_clients_sockets() -> None:
    # The engine's modules, one by one (the sans-IO rooms refuse sockets as well, and more).
    sockets_rooms = {
        room.path
        for room in ROOMS
        if room.no_imports >= CLIENT_SOCKETS
        and room.path.startswith("net/client/")
        and room.path.endswith(".py")
    }
    assert "net/client/link.py" in sockets_rooms and "net/client/messenger.py" in sockets_rooms
    assert "net/client/transport.py" not in sockets_rooms
    engine = {p.relative_to(ROOT).as_posix() for p in (ROOT / "net" / "client").glob("*.py")}
    assert sockets_rooms == engine - {"net/client/transport.py"}


def test_the_protocol_room_refuses_a_server_secret() -> None:
    (protocol,) = [room for room in ROOMS if room.path == "net/protocol"]
    statement = "from cryptography.hazmat.primitives.kdf.argon2 import Argon2id\n"
    names = set(_imported_names(ast.parse(statement)))
    assert any(_under(name, banned) for name in names for banned in protocol.no_imports)


def test_every_known_exception_still_happens() -> None:
    stale = [
        f"{file}: {name}"
        for file, name in KNOWN_EXCEPTIONS
        if not (ROOT / file).is_file() or name not in _violations(ROOT / file)
    ]
    assert not stale, f"fixed, so take them out of KNOWN_EXCEPTIONS: {stale}"


def _graph() -> dict[str, set[str]]:
    """Our modules and the modules of ours each one imports (a package's name stands for its __init__)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set()
        for name in _imported_names(_parse(path)):
            # The longest of our modules a name starts with: `net.client.outbox.Outbox` is net.client.outbox.
            parts = name.split(".")
            for cut in range(len(parts), 0, -1):
                candidate = ".".join(parts[:cut])
                if candidate in MODULES:
                    if candidate != module:
                        targets.add(candidate)
                    break
        graph[module] = targets
    return graph


def _tangles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module: each holds a cycle (Tarjan's)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        # Recursion depth is bounded by the number of modules (a few hundred).
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each tangle, to name it."""
    return [_one_cycle(graph, group) for group in _tangles(graph)]


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A path from the group's first module back to itself, inside the group (breadth first)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start, start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle in a strongly connected group: {sorted(group)}")


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles = [_one_cycle(graph, group) for group in _tangles(graph) if frozenset(group) not in KNOWN_CYCLES]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_every_known_cycle_still_happens() -> None:
    found = {frozenset(group) for group in _tangles(_graph())}
    stale = [sorted(cycle) for cycle in KNOWN_CYCLES if cycle not in found]
    assert not stale, f"gone, so take them out of KNOWN_CYCLES: {stale}"


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import tkinter\nfrom net import server\nimport importlib\nimportlib.import_module('gui.app')\n"
    )
    assert {"tkinter", "net", "importlib", "gui"} <= _imports(bad)


def test_the_checker_sees_calls_of_the_clock_however_imported() -> None:
    tree = ast.parse(
        "import time\nimport time as t\nfrom time import monotonic as now\n"
        "time.sleep(1)\nt.time()\nnow()\ntime.strftime('%Y')\n"
    )
    assert _calls(tree) & CLOCK_CALLS == {"time.sleep", "time.time", "time.monotonic"}


def test_the_checker_finds_a_cycle_and_names_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]

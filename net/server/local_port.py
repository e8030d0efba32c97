"""A port kept for good: the local server's, chosen once from a first port up, remembered with its data.

``python main.py server --keep-port 5000`` listens on the port named in
``<data dir>/port`` when that port is free, else on the first free port from
5000 up, and writes that one down: the server comes back at the same address
every time, so every window on the computer (and every profile's pin, which is
by key anyway) finds it where it was. :func:`answers` is the other side: a window
asking whether something listens at an address at all.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

PORT_FILE = "port"
#: How far above the first port to look before giving up.
SPAN = 100


class NoFreePort(OSError):
    """Every port of the span is taken."""


def remembered_port(data_dir: Path) -> int | None:
    """The port written down in the data folder, or None (none yet, or not a port)."""
    try:
        text = (data_dir / PORT_FILE).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdecimal() and 0 < int(text) < 65536 else None


def _free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is free
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def choose(data_dir: Path, host: str, first: int) -> int:
    """The remembered port if it is free, else the first free one from ``first`` up, remembered."""
    kept = remembered_port(data_dir)
    if kept is not None and _free(host, kept):
        return kept
    for port in range(first, min(first + SPAN, 65536)):
        if _free(host, port):
            _remember(data_dir, port)
            return port
    raise NoFreePort(f"no free port from {first} to {first + SPAN - 1}")


def _remember(data_dir: Path, port: int) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    temporary = data_dir / (PORT_FILE + ".tmp")
    temporary.write_text(f"{port}\n", encoding="ascii")
    os.replace(temporary, data_dir / PORT_FILE)


def answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether something accepts a TCP connection at ``host:port`` within ``timeout`` seconds."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


START_LOCK = "starting.lock"


@contextlib.contextmanager
def starting(data_dir: Path) -> Iterator[None]:
    """Held while one window looks for the server and starts it: two windows never start two servers.

    An operating-system lock (``flock``; ``msvcrt.locking`` on Windows) that waits for the
    other window, and that the system drops if that window dies meanwhile.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / START_LOCK, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing drops the lock

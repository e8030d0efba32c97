"""A real ``redis-server`` on 127.0.0.1, on a free port, in a folder the caller gives (tests, the bench).

Nothing is kept on disk (``--save ''``, ``--appendonly no``): the bus carries only hints, and a Redis that
restarts empty is exactly the case the nodes must survive. Every wait is bounded.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

_START_TIMEOUT = 20.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class RedisInstance:
    """One ``redis-server`` process; ``start_again()`` brings it back on its port after a stop or a kill."""

    def __init__(self, folder: Path, port: int, binary: str) -> None:
        self.folder = folder
        self.port = port
        self._binary = binary
        self._process: subprocess.Popen[bytes] | None = None
        self._log = folder / "redis.log"

    @classmethod
    def start(cls, folder: Path) -> RedisInstance:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (Debian's package: redis-server)")
        folder.mkdir(parents=True, exist_ok=True)
        instance = cls(folder, _free_port(), binary)
        instance._launch()
        return instance

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def _launch(self) -> None:
        command = [
            self._binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.folder),
            "--logfile",
            str(self._log),
        ]
        # The command is ours: the binary found on PATH and numbers and folders we chose.
        self._process = subprocess.Popen(command, cwd=self.folder, stdin=subprocess.DEVNULL)  # noqa: S603
        deadline = time.monotonic() + _START_TIMEOUT
        while not _answers_ping(self.port):
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited at start: {self._tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(
                    f"redis-server did not answer within {_START_TIMEOUT:.0f} s: {self._tail()}"
                )
            time.sleep(0.05)

    def _tail(self) -> str:
        try:
            return " | ".join(self._log.read_text(errors="replace").splitlines()[-3:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Ask it to end (SIGTERM) and wait, at most 10 s, then kill it."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: the connections drop at once, as when the machine goes away."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.kill()
        process.wait(timeout=10)

    def start_again(self) -> None:
        """Start it again on the same port (empty: nothing is kept)."""
        if self._process is not None and self._process.poll() is None:
            return
        deadline = time.monotonic() + _START_TIMEOUT
        while True:  # the old socket may linger a moment after a kill
            try:
                self._launch()
                return
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

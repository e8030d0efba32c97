"""``python main.py server`` as a child process, for tests that must kill it for real."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_LISTENING = re.compile(r"listening on (\S+):(\d+)")
_FINGERPRINT = re.compile(r"fingerprint \(SHA-256\): ([0-9A-F ]+)")


class ServerProcess:
    """Starts the server, reads its address and fingerprint from its output, and stops or kills it."""

    def __init__(self, data_dir: Path, *extra: str, timeout: float = 30.0) -> None:
        self.data_dir = data_dir
        command = [
            sys.executable,
            str(ROOT / "main.py"),
            "server",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
        ]
        self.process = subprocess.Popen(
            [*command, *extra],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stderr_lines: list[str] = []
        threading.Thread(target=self._read, args=(self.process.stdout, self.lines.put), daemon=True).start()
        threading.Thread(
            target=self._read, args=(self.process.stderr, self.stderr_lines.append), daemon=True
        ).start()
        self.output: list[str] = []
        listening = self.wait_for(_LISTENING, timeout)
        self.address = (listening.group(1), int(listening.group(2)))
        self.fingerprint = bytes.fromhex(self.wait_for(_FINGERPRINT, timeout).group(1).replace(" ", ""))

    @staticmethod
    def _read(stream, put) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            put(line)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        for line in self.output:
            if match := pattern.search(line):
                return match
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (self.process.poll() is not None and self.lines.empty()):
                raise AssertionError(
                    f"server output never matched {pattern.pattern!r}: {self.stderr_lines[-5:]}"
                )
            try:
                line = self.lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            self.output.append(line)
            if match := pattern.search(line):
                return match

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def pause(self) -> None:
        """SIGSTOP: the process hangs, and the kernel still accepts connections on its socket."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)

    def interrupt(self, timeout: float = 30.0) -> int:
        """Ctrl+C, and the exit status once it has stopped."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

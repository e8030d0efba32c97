"""One node of a cluster: ``python main.py server`` as a child process, and the codes its nodes print.

A node runs with ``--dev-codes`` on loopback, so the console channel prints every
code it sends (``Verification code for PHONE: CODE``) and the reply carries it too.
A thread reads each node's output all the time (a full pipe would stop the node in
the middle of a registration), copies it to the node's log file and notes each
code in the cluster's one :class:`CodeBook`: a code asked for through one node and
finished through another is still found, whichever node sent it, and across restarts.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60.0
STOP_SECONDS = 30.0
_LISTENING = re.compile(r"listening on (\S+):(\d+)")
_CODE = re.compile(r"Verification code for (\+\d+): (\S+)")

Address = tuple[str, int]


class CodeBook:
    """The codes every node of a cluster printed, by phone, in the order they were sent."""

    name = "cluster console"

    def __init__(self) -> None:
        self._codes: dict[str, list[str]] = {}
        self._changed = threading.Condition()

    def note(self, phone: str, code: str) -> None:
        with self._changed:
            self._codes.setdefault(phone, []).append(code)
            self._changed.notify_all()

    def last(self, phone: str, timeout: float = 10.0) -> str:
        """The newest code for ``phone``, waiting at most ``timeout`` seconds for one to be printed."""
        with self._changed:
            if not self._changed.wait_for(lambda: phone in self._codes, timeout):
                raise TimeoutError(f"no node printed a code for {phone}")
            return self._codes[phone][-1]

    def count(self, phone: str) -> int:
        with self._changed:
            return len(self._codes.get(phone, []))


class NodeProcess:
    """A node on 127.0.0.1:``port`` started with ``flags``; its output goes to its folder's server.log."""

    def __init__(self, data_dir: Path, port: int, flags: Sequence[str], codes: CodeBook) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir = data_dir
        self._codes = codes
        self._log_path = data_dir / "server.log"
        self._log = self._log_path.open("ab")  # a restarted node adds to its log
        command = [sys.executable, str(ROOT / "main.py"), "server", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--data-dir", str(data_dir), *flags]
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter running our own script
            command,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,  # a Ctrl+C meant for the caller reaches a node only through stop()
        )
        self.pid = self.process.pid
        self.address: Address = ("127.0.0.1", port)
        self._listening = threading.Event()
        self._heard: Address | None = None
        self._drain = threading.Thread(target=self._copy_output, name=f"node-{port}-output", daemon=True)
        self._drain.start()
        if not self._listening.wait(START_SECONDS) or self._heard is None:
            self.kill()
            raise RuntimeError(f"the node in {data_dir.name} did not start: {self.tail() or 'no output'}")

    def _copy_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            self._log.write(raw)
            self._log.flush()
            line = raw.decode(errors="replace")
            if match := _CODE.search(line):
                self._codes.note(match.group(1), match.group(2))
            elif self._heard is None and (match := _LISTENING.search(line)):
                self._heard = (match.group(1), int(match.group(2)))
                self._listening.set()
        self._listening.set()  # the node ended: nobody waits in vain

    def tail(self, lines: int = 4) -> str:
        """The last lines the node printed, joined, for an error message."""
        try:
            text = self._log_path.read_text(errors="replace")
        except OSError:
            return ""
        return " / ".join(line for line in text.strip().splitlines()[-lines:])

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: the node vanishes mid-turn, as when its machine loses power."""
        if self.running:
            self.process.send_signal(signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        """SIGTERM (the node stops in order), then SIGKILL if it lingers."""
        if self.running:
            self.process.terminate()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self._reap()

    def _reap(self) -> None:
        self.process.wait(STOP_SECONDS)
        self._drain.join(STOP_SECONDS)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()

    def wait_exit(self, timeout: float) -> int | None:
        """The exit status once the node ends by itself within ``timeout`` seconds, else None."""
        deadline = time.monotonic() + timeout
        while self.running and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.process.poll()

"""Starting and stopping what a bench run needs: the server, the relay and the worker processes.

The server is ``python main.py server`` in a child process (its own interpreter,
so its CPU and memory can be read from /proc apart from the clients'); the relay
and the workers are ``multiprocessing`` children started with ``spawn``. Every
wait has a deadline, and everything started here is stopped here.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from net.bench import relay, worker
from net.bench.link import Address
from net.bench.stats import cpu_count

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
_LISTENING = re.compile(r"listening on (\S+):(\d+)\r?\n")
_CONTEXT = multiprocessing.get_context("spawn")


class BenchError(Exception):
    """Something the bench needs did not start or did not answer; the message says what."""


def default_workers() -> int:
    """Client processes: one per CPU. Fewer leave the raw relay unsaturated (the clients' own
    cryptography is the bottleneck there); more only queue for the same CPUs."""
    return cpu_count()


def raise_file_limit(wanted: int) -> str | None:
    """Raise this process's open-file limit (children inherit it); a sentence when it cannot be enough."""
    try:
        import resource  # Unix only
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < wanted:
        return f"the open-file limit is {hard} (ulimit -Hn) but {wanted} are needed; raise it to go further"
    return None


def unique_phones(count: int) -> list[str]:
    """``count`` different valid numbers (San Francisco, +1 415), from a random start so runs differ."""
    span = 8_000_000
    start = secrets.randbelow(span)
    return [f"+1415{2_000_000 + (start + i) % span}" for i in range(count)]


class ServerProcess:
    """``python main.py server`` on a free loopback port with dev codes; its output goes to a log file.

    The console channel prints every code, so the output is drained all the time by
    a thread: a full pipe would stop the server in the middle of a registration.
    """

    def __init__(self, data_dir: Path, sync: str = "full", extra: Sequence[str] = ()) -> None:
        self._log_path = data_dir / "server.log"
        self._log = self._log_path.open("wb")
        command = [sys.executable, str(ROOT / "main.py"), "server", "--host", "127.0.0.1", "--port", "0"]
        command += ["--data-dir", str(data_dir), "--dev-codes", "--log-level", "WARNING", "--sync", sync]
        command += ["--codes-per-address", "1000000"]  # every benchmark client registers from this address
        command += extra  # more of the server's flags (its limits, say)
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter running our own script
            command,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.pid = self.process.pid
        self._address: Address | None = None
        self._listening = threading.Event()
        self._drain = threading.Thread(target=self._copy_output, name="server-output", daemon=True)
        self._drain.start()
        if not self._listening.wait(START_TIMEOUT) or self._address is None:
            self.stop()
            tail = self._log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise BenchError(f"the server did not start: {' / '.join(tail) or 'no output'}")
        self.address: Address = self._address

    def _copy_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._log.write(line)
            if self._address is None and (match := _LISTENING.search(line.decode(errors="replace"))):
                self._address = (match.group(1), int(match.group(2)))
                self._listening.set()
            if not self._address:
                self._log.flush()
        self._log.flush()
        self._listening.set()  # the server ended: nobody waits in vain

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)
        self._drain.join(STOP_TIMEOUT)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._log.close()


def _relay_main(pipe: Pipe) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the runner stops it
    listener = relay.listen()
    pipe.send(listener.getsockname()[:2])
    relay.Relay(listener).serve(pipe.poll)


class RelayProcess:
    def __init__(self) -> None:
        self._pipe, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_relay_main, args=(child,), name="parley-bench-relay", daemon=True
        )
        self.process.start()
        if not self._pipe.poll(START_TIMEOUT):
            self.stop()
            raise BenchError("the relay did not start")
        host, port = self._pipe.recv()
        self.address: Address = (host, port)
        assert self.process.pid is not None
        self.pid: int = self.process.pid

    def stop(self) -> None:
        if self.process.is_alive():
            self._pipe.send("stop")
            self.process.join(STOP_TIMEOUT)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(STOP_TIMEOUT)
        self._pipe.close()


class WorkerPool:
    """Worker processes, each answering one command at a time over its pipe (``serve`` is their main:
    the Parley bench's worker, or another of the same shape, such as the peer comparison's XMPP one)."""

    def __init__(self, count: int, serve: Callable[[Pipe], None] = worker.serve) -> None:
        self.pipes: list[Pipe] = []
        self.processes: list[Any] = []
        self._busy = [False] * count
        for index in range(count):
            parent, child = _CONTEXT.Pipe()
            process = _CONTEXT.Process(target=serve, args=(child,), name=f"parley-bench-{index}", daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def __len__(self) -> int:
        return len(self.pipes)

    def call(
        self,
        command: str,
        args: list[dict[str, Any]],
        *,
        timeout: float,
        while_waiting: Callable[[], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Run ``command`` in every worker (with its own arguments) and gather the answers in order."""
        for index, (pipe, own) in enumerate(zip(self.pipes, args, strict=True)):
            pipe.send((command, own))
            self._busy[index] = True
        answers: list[dict[str, Any] | None] = [None] * len(self.pipes)
        failures: list[str] = []
        deadline = time.monotonic() + timeout
        while any(a is None for a in answers) and not failures:
            if time.monotonic() > deadline:
                raise BenchError(f"the clients did not finish {command} within {timeout:.0f} s")
            for i, pipe in enumerate(self.pipes):
                if answers[i] is None and pipe.poll(0.02):
                    try:
                        status, value = pipe.recv()
                    except EOFError:
                        raise BenchError(f"a client process died during {command}") from None
                    self._busy[i] = False
                    if status == "ok":
                        answers[i] = value
                    else:
                        failures.append(value)
            if while_waiting is not None:
                while_waiting()
        if failures:
            raise BenchError(f"{command} failed: {failures[0]}")
        return [a for a in answers if a is not None]

    def stop(self) -> None:
        """Stop every worker; one still busy with a command (after Ctrl+C, or a failure) is terminated."""
        for pipe, busy in zip(self.pipes, self._busy, strict=True):
            if not busy:
                with contextlib.suppress(OSError):
                    pipe.send(("stop", {}))
        for process, busy in zip(self.processes, self._busy, strict=True):
            if busy:
                process.terminate()
            process.join(STOP_TIMEOUT)
            if process.is_alive():
                process.terminate()
                process.join(STOP_TIMEOUT)
        for pipe in self.pipes:
            pipe.close()


def temporary_data_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="parley-bench-")

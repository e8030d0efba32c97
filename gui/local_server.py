"""The "start a local server" button: a Parley server as a separate process on this computer, at one address.

It runs ``python main.py server --dev-codes --keep-port 5000``: the server
listens on the port remembered in its data folder, or on the first free one
from 5000 up, which it writes down there, so it comes back at the same address
every time (net/server/local_port.py). The output is drained for the life of the
process, so the server can never block on a full pipe, and the address and
fingerprint it prints are read from it.

Every app window on the computer finds the running server through a small note
in the data folder (address, fingerprint, pid): a window believes the note only
while that process lives and the server answers at the address: a TLS handshake
with the note's key and a ``ping`` within 3 s (:func:`net.client.probe.probe`; a
hung process still has the kernel accept connections). A window that finds the
server gone starts it again, on the same port, under a lock in the data folder,
so two windows that notice at once never start two servers; one that finds it
hung (connections accepted, no answer) first stops it, when it is this
computer's local server: the note's process, of the same user, running
``main.py server`` on this data folder (checked in ``/proc``, so on Linux; elsewhere
the window says so in words and leaves the process alone). The note's fingerprint lets either
window tell the person that the key offered on first contact is the one of the
server Parley started (fingerprints are compared in one spelling: the server
prints them in groups, other tools with colons or in lower case). The app that
started the server stops it when it quits.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from net.client.probe import PROBE_SECONDS, Answer, probe
from net.protocol.fingerprints import normalize_fingerprint
from net.server import local_port

MAIN_PY = Path(__file__).resolve().parent.parent / "main.py"
NOTE_NAME = "running.json"
_ADDRESS = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}|localhost|\[[0-9A-Fa-f:]+\]):(\d{1,5})\b")
_FINGERPRINT = re.compile(r"fingerprint[^:]*:\s*([0-9A-Fa-f][0-9A-Fa-f: ]{31,})", re.IGNORECASE)
_KEPT_LINES = 20
#: The local server's first choice of port; the next free one above it when that is taken.
FIRST_PORT = 5000
LOCAL_HOST = "127.0.0.1"
#: How long a hung server is given to end after SIGTERM, before SIGKILL.
STOP_SECONDS = 5.0


class LocalServerError(Exception):
    """The local server did not start; the message says why, for a person."""


def _alive(pid: int) -> bool:
    if os.name == "nt":  # signal 0 means something else there; trust the note
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def same_fingerprint(ours: str | None, theirs: str | None) -> bool:
    """Whether two spellings (grouped, with colons, any case) name the same server key."""
    if not ours or not theirs:
        return False
    try:
        return hmac.compare_digest(normalize_fingerprint(ours), normalize_fingerprint(theirs))
    except ValueError:  # not a fingerprint at all: never a match
        return False


def _note_pid(data_dir: Path) -> int | None:
    try:
        return int(json.loads((data_dir / NOTE_NAME).read_text(encoding="utf-8"))["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class _Note:
    pid: int
    address: str
    fingerprint: str


def _running_note(data_dir: Path) -> _Note | None:
    try:
        note = json.loads((data_dir / NOTE_NAME).read_text(encoding="utf-8"))
        pid, address = int(note["pid"]), str(note["address"])
        fingerprint = str(note.get("fingerprint") or "")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return _Note(pid, address, fingerprint) if _alive(pid) else None


def running_address(data_dir: Path) -> str | None:
    """The address of a local server that another app window started and that still runs."""
    note = _running_note(data_dir)
    return None if note is None else note.address


def _probe(address: str, fingerprint: str | None, timeout: float) -> Answer:
    host, _, port = address.rpartition(":")
    if not port.isdecimal():
        return Answer.NOBODY
    return probe(host.strip("[]"), int(port), fingerprint or None, timeout=timeout)


def _our_local_server(pid: int, data_dir: Path) -> bool:
    """Whether ``pid`` is this user's ``main.py server`` on ``data_dir`` (Linux, through /proc)."""
    proc = Path("/proc") / str(pid)
    try:
        status = (proc / "status").read_text().splitlines()
        uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
        argv = (proc / "cmdline").read_bytes().decode("utf-8", "replace").split("\0")
    except (OSError, StopIteration, ValueError, IndexError):
        return False
    if uid != os.getuid() or "server" not in argv or "--data-dir" not in argv:
        return False
    given = argv[argv.index("--data-dir") + 1 :][:1]
    return bool(given) and Path(given[0]).resolve() == data_dir.resolve()


def _gone(pid: int) -> bool:
    """The process has ended (a zombie not yet reaped by the window that started it has ended too)."""
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return not _alive(pid)
    return state in {"Z", "X"}


def _stop_hung(pid: int) -> None:
    """Stop another window's hung server: SIGTERM (and SIGCONT, should it be merely stopped), then SIGKILL."""
    for number in (signal.SIGTERM, signal.SIGCONT):
        with contextlib.suppress(OSError):
            os.kill(pid, number)
    deadline = time.monotonic() + STOP_SECONDS
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _gone(pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + STOP_SECONDS
        while not _gone(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


@dataclass(frozen=True)
class Found:
    """The local server's address; whether this window had to start it just now, and whether the one
    it found had hung (accepted connections but did not answer) and was stopped first."""

    address: str
    started: bool
    hung: bool = False


class LocalServer:
    def __init__(
        self,
        data_dir: Path,
        *,
        python: str = sys.executable,
        main_py: Path = MAIN_PY,
        first_port: int = FIRST_PORT,
    ) -> None:
        self.data_dir = data_dir
        self._argv = [
            *(python, str(main_py), "server", "--dev-codes", "--host", LOCAL_HOST),
            *("--keep-port", str(first_port)),
        ]
        self._process: subprocess.Popen[str] | None = None
        self._lines: deque[str] = deque(maxlen=_KEPT_LINES)
        self._found = threading.Event()
        self.address: str | None = None
        self.fingerprint: str | None = None

    def vouches_for(self, fingerprint: str) -> bool:
        """True if ``fingerprint`` is the key of the local server this app, or another window, started."""
        if self.running and same_fingerprint(self.fingerprint, fingerprint):
            return True
        note = _running_note(self.data_dir)
        return note is not None and same_fingerprint(note.fingerprint, fingerprint)

    @property
    def running(self) -> bool:
        """This window's own server process is alive (it may still have stopped answering)."""
        return self._process is not None and self._process.poll() is None

    def serves(self, address: str) -> bool:
        """Whether ``address`` is where the local server runs, or ran, or will run again."""
        note = _running_note(self.data_dir)
        port = local_port.remembered_port(self.data_dir)
        kept = None if port is None else f"{LOCAL_HOST}:{port}"
        return address in {self.address, kept, None if note is None else note.address} - {None}

    def answering(self, timeout: float = PROBE_SECONDS) -> str | None:
        """The address of a local server (this window's or another's) that runs and answers; blocks."""
        return self._look(timeout)[0]

    def _look(self, timeout: float) -> tuple[str | None, _Note | None]:
        """Where a local server answers; else the note of one that accepts connections but is silent."""
        own = self._process.pid if self.running and self._process is not None else None
        if (
            own is not None
            and self.address
            and _probe(self.address, self.fingerprint, timeout) is Answer.ANSWERS
        ):
            return self.address, None
        note = _running_note(self.data_dir)
        if note is None or note.pid == own:  # ours, asked already
            return None, None
        answer = _probe(note.address, note.fingerprint, timeout)
        if answer is Answer.ANSWERS:
            return note.address, None
        return None, note if answer is Answer.SILENT else None

    def ensure(self, timeout: float = 30.0) -> Found:
        """The local server's address, starting it (again) if none answers; blocks, so off the Tk thread.

        Under the data folder's start lock: a second window waits for the first and then finds
        the server the first one started. A hung one (another window's) is stopped first, if it is
        this computer's local server; else :class:`LocalServerError` says so.
        """
        with local_port.starting(self.data_dir):
            hung_here = self.running
            address, hung = self._look(PROBE_SECONDS)
            if address is not None:
                return Found(address, started=False)
            if self.running:  # ours, alive, but not answering: it cannot serve anyone any more
                self.stop()
            if hung is not None:
                if not _our_local_server(hung.pid, self.data_dir):
                    raise LocalServerError(
                        f"The local server at {hung.address} accepts connections but does not answer, "
                        f"and Parley cannot stop it (process {hung.pid}). Stop it, then try again."
                    )
                _stop_hung(hung.pid)
            return Found(self._launch(timeout), started=True, hung=hung_here or hung is not None)

    def start(self, timeout: float = 30.0) -> str:
        """Start the server unless one answers already, and return its ``host:port``; blocks."""
        return self.ensure(timeout).address

    def _launch(self, timeout: float) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._found = threading.Event()
        self.address = self.fingerprint = None
        self._lines.clear()
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and main.py, no shell
                [*self._argv, "--data-dir", str(self.data_dir)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                bufsize=1,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        except OSError as exc:
            raise LocalServerError(f"Could not start a local server: {exc.strerror or exc}.") from None
        threading.Thread(
            target=self._drain, args=(self._process,), name="local-server-output", daemon=True
        ).start()
        if not self._found.wait(timeout) or self.address is None:
            said = " ".join(self._lines)[-300:]
            self.stop()
            raise LocalServerError("The local server did not start." + (f" It said: {said}" if said else ""))
        self._write_note()
        return self.address

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if _note_pid(self.data_dir) == process.pid:  # the note is ours; another window's stays
            with contextlib.suppress(OSError):
                (self.data_dir / NOTE_NAME).unlink(missing_ok=True)
        if process.poll() is None:
            process.terminate()
            if os.name != "nt":  # a stopped (hung) process must go on to act on the SIGTERM
                with contextlib.suppress(OSError):
                    os.kill(process.pid, signal.SIGCONT)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        self.address = None

    def _drain(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            line = line.strip()
            self._lines.append(line)
            if self.fingerprint is None and (match := _FINGERPRINT.search(line)):
                self.fingerprint = match.group(1).strip()
                self._found.set()
            listening = self.address is None and "listening" in line.lower()
            if listening and (match := _ADDRESS.search(line)) and int(match.group(2)):
                self.address = f"{match.group(1)}:{match.group(2)}"
        self._found.set()  # the process ended: whoever waits learns it now, not at the timeout

    def _write_note(self) -> None:
        assert self._process is not None
        note = {"pid": self._process.pid, "address": self.address, "fingerprint": self.fingerprint}
        temporary = self.data_dir / (NOTE_NAME + ".tmp")
        with contextlib.suppress(OSError):  # a window reading it sees the old note or the new one, whole
            temporary.write_text(json.dumps(note), encoding="utf-8")
            os.replace(temporary, self.data_dir / NOTE_NAME)

"""A PostgreSQL server of its own for tests and the bench: ``initdb`` in a folder, a free loopback port.

As root the server runs as the ``postgres`` user (PostgreSQL refuses to run as root): ``initdb``,
``pg_ctl`` and ``postgres`` are started with ``runuser -u postgres --`` and the folder is given to that
user. Authentication is ``trust``, which is safe only because the server listens on 127.0.0.1 alone and
its unix socket lies inside the folder. With ``fsync=False`` (tests) the server does not wait for the disk
(``fsync`` and ``full_page_writes`` off): a crash of the machine may lose commits, but a crash of PostgreSQL
itself (``kill()``) loses nothing committed, because ``synchronous_commit`` stays on — a commit still hands
its WAL to the kernel before it returns, and the tests that kill PostgreSQL assert exactly that.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg


#: Every wait on PostgreSQL is bounded by this many seconds.
TIMEOUT = 60.0
#: A unix socket's path must fit ``sun_path`` (108 bytes) with the ``/.s.PGSQL.PORT`` PostgreSQL adds.
_SOCKET_PATH_ROOM = 90
_DATABASE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class PostgresError(RuntimeError):
    """PostgreSQL could not be set up, started or stopped; the message says which and why."""


def binaries() -> Path | None:
    """The folder of the newest installed PostgreSQL's programs (Debian's layout), else None for PATH."""
    found: list[tuple[int, Path]] = []
    for candidate in Path("/usr/lib/postgresql").glob("*/bin"):
        if candidate.parent.name.isdigit() and (candidate / "pg_ctl").exists():
            found.append((int(candidate.parent.name), candidate))
    return max(found)[1] if found else None


def free_port() -> int:
    """A loopback port nobody listens on just now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_root() -> bool:
    return os.geteuid() == 0


@dataclass
class PostgresInstance:
    """One PostgreSQL server in ``folder``: ``data/`` (the cluster), ``socket/`` and ``postgres.log``
    (or in the folder that ``folder/home`` links to, see ``_give_folder``)."""

    folder: Path
    port: int
    fsync: bool = False
    #: The folder in the system's temporary directory that holds the cluster, when ``folder`` could not.
    _own_home: Path | None = field(default=None, init=False, repr=False)

    @classmethod
    def start(cls, folder: Path, *, fsync: bool = False) -> PostgresInstance:
        """A new cluster in ``folder`` (made if missing; it must not hold one already), started."""
        folder = Path(folder).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / "data").exists() or (folder / "home").exists():
            raise PostgresError(f"{folder} already holds a PostgreSQL cluster; use start_again() for it")
        instance = cls(folder, free_port(), fsync)
        instance._give_folder()
        instance._initdb()
        # The port was free when probed but another process may take it first: try a few.
        for attempt in range(3):
            instance._configure()
            try:
                instance.start_again()
                return instance
            except PostgresError:
                if attempt == 2 or "already in use" not in instance.log_tail():
                    raise
                instance.port = free_port()
        raise AssertionError("unreachable")

    @property
    def url(self) -> str:
        """The url of the ``postgres`` database as its superuser ``postgres``."""
        return self.database_url("postgres")

    def database_url(self, name: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    @property
    def home(self) -> Path:
        """Where the cluster (``data/``), its socket and its log are: the folder, or the folder it links."""
        link = self.folder / "home"
        return link.resolve() if link.is_symlink() else self.folder

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def log(self) -> Path:
        return self.home / "postgres.log"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new empty database (a copy of ``template`` when given); returns its url."""
        for given in (name, template):
            if given is not None and not _DATABASE_NAME.fullmatch(given):
                raise ValueError(f"a database name is lowercase letters, digits and _, not {given!r}")
        statement = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
        with self._connect() as connection:
            connection.execute(statement.encode())
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drops the database, ending the connections still open to it."""
        if not _DATABASE_NAME.fullmatch(name):
            raise ValueError(f"a database name is lowercase letters, digits and _, not {name!r}")
        with self._connect() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())

    def _connect(self) -> psycopg.Connection[tuple[object, ...]]:
        import psycopg  # here: `python main.py` builds the bench's flags, and one node needs no driver

        return psycopg.connect(self.url, autocommit=True, connect_timeout=10)

    def start_again(self) -> None:
        """Starts the server on its folder and port (after ``stop()`` or ``kill()``); waits till it serves."""
        self._pg_ctl("start", "-l", str(self.log))

    def stop(self) -> None:
        """Stops the server, ending its connections (``fast`` mode); the data stays for ``start_again()``."""
        if self.running():
            self._pg_ctl("stop", "-m", "fast")

    def kill(self) -> None:
        """SIGKILL of the postmaster, as a crash; returns when it and the backends it started are gone."""
        pid = self.pid()
        if pid is None or not _alive(pid):
            raise PostgresError(f"PostgreSQL in {self.folder} is not running")
        children = _children(pid)
        os.kill(pid, signal.SIGKILL)
        # Backends notice their postmaster's death and end; a new postmaster refuses to start while
        # they still hold the old shared memory, so wait for them.
        deadline = time.monotonic() + TIMEOUT
        while any(_alive(p) for p in (pid, *children)):
            if time.monotonic() > deadline:
                raise PostgresError(f"PostgreSQL's processes {[pid, *children]} outlived SIGKILL")
            time.sleep(0.02)
        # The dead postmaster stays a zombie until the system reaps it, and while its pid exists a new
        # postmaster takes postmaster.pid for a live one's; the file is stale, so it goes if reaping lags.
        reaped_by = time.monotonic() + 5.0
        while Path(f"/proc/{pid}").exists() and time.monotonic() < reaped_by:
            time.sleep(0.02)
        if Path(f"/proc/{pid}").exists():
            (self.data / "postmaster.pid").unlink(missing_ok=True)

    def remove(self) -> None:
        """Stops the server if it runs and deletes its folder's cluster, socket and log."""
        self.stop()
        atexit.unregister(self._discard_home)
        home = self.home
        for path in (self.data, home / "socket"):
            shutil.rmtree(path, ignore_errors=True)
        self.log.unlink(missing_ok=True)
        if home != self.folder:
            shutil.rmtree(home, ignore_errors=True)
            (self.folder / "home").unlink(missing_ok=True)
        self._own_home = None

    def pid(self) -> int | None:
        """The postmaster's pid from ``postmaster.pid`` (its first line), None when there is no such file."""
        try:
            first = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
        except FileNotFoundError:
            return None
        return int(first) if first.strip().isdigit() else None

    def running(self) -> bool:
        """Whether the postmaster named in ``postmaster.pid`` runs (after ``kill()`` the file stays)."""
        pid = self.pid()
        return pid is not None and _alive(pid)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""

    def _give_folder(self) -> None:
        """As root: the folder becomes the postgres user's, or, when that user cannot reach it (a parent
        only root may enter, as pytest's temporary folders), the cluster lives in a folder of its own in
        the system's temporary directory and ``home`` in ``folder`` links to it."""
        if not _as_root():
            return
        shutil.chown(self.folder, "postgres", "postgres")
        if _postgres_may_write(self.folder):
            return
        home = Path(tempfile.mkdtemp(prefix="parley-postgres-"))
        shutil.chown(home, "postgres", "postgres")
        if not _postgres_may_write(home):
            raise PostgresError(f"the postgres user can write neither {self.folder} nor {home}")
        (self.folder / "home").symlink_to(home, target_is_directory=True)
        # Nobody but this process knows that folder: it goes when the process ends, if remove() did not.
        self._own_home = home
        atexit.register(self._discard_home)

    def _discard_home(self) -> None:
        """At the process's end: stop the server if it still runs, and delete the folder of its own."""
        home = self._own_home
        if home is None:
            return
        with contextlib.suppress(OSError, PostgresError, subprocess.SubprocessError):  # it goes all the same
            self.stop()
        shutil.rmtree(home, ignore_errors=True)
        (self.folder / "home").unlink(missing_ok=True)

    def _initdb(self) -> None:
        command = ["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        command += ["--locale=C"] + (["--no-sync"] if not self.fsync else [])
        self._run(command, "initdb")

    def _configure(self) -> None:
        socket_dir = self.home / "socket"
        socket_dir.mkdir(exist_ok=True)
        if _as_root():
            shutil.chown(socket_dir, "postgres", "postgres")
        # Too long a path for a unix socket: the server listens on its loopback port alone.
        sockets = str(socket_dir) if len(str(socket_dir)) <= _SOCKET_PATH_ROOM else ""
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": sockets,
            "max_connections": "200",
            "shared_buffers": "32MB",
            "logging_collector": "off",
            # Two nodes' turns that wait for each other are told within 50 ms instead of PostgreSQL's 1 s
            # (the loser's request is handled again in its node's next turn); what README advises too.
            "deadlock_timeout": "50ms",
        }
        if not self.fsync:
            settings |= {"fsync": "off", "full_page_writes": "off"}
        # postgresql.auto.conf is read last, so these win over postgresql.conf; written anew each time.
        lines = [f"{key} = '{value}'" for key, value in settings.items()]
        (self.data / "postgresql.auto.conf").write_text("\n".join(lines) + "\n")
        if _as_root():
            shutil.chown(self.data / "postgresql.auto.conf", "postgres", "postgres")

    def _pg_ctl(self, action: str, *options: str) -> None:
        self._run(["pg_ctl", action, "-D", str(self.data), "-w", "-t", str(int(TIMEOUT)), *options], action)

    def _run(self, command: list[str], what: str) -> None:
        folder = binaries()
        program = str(folder / command[0]) if folder else command[0]
        full = [program, *command[1:]]
        if _as_root():
            full = ["runuser", "-u", "postgres", "--", *full]
        env = {**os.environ, "LC_ALL": "C", "PGTZ": "UTC"}
        try:
            done = subprocess.run(  # noqa: S603 - PostgreSQL's own programs, arguments of our making
                full,
                cwd=self.home,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT + 10,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise PostgresError(f"PostgreSQL's {what} in {self.folder} did not finish in time") from exc
        if done.returncode != 0:
            raise PostgresError(
                f"PostgreSQL's {what} in {self.folder} failed: {done.stderr.strip() or done.stdout.strip()}"
                + (f"\n{self.log_tail()}" if self.log.exists() else "")
            )


def _postgres_may_write(folder: Path) -> bool:
    check = ["runuser", "-u", "postgres", "--", "test", "-w", str(folder)]
    done = subprocess.run(check, check=False, timeout=TIMEOUT, capture_output=True)  # noqa: S603 - fixed
    return done.returncode == 0


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc: PostgreSQL's backends and workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped by its parent, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")

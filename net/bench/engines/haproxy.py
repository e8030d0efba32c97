"""HAProxy in front of server nodes, as a real process on loopback, for tests and the bench.

TCP mode (TLS passes through to the nodes, so a client pins the nodes' one key),
``balance leastconn`` (connections live long, so the node with the fewest is the
fairest choice), a health check every 500 ms that takes a node out after two
failures and back after one success, and a PROXY protocol v2 header on every
connection to a node, so that its per-address limits see the client's address.
HAProxy's own health checks send a LOCAL header, which a node closes quietly.

The configuration, the admin socket and HAProxy's output live in the caller's
folder; the process runs in the foreground (``-db``) as our child and is stopped
by its pid. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import resource
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

Address = tuple[str, int]
START_SECONDS = 15.0
STOP_SECONDS = 10.0
#: Longer than any node's ``--idle-timeout`` (300 s by default): the node, not the proxy, ends an idle
#: connection, with a reason in words; HAProxy's own timeout is only a backstop.
TUNNEL_TIMEOUT = "1h"
CONFIG_FILE = "haproxy.cfg"
ADMIN_SOCKET = "admin.sock"
OUTPUT_FILE = "haproxy.log"
MOST_CONNECTIONS = 20000


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on just now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def max_connections() -> int:
    """As many connections as this process may open files for: HAProxy needs two per connection."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY:
        return MOST_CONNECTIONS
    return max(100, min(MOST_CONNECTIONS, (hard - 100) // 2))


def haproxy_config(frontend: Address, backends: list[Address], admin_socket: Path | None = None) -> str:
    """The whole haproxy.cfg: one TCP frontend, one backend of ``backends`` (named node0, node1, …)."""
    lines = ["global", f"    maxconn {max_connections()}"]
    if admin_socket is not None:
        lines.append(f"    stats socket {admin_socket} mode 600 level admin")
    lines += [
        "",
        "defaults",
        "    mode tcp",
        "    option redispatch",  # a connection that fails to reach a node is tried on another
        "    retries 2",
        "    timeout connect 5s",
        f"    timeout client {TUNNEL_TIMEOUT}",
        f"    timeout server {TUNNEL_TIMEOUT}",
        "    timeout check 2s",
        "",
        "frontend parley",
        f"    bind {frontend[0]}:{frontend[1]}",
        "    default_backend nodes",
        "",
        "backend nodes",
        "    balance leastconn",
        "    option tcp-check",
    ]
    for index, (host, port) in enumerate(backends):
        lines.append(f"    server node{index} {host}:{port} check inter 500ms fall 2 rise 1 send-proxy-v2")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ServerState:
    """One backend server as HAProxy's statistics show it."""

    name: str
    status: str  # "UP", "DOWN", "MAINT", or a transition such as "UP 1/2"
    current: int  # connections open to it now
    total: int  # connections it was given since start


class HaproxyInstance:
    """A running HAProxy; ``address`` is where clients connect."""

    def __init__(self, folder: Path, process: subprocess.Popen[bytes], address: Address) -> None:
        self.folder = folder
        self.process = process
        self.address = address

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    def start(
        cls, folder: Path, backends: list[Address], *, port: int | None = None, host: str = "127.0.0.1"
    ) -> HaproxyInstance:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        if not Path(binary).exists():
            raise RuntimeError("haproxy is not installed (Debian: apt-get install haproxy)")
        if not backends:
            raise ValueError("HAProxy needs at least one backend")
        folder.mkdir(parents=True, exist_ok=True)
        address = (host, port if port is not None else free_port(host))
        config = folder / CONFIG_FILE
        config.write_text(haproxy_config(address, backends, folder / ADMIN_SOCKET), encoding="utf-8")
        output = (folder / OUTPUT_FILE).open("ab")
        try:
            process = subprocess.Popen(  # noqa: S603 - the installed haproxy on our own config file
                [binary, "-db", "-f", str(config)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl+C meant for the test reaches HAProxy only through stop()
            )
        finally:
            output.close()
        instance = cls(folder, process, address)
        try:
            instance._wait_listening()
        except BaseException:
            instance.stop()
            raise
        return instance

    def _wait_listening(self) -> None:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited with {self.process.returncode}: {self.output()[-800:]}")
            # The admin socket answers once every listener is bound; a probe through the frontend would
            # reach a node as a connection of its own.
            with contextlib.suppress(OSError):
                if "Uptime" in self.admin("show info", timeout=0.5):
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not listen on {self.address} within {START_SECONDS:g} s")
            time.sleep(0.05)

    def output(self) -> str:
        """What HAProxy printed (its warnings and alerts)."""
        try:
            return (self.folder / OUTPUT_FILE).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def admin(self, command: str, timeout: float = 5.0) -> str:
        """One command on the admin socket (say ``show stat``), and HAProxy's answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.folder / ADMIN_SOCKET))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", errors="replace")

    def servers(self) -> list[ServerState]:
        """The backend's servers, from ``show stat``."""
        rows = [line.split(",") for line in self.admin("show stat").splitlines() if line]
        if not rows:
            raise RuntimeError("HAProxy's statistics were empty")
        header = [rows[0][0].lstrip("# "), *rows[0][1:]]
        column = {name: index for index, name in enumerate(header)}
        return [
            ServerState(
                name=row[column["svname"]],
                status=row[column["status"]],
                current=int(row[column["scur"]] or 0),
                total=int(row[column["stot"]] or 0),
            )
            for row in rows[1:]
            if row[column["pxname"]] == "nodes" and row[column["svname"]] not in ("FRONTEND", "BACKEND")
        ]

    def wait_for_status(self, name: str, status: str, timeout: float = 10.0) -> None:
        """Until HAProxy's health checks call server ``name`` ``status`` ("UP" or "DOWN"); bounded."""
        deadline = time.monotonic() + timeout
        while True:
            states = {s.name: s.status for s in self.servers()}
            if states.get(name) == status:  # "UP 1/2" is a server on its way down, not up
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"HAProxy still calls {name} {states.get(name)!r}, not {status}")
            time.sleep(0.1)

    def set_state(self, name: str, state: str) -> None:
        """Put server ``name`` in ``state``: "maint" (no new connections; those open stay) or "ready"."""
        if state not in ("ready", "maint", "drain"):
            raise ValueError(f"a server's state is ready, maint or drain, not {state!r}")
        answer = self.admin(f"set server nodes/{name} state {state}").strip()
        if answer:
            raise RuntimeError(f"HAProxy refused to set {name} {state}: {answer}")

    def stop(self) -> None:
        """SIGTERM (HAProxy stops at once, closing every connection), then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_SECONDS)

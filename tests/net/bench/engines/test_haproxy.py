"""HAProxy before two plain TCP echo backends: leastconn spreads, a dead one is skipped, PROXY v2 is sent."""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from pathlib import Path

import pytest

from net.bench.engines.haproxy import HaproxyInstance, free_port, haproxy_config

SIGNATURE = b"\r\n\r\n\x00\r\nQUIT\n"


class EchoBackend:
    """Reads the PROXY v2 header HAProxy sends first, then answers each line with ``name:line``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()[:2]
        self.headers: list[tuple[int, str]] = []  # (command, source address) of each header
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    @staticmethod
    def _exactly(conn: socket.socket, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = conn.recv(size - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    def _serve(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError), conn:
            fixed = self._exactly(conn, 16)
            assert fixed[:12] == SIGNATURE
            command, length = fixed[12] & 0x0F, struct.unpack("!H", fixed[14:16])[0]
            body = self._exactly(conn, length)
            source = socket.inet_ntoa(body[:4]) if command == 1 and fixed[13] >> 4 == 1 else ""
            self.headers.append((command, source))
            for line in conn.makefile("rb"):
                conn.sendall(f"{self.name}:".encode() + line)

    def kill(self) -> None:
        """The backend dies: no more listening, and its connections drop."""
        self.listener.close()
        for conn in self._open:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()


def ask(address: tuple[str, int], keep: list[socket.socket]) -> str:
    """Open a connection through HAProxy, keep it open, and say which backend answered."""
    conn = socket.create_connection(address, timeout=5)
    keep.append(conn)
    conn.sendall(b"hello\n")
    answer = conn.makefile("rb").readline().decode()
    assert answer.endswith(":hello\n"), answer
    return answer.split(":", 1)[0]


@pytest.fixture
def backends() -> list[EchoBackend]:
    started = [EchoBackend("a"), EchoBackend("b")]
    yield started
    for backend in started:
        backend.kill()


def test_the_config_is_tcp_leastconn_with_checks_and_proxy_v2() -> None:
    config = haproxy_config(("127.0.0.1", 7000), [("10.0.0.1", 5000), ("10.0.0.2", 5000)])
    assert "    mode tcp" in config and "    balance leastconn" in config
    assert "    option tcp-check" in config
    assert "server node1 10.0.0.2:5000 check inter 500ms fall 2 rise 1 send-proxy-v2" in config
    assert "    timeout client 1h" in config and "    timeout server 1h" in config


def test_readme_shows_this_config_for_three_nodes() -> None:
    readme = (Path(__file__).resolve().parents[4] / "README.md").read_text(encoding="utf-8")
    shown = readme.split("The whole `/etc/haproxy/haproxy.cfg`:\n\n```\n", 1)[1].split("```", 1)[0]
    nodes = [("10.0.0.11", 5000), ("10.0.0.12", 5000), ("10.0.0.13", 5000)]
    made = haproxy_config(("0.0.0.0", 5000), nodes, Path("/run/haproxy/parley-admin.sock"))
    # Only maxconn differs: it follows this machine's open-file limit.
    assert [line for line in shown.splitlines() if "maxconn" not in line] == [
        line for line in made.splitlines() if "maxconn" not in line
    ]


def test_leastconn_spreads_held_connections_over_both_backends(
    tmp_path: Path, backends: list[EchoBackend]
) -> None:
    proxy = HaproxyInstance.start(tmp_path / "haproxy", [b.address for b in backends])
    held: list[socket.socket] = []
    try:
        proxy.wait_for_status("node0", "UP")
        proxy.wait_for_status("node1", "UP")
        served = [ask(proxy.address, held) for _ in range(6)]
        assert sorted(served) == ["a"] * 3 + ["b"] * 3  # each new one goes to the one with fewer
        assert {s.name: s.current for s in proxy.servers()} == {"node0": 3, "node1": 3}
        # Each connection came with a PROXY v2 header naming the client's own address.
        proxied = [h for b in backends for h in b.headers if h[0] == 1]
        assert len(proxied) == 6 and {source for _, source in proxied} == {"127.0.0.1"}
    finally:
        for conn in held:
            conn.close()
        proxy.stop()
    assert proxy.process.poll() is not None


def test_a_dead_backend_is_skipped_and_comes_back(tmp_path: Path, backends: list[EchoBackend]) -> None:
    proxy = HaproxyInstance.start(tmp_path / "haproxy", [b.address for b in backends])
    held: list[socket.socket] = []
    try:
        proxy.wait_for_status("node1", "UP")
        backends[1].kill()
        proxy.wait_for_status("node1", "DOWN", timeout=5.0)  # two failed checks, 500 ms apart
        assert [ask(proxy.address, held) for _ in range(4)] == ["a"] * 4
        revived = EchoBackend("b2")
        revived.listener.close()
        revived.listener = socket.create_server(backends[1].address)  # the same port again
        threading.Thread(target=revived._accept, daemon=True).start()
        try:
            proxy.wait_for_status("node1", "UP", timeout=5.0)  # one good check is enough
            assert ask(proxy.address, held) == "b2"  # it has the fewest connections now
        finally:
            revived.kill()
    finally:
        for conn in held:
            conn.close()
        proxy.stop()


def test_a_server_in_maintenance_gets_no_new_connections_and_keeps_its_open_ones(
    tmp_path: Path, backends: list[EchoBackend]
) -> None:
    proxy = HaproxyInstance.start(tmp_path / "haproxy", [b.address for b in backends])
    held: list[socket.socket] = []
    try:
        proxy.wait_for_status("node1", "UP")
        assert ask(proxy.address, held) == "a"
        proxy.set_state("node0", "maint")
        assert [ask(proxy.address, held) for _ in range(3)] == ["b"] * 3
        held[0].sendall(b"still\n")  # the connection made before the maintenance still works
        assert held[0].makefile("rb").readline() == b"a:still\n"
        proxy.set_state("node0", "ready")
        proxy.wait_for_status("node0", "UP")
        assert ask(proxy.address, held) == "a"  # one against three: the fewest
        with pytest.raises(ValueError, match="ready, maint or drain"):
            proxy.set_state("node0", "gone")
    finally:
        for conn in held:
            conn.close()
        proxy.stop()


def test_a_bad_config_says_what_haproxy_said(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="haproxy exited"):
        # 192.0.2.1 (TEST-NET-1) is no address of this machine, so HAProxy cannot bind it.
        HaproxyInstance.start(tmp_path / "haproxy", [("127.0.0.1", 1)], host="192.0.2.1", port=free_port())

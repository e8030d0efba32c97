"""What both peer servers share: the self-signed certificate, the accounts, the user, the child process."""

from __future__ import annotations

import datetime
import ipaddress
import os
import pwd
import socket
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from net.bench.peers import instance
from net.bench.peers.instance import PeerError, ServerChild


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[tuple[str, int], Path]]:
    """A TLS 1.3 listener in this process with a fresh self-signed certificate, answering handshakes."""
    paths = instance.self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(paths.cert, paths.key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            try:
                with context.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[:2], paths.cert
    stop.set()
    thread.join(5)
    listener.close()


def test_the_certificate_names_localhost_and_loopback_for_two_days(tmp_path: Path) -> None:
    now = datetime.datetime(2026, 12, 2, 6, 0, tzinfo=datetime.UTC)
    paths = instance.self_signed(tmp_path, now=now)
    certificate = x509.load_pem_x509_certificate(paths.cert.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
    assert certificate.not_valid_after_utc - certificate.not_valid_before_utc == datetime.timedelta(
        days=2, minutes=5
    )
    assert certificate.not_valid_before_utc < now < certificate.not_valid_after_utc
    key = serialization.load_pem_private_key(paths.key.read_bytes(), password=None)
    assert key.public_key() == certificate.public_key()
    assert paths.key.stat().st_mode & 0o777 == 0o600


def test_a_tls_13_handshake_verifies_against_the_certificate(
    tls_server: tuple[tuple[str, int], Path], tmp_path: Path
) -> None:
    address, cert = tls_server
    assert instance.tls_answers(address, cert)
    # Another certificate is not trusted: the check is real.
    (tmp_path / "other").mkdir()
    other = instance.self_signed(tmp_path / "other")
    assert not instance.tls_answers(address, other.cert)
    assert not instance.tls_answers(("127.0.0.1", instance.free_port()), cert)


def test_accounts_are_distinct_names_with_random_passwords() -> None:
    accounts = instance.accounts(500)
    assert len({user for user, _ in accounts}) == 500
    assert len({password for _, password in accounts}) == 500
    assert accounts[0][0] == "u00000" and all(len(p) >= 16 for _, p in accounts)


def test_as_root_the_server_runs_as_its_package_user(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        assert instance.service_user("prosody") is None
        return
    assert instance.service_user("root") == "root"
    with pytest.raises(PeerError, match="no 'no-such-user-here' user"):
        instance.service_user("no-such-user-here")
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "c.txt").write_text("x")
    nobody = pwd.getpwnam("nobody")
    instance.give_folder(tmp_path / "a", "nobody")
    assert {p.stat().st_uid for p in [tmp_path / "a", *(tmp_path / "a").rglob("*")]} == {nobody.pw_uid}


_SERVER = """
import socket, ssl, sys
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(sys.argv[1], sys.argv[2])
listener = socket.create_server(("127.0.0.1", int(sys.argv[3])))
print("listening", flush=True)
while True:
    conn, _ = listener.accept()
    try:
        context.wrap_socket(conn, server_side=True).close()
    except OSError:
        conn.close()
"""


def test_a_child_is_waited_for_until_it_answers_tls_and_stopped_by_its_pid(tmp_path: Path) -> None:
    paths = instance.self_signed(tmp_path)
    port = instance.free_port()
    (tmp_path / "server.py").write_text(_SERVER)
    child = ServerChild(
        "tiny",
        [sys.executable, str(tmp_path / "server.py"), str(paths.cert), str(paths.key), str(port)],
        folder=tmp_path,
        env=dict(os.environ),
        user=None,
        address=("127.0.0.1", port),
        cafile=paths.cert,
    )
    try:
        assert instance.tls_answers(("127.0.0.1", port), paths.cert)
        sample = child.sample()
        assert sample is not None and sample.rss > 0
        assert "listening" in child.tail()
    finally:
        child.stop()
    assert child.process.returncode is not None
    assert child.sample() is None  # gone
    child.stop()  # twice is harmless


def test_a_child_that_exits_at_start_says_why(tmp_path: Path) -> None:
    paths = instance.self_signed(tmp_path)
    with pytest.raises(PeerError, match=r"broken did not start: .*no such option"):
        ServerChild(
            "broken",
            [sys.executable, "-c", "import sys; print('no such option: --x'); sys.exit(3)"],
            folder=tmp_path,
            env=dict(os.environ),
            user=None,
            address=("127.0.0.1", instance.free_port()),
            cafile=paths.cert,
        )

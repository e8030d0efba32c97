"""What both XMPP servers of the peer comparison need: a self-signed certificate, a child process, accounts.

A server runs from Debian's package, in the foreground, as our child, in a
temporary folder of its own with its configuration, certificate, data and logs;
nothing of the system's service is read or touched. Started as root, it runs as
the package's own user (``prosody``, ``ejabberd``), as Debian's services do: the
folder is given to that user. It is stopped by its pid (SIGTERM, then SIGKILL),
always: by the caller's ``finally``, and at the latest when this process exits.
"""

from __future__ import annotations

import atexit
import datetime
import ipaddress
import os
import pwd
import secrets
import socket
import ssl
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from net.bench.link import Address
from net.bench.stats import ProcessSample, read_process_tree

DOMAIN = "localhost"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


class PeerError(RuntimeError):
    """A peer server is missing, or did not start; the message says which and what to do."""


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def self_signed(folder: Path, domain: str = DOMAIN, now: datetime.datetime | None = None) -> Certificate:
    """A P-256 key and a certificate for ``domain`` (and 127.0.0.1) valid for two days, as PEM files."""
    now = now or datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    names = x509.SubjectAlternativeName(
        [x509.DNSName(domain), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(names, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = Certificate(folder / CERT_FILE, folder / KEY_FILE)
    paths.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    paths.key.chmod(0o600)
    return paths


def free_port() -> int:
    """A loopback port nobody listens on just now (the kernel's choice for port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def accounts(count: int) -> list[tuple[str, str]]:
    """``count`` user names and random passwords for one run (registered in-band by the clients)."""
    return [(f"u{index:05d}", secrets.token_urlsafe(12)) for index in range(count)]


def service_user(name: str) -> str | None:
    """The user to run a server as: the package's own when we are root, else None (ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        raise PeerError(f"running as root, but there is no {name!r} user to run the server as") from None
    return name


def give_folder(folder: Path, user: str | None) -> None:
    """Everything in ``folder`` becomes ``user``'s and its group's (nothing to do without one)."""
    if user is None:
        return
    account = pwd.getpwnam(user)
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, account.pw_uid, account.pw_gid)


def tls_answers(address: Address, cafile: Path, timeout: float = 2.0) -> bool:
    """Whether a TLS 1.3 handshake with the server succeeds now (it listens and has its certificate)."""
    context = ssl.create_default_context(cafile=str(cafile))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        with (
            socket.create_connection(address, timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=DOMAIN),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


class ServerChild:
    """One server process in the foreground; its output goes to ``output`` in its folder."""

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        folder: Path,
        env: Mapping[str, str],
        user: str | None,
        address: Address,
        cafile: Path,
    ) -> None:
        self.name = name
        self.folder = folder
        self.address = address
        self.output = folder / f"{name}.out"
        with self.output.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - the package's own program on our own config
                list(command),
                cwd=folder,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                user=user,
                group=None if user is None else pwd.getpwnam(user).pw_gid,
                extra_groups=[] if user is not None else None,
                start_new_session=True,  # Ctrl+C in the terminal reaches us, not it: we stop it ourselves
            )
        atexit.register(self.stop)
        deadline = time.monotonic() + START_TIMEOUT
        while not tls_answers(address, cafile):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise PeerError(f"{name} did not start: {self.tail()}")
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.process.pid

    def sample(self) -> ProcessSample | None:
        """CPU and memory of the server and of any child processes it started (ejabberd's port programs)."""
        return read_process_tree(self.pid)

    def tail(self, lines: int = 5) -> str:
        texts = []
        for path in [*sorted(self.folder.rglob("*.log")), self.output]:
            try:
                texts += path.read_text(errors="replace").strip().splitlines()
            except OSError:
                continue
        return " / ".join(texts[-lines:]) or "no output"

    def stop(self) -> None:
        """SIGTERM, a clean shutdown within 30 s, else SIGKILL; only this child, by its pid."""
        atexit.unregister(self.stop)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)


class PeerServer:
    """A started peer server: where it listens, the certificate to trust, its pid, CPU and memory."""

    def __init__(self, child: ServerChild, certificate: Certificate) -> None:
        self._child = child
        self.address: Address = child.address
        self.pid = child.pid
        self.cafile = certificate.cert

    def sample(self) -> ProcessSample | None:
        return self._child.sample()

    def accounts(self, count: int) -> list[tuple[str, str]]:
        """Names and passwords for ``count`` accounts; the clients register them in-band (XEP-0077),
        which both servers' configurations open to loopback: it scales to hundreds where a command
        line per account (``prosodyctl``, ``ejabberdctl register``) takes about a second each."""
        return accounts(count)

    def stop(self) -> None:
        self._child.stop()

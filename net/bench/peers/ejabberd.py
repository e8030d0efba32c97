"""ejabberd 23.01 from Debian's package, for the peer comparison: one instance in a temporary folder.

A c2s listener with direct TLS (``tls: true``, TLS 1.3 only) on a free loopback
port and nothing else: no s2s, HTTP, STUN or MQTT listener. ``mod_offline`` on (its
per-user limit raised), no ``mod_mam``, no stream management or carbons; no
shaper on the listener, so nothing is throttled; in-band registration open to
all (``registration_timeout: infinity``: one address may register many). The
Erlang VM is started directly, with the arguments ``ejabberdctl foreground``
gives it (``+K true +P 250000``, ``ERL_MAX_PORTS=32000``) but without a node
name: no Erlang distribution, so no ``epmd`` daemon is started and left behind
(``ejabberdctl`` itself is not needed: the clients register in-band). Passwords
are stored as ejabberd does by default (``plain``; see ``render_config``). The
mnesia database and the logs (warnings and errors) lie in the folder.

``busy_wait=False`` is the variant whose schedulers do not spin while idle
(``+sbwt none +sbwtdcpu none +sbwtdio none``): Erlang's default busy-waiting
burns CPU that the per-message figure would charge to the messages.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from net.bench.peers.instance import (
    DOMAIN,
    PeerError,
    PeerServer,
    ServerChild,
    free_port,
    give_folder,
    self_signed,
    service_user,
)

ERL = "/usr/bin/erl"
#: Where Debian's package puts ejabberd's own application (its dependencies are in Erlang's lib).
LIBRARIES = Path("/usr/lib/x86_64-linux-gnu")
CONFIG_FILE = "ejabberd.yml"
#: What ``ejabberdctl`` passes the VM, as shipped: kernel polling, room for 250,000 processes.
VM_ARGUMENTS = ("+K", "true", "+P", "250000")
NO_BUSY_WAIT = ("+sbwt", "none", "+sbwtdcpu", "none", "+sbwtdio", "none")
TLS_OPTIONS = ("no_sslv3", "no_tlsv1", "no_tlsv1_1", "no_tlsv1_2")


def _yaml(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(text)


def render_config(port: int, pem: Path) -> str:
    """The whole ejabberd.yml of one instance (``pem`` holds the certificate and its key); where the
    database and the logs go is said by the VM's arguments and environment."""
    lines = [
        "# One peer-comparison instance of ejabberd; nothing here is the system's service.",
        "loglevel: warning",
        "log_rotate_count: 0",
        f"hosts: [{_yaml(DOMAIN)}]",
        f"certfiles: [{_yaml(str(pem))}]",
        "listen:",
        f"  - port: {int(port)}",
        '    ip: "127.0.0.1"',
        "    module: ejabberd_c2s",
        "    tls: true",
        f"    protocol_options: [{', '.join(_yaml(o) for o in TLS_OPTIONS)}]",
        "    max_stanza_size: 262144",
        "    shaper: none",
        "    access: c2s",
        "auth_method: internal",
        # ejabberd's own default. Debian's sample configuration asks for scram, and then 500 accounts
        # registering and logging in with PLAIN at once cost ejabberd some 10 s of CPU and left it at
        # about 500 MiB resident (125 MiB with plain): the peak memory of the login burst, not of messages.
        "auth_password_format: plain",
        "registration_timeout: infinity",
        "access_rules:",
        "  c2s:",
        "    allow: all",
        "  register:",
        "    allow: all",
        "shaper_rules:",
        "  max_user_sessions: 10",
        "  max_user_offline_messages: 100000",
        "modules:",
        "  mod_register:",
        "    access: register",
        "    ip_access: all",
        "  mod_offline:",
        "    access_max_user_messages: max_user_offline_messages",
    ]
    return "\n".join(lines) + "\n"


def vm_arguments(folder: Path, *, busy_wait: bool) -> list[str]:
    """``erl``'s command line: the shipped VM flags, the variant's, mnesia in the folder, start ejabberd."""
    spool = _erlang_string(str(folder / "spool"))
    return [
        ERL,
        *VM_ARGUMENTS,
        *(() if busy_wait else NO_BUSY_WAIT),
        "-env",
        "ERL_CRASH_DUMP_BYTES",
        "0",
        "-noinput",
        "-mnesia",
        "dir",
        spool,
        "-s",
        "ejabberd",
    ]


def _erlang_string(text: str) -> str:
    if any(c in text for c in '"\\\n'):
        raise ValueError("an ejabberd folder cannot hold quotes, backslashes or line breaks")
    return f'"{text}"'


def environment(folder: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "LC_ALL": "C",
        "ERL_LIBS": str(LIBRARIES),
        "ERL_MAX_PORTS": "32000",
        "ERL_MAX_ETS_TABLES": "1400",
        "ERL_CRASH_DUMP": str(folder / "logs" / "erl_crash.dump"),
        "EJABBERD_CONFIG_PATH": str(folder / CONFIG_FILE),
        "EJABBERD_LOG_PATH": str(folder / "logs" / "ejabberd.log"),
    }


def version() -> str | None:
    """ejabberd's version as installed (``23.01``), None when it is not."""
    found = sorted(LIBRARIES.glob("ejabberd-*/ebin"))
    if not found or not Path(ERL).exists():
        return None
    # The folder is named by the application's version, which Debian's package gives its revision: 23.01-1.
    return found[-1].parent.name.removeprefix("ejabberd-").split("-")[0]


def otp_version() -> str | None:
    for path in sorted(Path("/usr/lib/erlang/releases").glob("*/OTP_VERSION")):
        return path.read_text().strip()
    return None


class EjabberdInstance(PeerServer):
    @classmethod
    def start(cls, folder: Path, *, busy_wait: bool = True) -> EjabberdInstance:
        """ejabberd in ``folder`` (empty, made by the caller), serving; :class:`PeerError` if it cannot."""
        if version() is None or shutil.which("erl") is None:
            raise PeerError("ejabberd is not installed: apt-get install ejabberd")
        user = service_user("ejabberd")
        for name in ("spool", "logs", "certs"):
            (folder / name).mkdir()
        certificate = self_signed(folder / "certs")
        pem = folder / "certs" / "server.pem"
        pem.write_bytes(certificate.cert.read_bytes() + certificate.key.read_bytes())
        pem.chmod(0o600)
        port = free_port()
        (folder / CONFIG_FILE).write_text(render_config(port, pem), encoding="utf-8")
        give_folder(folder, user)
        child = ServerChild(
            "ejabberd" if busy_wait else "ejabberd-nobusy",
            vm_arguments(folder, busy_wait=busy_wait),
            folder=folder,
            env=environment(folder),
            user=user,
            address=("127.0.0.1", port),
            cafile=certificate.cert,
        )
        return cls(child, certificate)

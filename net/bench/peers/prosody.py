"""Prosody 0.12 from Debian's package, for the peer comparison: one instance in a temporary folder.

Direct TLS (``c2s_direct_tls_ports``, TLS 1.3 only) on a free loopback port, no
STARTTLS or plain port, no s2s, no HTTP. Offline storage is on (``mod_offline``
is loaded by Prosody itself), archives are off (no ``mod_mam``), as are stream
management, carbons and the roster's extras. ``mod_limits`` is not loaded, so no
connection is throttled; in-band registration is open (Prosody's
``mod_register_limits`` does not throttle loopback addresses). Accounts are
Prosody's default ``internal_hashed`` in its file store; the log takes warnings
and errors only. Prosody runs with ``-F`` (in the foreground) as our child; as
root, as the ``prosody`` user (Prosody refuses root unless told ``run_as_root``).
"""

from __future__ import annotations

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

VERSION_FILE = Path("/usr/lib/prosody/prosody.version")
CONFIG_FILE = "prosody.cfg.lua"
MODULES = ("saslauth", "register")
#: Loaded by Prosody on its own; s2s is of no use on one host and would listen.
DISABLED = ("s2s", "s2s_auth_certs")


def lua_string(text: str) -> str:
    """A Lua string literal of ``text``; a line break or NUL (nothing a path of ours holds) is refused."""
    if any(c in text for c in "\n\r\0"):
        raise ValueError("a Prosody setting cannot hold a line break or a NUL")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lua_list(items: tuple[str, ...]) -> str:
    return "{ " + "; ".join(lua_string(i) for i in items) + "; }"


def render_config(folder: Path, port: int, cert: Path, key: Path) -> str:
    """The whole prosody.cfg.lua of one instance: everything it reads or writes lies in ``folder``."""
    lines = [
        "-- One peer-comparison instance of Prosody; nothing here is the system's service.",
        f"data_path = {lua_string(str(folder / 'data'))}",
        "plugin_paths = { }",
        f"modules_enabled = {_lua_list(MODULES)}",
        f"modules_disabled = {_lua_list(DISABLED)}",
        "allow_registration = true",
        'authentication = "internal_hashed"',
        'storage = "internal"',
        'interfaces = { "127.0.0.1" }',
        "c2s_ports = { }",
        f"c2s_direct_tls_ports = {{ {int(port)} }}",
        "s2s_ports = { }",
        f"certificates = {lua_string(str(folder / 'certs'))}",
        "ssl = {",
        f"    certificate = {lua_string(str(cert))};",
        f"    key = {lua_string(str(key))};",
        '    protocol = "tlsv1_3";',
        "}",
        f"log = {{ warn = {lua_string(str(folder / 'prosody.log'))}; }}",
        f"VirtualHost {lua_string(DOMAIN)}",
    ]
    return "\n".join(lines) + "\n"


def version() -> str | None:
    """Prosody's version as installed (``0.12.3``), None when it is not."""
    if shutil.which("prosody") is None:
        return None
    try:
        return VERSION_FILE.read_text().strip() or "?"
    except OSError:
        return "?"


class ProsodyInstance(PeerServer):
    @classmethod
    def start(cls, folder: Path) -> ProsodyInstance:
        """Prosody in ``folder`` (empty, made by the caller), serving; :class:`PeerError` if it cannot."""
        binary = shutil.which("prosody")
        if binary is None:
            raise PeerError("prosody is not installed: apt-get install prosody")
        user = service_user("prosody")
        (folder / "data").mkdir()
        (folder / "certs").mkdir()
        certificate = self_signed(folder / "certs")
        port = free_port()
        config = folder / CONFIG_FILE
        config.write_text(render_config(folder, port, certificate.cert, certificate.key), encoding="utf-8")
        give_folder(folder, user)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(folder), "LC_ALL": "C"}
        child = ServerChild(
            "prosody",
            [binary, "-F", "--config", str(config)],
            folder=folder,
            env=env,
            user=user,
            address=("127.0.0.1", port),
            cafile=certificate.cert,
        )
        return cls(child, certificate)

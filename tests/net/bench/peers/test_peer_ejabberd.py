"""ejabberd for the peer comparison: its configuration and VM arguments, and real instances of both variants.

A real instance must accept in-band registration of several accounts from one
address (``registration_timeout: infinity``), log them in and carry messages: the
configuration is checked by ejabberd itself, through a few clients.
"""

from __future__ import annotations

import os
import pwd
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.bench.peers import ejabberd
from net.bench.peers.ejabberd import EjabberdInstance, render_config, vm_arguments
from net.bench.peers.instance import DOMAIN
from net.bench.peers.xmpp_worker import XmppWorker
from net.bench.worker import LoadSpec


def test_the_configuration_is_one_direct_tls_13_listener_with_offline_storage_and_no_archive() -> None:
    config = render_config(45124, Path("/tmp/parley-peers-x/certs/server.pem"))
    lines = config.splitlines()
    assert "  - port: 45124" in lines and '    ip: "127.0.0.1"' in lines
    assert "    module: ejabberd_c2s" in lines and "    tls: true" in lines
    assert '    protocol_options: ["no_sslv3", "no_tlsv1", "no_tlsv1_1", "no_tlsv1_2"]' in lines
    assert config.count("port:") == 1  # no s2s, HTTP, STUN or MQTT listener
    assert "    shaper: none" in lines
    assert 'certfiles: ["/tmp/parley-peers-x/certs/server.pem"]' in lines
    assert "registration_timeout: infinity" in lines
    assert "auth_password_format: plain" in lines  # ejabberd's default; scram's login burst inflates RSS
    assert "  mod_offline:" in lines and "  mod_register:" in lines
    modules = lines[lines.index("modules:") + 1 :]
    assert [m.strip() for m in modules if m.startswith("  mod_")] == ["mod_register:", "mod_offline:"]
    assert "mod_mam" not in config and "mod_stream_mgmt" not in config and "mod_carbons" not in config
    assert "loglevel: warning" in lines


def test_the_vm_gets_the_shipped_flags_and_the_variant_its_schedulers_flags(tmp_path: Path) -> None:
    shipped = vm_arguments(tmp_path, busy_wait=True)
    assert shipped[:5] == ["/usr/bin/erl", "+K", "true", "+P", "250000"]
    assert "+sbwt" not in shipped and "-sname" not in shipped and "-name" not in shipped  # no distribution
    assert shipped[-5:] == ["-mnesia", "dir", f'"{tmp_path}/spool"', "-s", "ejabberd"]
    quiet = vm_arguments(tmp_path, busy_wait=False)
    assert quiet[5:11] == ["+sbwt", "none", "+sbwtdcpu", "none", "+sbwtdio", "none"]
    with pytest.raises(ValueError, match="quotes"):
        vm_arguments(tmp_path / 'a"b', busy_wait=True)
    env = ejabberd.environment(tmp_path)
    assert env["EJABBERD_CONFIG_PATH"] == str(tmp_path / "ejabberd.yml")
    assert env["ERL_MAX_PORTS"] == "32000" and env["HOME"] == str(tmp_path)


@pytest.fixture
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="parley-peers-test-") as name:
        yield Path(name)


def _epmd_pids() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "epmd":
                found.add(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.parametrize("busy_wait", [True, False])
def test_a_real_ejabberd_registers_logs_in_and_carries_messages(folder: Path, busy_wait: bool) -> None:
    assert ejabberd.version() == "23.01"
    epmd_before = _epmd_pids()
    server = EjabberdInstance.start(folder, busy_wait=busy_wait)
    worker = XmppWorker()
    try:
        command = Path(f"/proc/{server.pid}/cmdline").read_bytes().split(b"\0")
        # erlexec hands the VM its "+" flags as "-" flags.
        assert (b"-sbwt" in command) is not busy_wait
        if not busy_wait:
            assert command[command.index(b"-sbwt") + 1] == b"none"
        status = Path(f"/proc/{server.pid}/status").read_text()
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        assert uid == (pwd.getpwnam("ejabberd").pw_uid if os.geteuid() == 0 else os.geteuid())
        setup = worker.setup(server.address, DOMAIN, server.accounts(4), True, str(server.cafile), 64)
        assert setup["clients"] == 4
        spec = LoadSpec(
            rate=100, window=1, size=64, start_at=time.monotonic() + 0.1, warmup=0.2, duration=0.5,
            drain_timeout=10,
        )  # fmt: skip
        answer = worker.load(spec)
        assert answer["sent"] > 50 and answer["received"] == answer["sent"]
        assert answer["lost"] == answer["duplicated"] == answer["undecryptable"] == 0 and answer["drained"]
        assert server.sample() is not None
    finally:
        worker.close()
        server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    assert _epmd_pids() <= epmd_before  # no Erlang port mapper was started and left behind

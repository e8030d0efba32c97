"""Prosody for the peer comparison: the configuration it is given, and a real instance that starts and stops.

The configuration is read back by Lua itself (Prosody's configuration is Lua), so
what is checked is what Prosody will see.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from net.bench.peers import prosody
from net.bench.peers.instance import tls_answers
from net.bench.peers.prosody import ProsodyInstance, lua_string, render_config

#: Runs a Prosody configuration in Lua and prints its settings (and the VirtualHost) as JSON.
_READ_BACK = r"""
local settings, hosts = {}, {}
local env = setmetatable({ VirtualHost = function(name) hosts[#hosts + 1] = name end }, {
  __newindex = function(_, k, v) settings[k] = v end,
})
local chunk = assert(loadfile(arg[1], "t", env))
chunk()
local function json(v)
  if type(v) == "table" then
    local parts, list = {}, #v > 0 or next(v) == nil
    for k, item in pairs(v) do
      parts[#parts + 1] = list and json(item) or string.format("%q:%s", k, json(item))
    end
    if list then return "[" .. table.concat(parts, ",") .. "]" end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif type(v) == "string" then return string.format("%q", v)
  else return tostring(v) end
end
settings.hosts = hosts
print(json(settings))
"""


def _read_back(config: str, tmp_path: Path) -> dict[str, object]:
    (tmp_path / "read.lua").write_text(_READ_BACK)
    (tmp_path / "prosody.cfg.lua").write_text(config)
    done = subprocess.run(
        ["lua5.4", str(tmp_path / "read.lua"), str(tmp_path / "prosody.cfg.lua")],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    settings: dict[str, object] = json.loads(done.stdout)
    return settings


def test_the_configuration_is_direct_tls_13_on_loopback_with_offline_storage_and_no_archive(
    tmp_path: Path,
) -> None:
    folder = Path("/tmp/parley-peers-x")
    config = render_config(folder, 45123, folder / "certs/cert.pem", folder / "certs/key.pem")
    settings = _read_back(config, tmp_path)
    assert settings["c2s_direct_tls_ports"] == [45123]
    assert settings["c2s_ports"] == [] and settings["s2s_ports"] == []
    assert settings["interfaces"] == ["127.0.0.1"]
    assert settings["ssl"] == {
        "certificate": "/tmp/parley-peers-x/certs/cert.pem",
        "key": "/tmp/parley-peers-x/certs/key.pem",
        "protocol": "tlsv1_3",
    }
    assert settings["modules_enabled"] == ["saslauth", "register"]
    assert settings["modules_disabled"] == ["s2s", "s2s_auth_certs"]  # offline stays: Prosody loads it
    for absent in ("mam", "limits", "smacks", "carbons", "http"):  # archives off, nothing throttled
        assert absent not in settings["modules_enabled"]  # type: ignore[operator]
    assert settings["allow_registration"] is True
    assert settings["data_path"] == "/tmp/parley-peers-x/data"
    assert settings["log"] == {"warn": "/tmp/parley-peers-x/prosody.log"}
    assert settings["hosts"] == ["localhost"]
    assert "run_as_root" not in settings


def test_lua_strings_are_quoted_and_line_breaks_refused(tmp_path: Path) -> None:
    tricky = 'a "quoted" \\ path'
    settings = _read_back(f"x = {lua_string(tricky)}\n", tmp_path)
    assert settings["x"] == tricky
    with pytest.raises(ValueError, match="line break"):
        lua_string("a\nb = 1")


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder in the system's temporary directory (which the prosody user may reach), as the runs use."""
    with tempfile.TemporaryDirectory(prefix="parley-peers-test-") as name:
        yield Path(name)


def test_a_real_prosody_starts_on_its_port_as_its_user_and_stops(folder: Path) -> None:
    assert prosody.version() == "0.12.3"
    server = ProsodyInstance.start(folder)
    try:
        assert tls_answers(server.address, server.cafile)
        status = Path(f"/proc/{server.pid}/status").read_text()
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        assert uid == (pwd.getpwnam("prosody").pw_uid if os.geteuid() == 0 else os.geteuid())
        sample = server.sample()
        assert sample is not None and 5 * 2**20 < sample.peak_rss < 200 * 2**20
        assert (folder / "prosody.cfg.lua").exists() and (folder / "data").is_dir()
    finally:
        server.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(server.pid, 0)
    assert not tls_answers(server.address, server.cafile)

"""``python main.py``: bad input gets a sentence and a non-zero status, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MAIN_PY = Path(__file__).resolve().parent.parent / "main.py"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MAIN_PY), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("nonsense",), "invalid choice: 'nonsense'"),
        (("server", "--port", "abc"), "--port"),
        (("server", "--port", "99999"), "--port"),
        (("server", "--host", "192.0.2.1", "--dev-codes", "--port", "0"), "loopback"),
        (("server", "--verification", "pigeon"), "--verification"),
        (("bench", "--clients", "-1"), "--clients"),
        (("bench", "--clients", "abc"), "--clients"),
        (("--frobnicate",), "unrecognized arguments"),
    ],
)
def test_bad_input_gets_a_sentence_not_a_traceback(args: tuple[str, ...], said: str) -> None:
    done = _run(*args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    assert said in done.stderr


def test_the_app_without_a_display_says_so_in_a_sentence(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(
        HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "cfg")
    )
    done = _run(env=env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "needs a graphical display" in done.stderr


def test_help_lists_the_commands() -> None:
    done = _run("--help")
    assert done.returncode == 0
    assert "server" in done.stdout and "bench" in done.stdout and "export" in done.stdout


def test_a_single_server_imports_neither_the_postgresql_driver_nor_the_redis_client(tmp_path: Path) -> None:
    """What the README says: one SQLite node needs neither; only `--store`/`--bus` import them."""
    script = (
        "import runpy, sys\n"
        "sys.argv = ['main.py', 'server', '--help']\n"
        "try:\n"
        "    runpy.run_path('main.py', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        "import net.server.server\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('psycopg', 'redis')}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=MAIN_PY.parent,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"

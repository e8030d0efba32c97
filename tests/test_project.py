"""Project-level checks: CI runs the README's command, and the code stays clean for ruff and mypy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mypy.main import define_options, process_options
from mypy.options import PER_MODULE_OPTIONS, Options

ROOT = Path(__file__).resolve().parent.parent


def _readme_test_command() -> str:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line for line in lines if "pytest" in line and line.startswith("python")]
    assert len(commands) == 1, "the README must show exactly one test command"
    return commands[0]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _readme_test_command() in ci


def test_ruff_is_clean() -> None:
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    result = subprocess.run(
        [ruff, "check", "--no-cache", str(ROOT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean(tmp_path: Path) -> None:
    # Exactly as configured in pyproject.toml; a fresh cache costs about two seconds and
    # cannot carry a stale verdict over from an earlier run.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy_cache")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _mypy_options_for(module: str, monkeypatch: pytest.MonkeyPatch) -> Options:
    monkeypatch.chdir(ROOT)
    # mypy records where its configuration lives in the environment; monkeypatch undoes it.
    monkeypatch.setenv("MYPY_CONFIG_FILE_DIR", str(ROOT))
    _, options = process_options(["--config-file", str(ROOT / "pyproject.toml")])
    return options.clone_for_module(module)


def _strict_flags() -> list[tuple[str, bool]]:
    # The flags --strict sets, as mypy itself lists them, that a module's section can set.
    _, _, assignments = define_options()
    return [(flag, value) for flag, value in assignments if flag in PER_MODULE_OPTIONS]


@pytest.mark.parametrize(
    "module", ["crypto_core.ratchet", "net.client.messenger", "net.bench.worker", "storage.profile.profile"]
)
def test_mypy_is_strict_below_the_gui(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    options = _mypy_options_for(module, monkeypatch)
    assert [(flag, getattr(options, flag)) for flag, _ in _strict_flags()] == _strict_flags()


@pytest.mark.parametrize("module", ["gui.app", "main"])
def test_mypy_is_plain_on_the_gui_and_main(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    options = _mypy_options_for(module, monkeypatch)
    assert not [flag for flag, value in _strict_flags() if getattr(options, flag) == value]

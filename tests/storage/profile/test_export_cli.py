"""``python main.py export`` in a subprocess on a real profile: files written, every failure in one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
MAIN_PY = Path(__file__).resolve().parents[3] / "main.py"
ALICE = "+15550001111"
BOB = "+447700900123"


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("cli-profiles")
    with ProfileDirectory(root, kdf_params=FAST).create("Holiday phone", "pass phrase") as profile:
        profile.contacts.add(ALICE, "Alice")
        profile.contacts.add(BOB, "Bob")
        for i in range(5):
            profile.history.add(
                ALICE, client_id=f"a{i}", outgoing=i % 2 == 0, text=f"to alice {i}", timestamp=100 + i
            )
        profile.history.add(BOB, client_id="b0", outgoing=False, text="from bob <3", timestamp=50)
        profile_id = profile.profile_id
    return root, profile_id


def _run(*args: str, passphrase: str | None = "pass phrase", tmp: Path) -> subprocess.CompletedProcess[str]:
    extra: list[str] = []
    if passphrase is not None:
        secret = tmp / "passphrase.txt"
        secret.write_text(passphrase + "\n", encoding="utf-8")
        extra = ["--passphrase-file", str(secret)]
    return subprocess.run(
        [sys.executable, str(MAIN_PY), *args, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def test_html_export_by_name_writes_the_pages_warns_and_shows_progress(
    profiles: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = profiles
    out = tmp_path / "export"
    done = _run(
        "export",
        "--profiles",
        str(root),
        "--profile",
        "holiday PHONE",
        "--format",
        "html",
        "--out",
        str(out),
        "--theme",
        "dark",
        tmp=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"exported 2 conversations, 6 messages, to {out}"
    lines = done.stderr.splitlines()
    assert (
        lines[0]
        == f"warning: the export is not encrypted: anyone who can read {out} can read these conversations "
        "and open their pictures and files"
    )
    assert lines[1:] == [f"exporting: {n} of 2 conversations" for n in range(3)]
    names = sorted(path.name for path in out.iterdir())
    assert len(names) == 3 and "index.html" in names
    assert any(name.startswith("alice-") for name in names) and any(name.startswith("bob-") for name in names)
    bob_page = next((out / name).read_text(encoding="utf-8") for name in names if name.startswith("bob-"))
    assert "from bob &lt;3" in bob_page and "#15171a" in bob_page


def test_json_export_of_one_conversation_by_id_with_the_top_level_profiles_option(
    profiles: tuple[Path, str], tmp_path: Path
) -> None:
    root, profile_id = profiles
    out = tmp_path / "export"
    done = _run(
        "--profiles",
        str(root),
        "export",
        "--profile",
        profile_id,
        "--format",
        "json",
        "--out",
        str(out),
        "--conversation",
        "+1 555 000 1111",
        tmp=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "conversations.json").read_text(encoding="utf-8"))
    (conversation,) = data["conversations"]
    assert conversation["contact"] == {"phone": ALICE, "name": "Alice"}
    assert [m["text"] for m in conversation["messages"]] == [f"to alice {i}" for i in range(5)]


def _failed(done: subprocess.CompletedProcess[str], said: str) -> None:
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.splitlines()[-1] == f"parley export: {said}"


def test_a_wrong_passphrase_is_one_line_and_writes_nothing(
    profiles: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = profiles
    out = tmp_path / "export"
    done = _run(
        "export",
        "--profiles",
        str(root),
        "--profile",
        "Holiday phone",
        "--format",
        "json",
        "--out",
        str(out),
        passphrase="not it",
        tmp=tmp_path,
    )
    _failed(done, "wrong passphrase for the profile 'Holiday phone'")
    assert not out.exists()


def test_an_unknown_profile_is_one_line(profiles: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = profiles
    done = _run(
        "export",
        "--profiles",
        str(root),
        "--profile",
        "Work",
        "--format",
        "html",
        "--out",
        str(tmp_path / "x"),
        tmp=tmp_path,
    )
    _failed(done, f"no profile 'Work' in {root}")


def test_a_folder_that_is_not_empty_is_refused_before_the_passphrase(
    profiles: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = profiles
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    done = _run(
        "export",
        "--profiles",
        str(root),
        "--profile",
        "Holiday phone",
        "--format",
        "html",
        "--out",
        str(out),
        passphrase=None,
        tmp=tmp_path,
    )
    _failed(done, "the folder full is not empty; name a new or empty folder for the export")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_without_a_terminal_or_a_passphrase_file_it_says_what_to_do(
    profiles: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = profiles
    done = _run(
        "export",
        "--profiles",
        str(root),
        "--profile",
        "Holiday phone",
        "--format",
        "json",
        "--out",
        str(tmp_path / "x"),
        passphrase=None,
        tmp=tmp_path,
    )
    _failed(done, "there is no terminal to ask the passphrase on; give --passphrase-file")


def test_an_unknown_conversation_is_one_line(profiles: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = profiles
    done = _run(
        "export",
        "--profiles",
        str(root),
        "--profile",
        "Holiday phone",
        "--format",
        "json",
        "--out",
        str(tmp_path / "x"),
        "--conversation",
        "+15550002222",
        tmp=tmp_path,
    )
    _failed(done, "there is no conversation with +15550002222 in this profile")
    assert not (tmp_path / "x").exists()


def test_bad_arguments_are_argparse_sentences(tmp_path: Path) -> None:
    done = _run(
        "export", "--profile", "x", "--format", "pdf", "--out", str(tmp_path), passphrase=None, tmp=tmp_path
    )
    assert done.returncode == 2 and "--format" in done.stderr and "Traceback" not in done.stderr

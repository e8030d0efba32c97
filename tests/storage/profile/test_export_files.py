"""An export's pictures and files: decrypted into files/, named safely and uniquely, linked from the pages."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_core.encoding import b64encode
from crypto_core.sealing import KdfParams
from crypto_core.stream import encrypt_file
from storage.profile.directory import ProfileDirectory
from storage.profile.export import export_html, export_json, file_stem
from storage.profile.export_files import safe_name
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
BOB = "+447700900123"
PICTURE = hashlib.shake_256(b"picture").digest(90_000)
DOCUMENT = hashlib.shake_256(b"document").digest(200_000)


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path / "profiles", kdf_params=FAST).create("Me", "pw")
    profile.contacts.add(BOB, "Bob")
    yield profile
    profile.close()


def _file(profile: Profile, client_id: str, name: str, plain: bytes, mime: str, state: str = "done") -> str:
    store = profile.attachments
    file = store.new_name()
    key = hashlib.sha256(client_id.encode()).digest()
    spec = {"name": name, "size": len(plain), "type": mime, "key": b64encode(key)}
    if mime.startswith("image/"):
        spec.update(w=1200, h=800)
    with profile.transaction():
        message = profile.history.add(BOB, client_id=client_id, outgoing=False, text="", timestamp=5.0)
        store.add(message.local_id, spec, state, file=file)
    if state == "done":
        with store.sealed(file).open("wb") as out:
            encrypt_file(key, io.BytesIO(plain), out)
    return file


def _with_files(profile: Profile) -> None:
    _file(profile, "pic", "lake.png", PICTURE, "image/png")
    _file(profile, "doc", "../minutes.pdf", DOCUMENT, "application/pdf")
    _file(profile, "again", "Minutes.pdf", b"second", "application/pdf")
    _file(profile, "away", "later.zip", b"", "application/zip", state="waiting")
    profile.history.add(BOB, client_id="t", outgoing=True, text="see the files", timestamp=6.0)


def test_the_json_export_writes_the_files_and_names_them(profile: Profile, tmp_path: Path) -> None:
    _with_files(profile)
    result = export_json(profile, tmp_path / "out")
    out = tmp_path / "out"
    assert (out / "files" / "lake.png").read_bytes() == PICTURE
    assert (out / "files" / "minutes.pdf").read_bytes() == DOCUMENT
    assert (out / "files" / "Minutes-2.pdf").read_bytes() == b"second"  # unique, whatever the case
    assert sorted(result.files) == sorted(
        ["conversations.json", "files/lake.png", "files/minutes.pdf", "files/Minutes-2.pdf"]
    )
    messages = json.loads((out / "conversations.json").read_text(encoding="utf-8"))["conversations"][0][
        "messages"
    ]
    files = {m["id"]: m.get("file") for m in messages}
    assert files["pic"] == {
        "name": "lake.png",
        "type": "image/png",
        "size": len(PICTURE),
        "path": "files/lake.png",
    }
    assert files["doc"]["path"] == "files/minutes.pdf" and files["doc"]["name"] == "../minutes.pdf"
    assert files["away"] == {
        "name": "later.zip",
        "type": "application/zip",
        "size": 0,
        "missing": "not here: it was not downloaded on this computer",
    }
    assert files["t"] is None
    assert (out / "files").stat().st_mode & 0o777 == 0o700


def test_the_html_export_links_the_files_and_shows_pictures_inline(profile: Profile, tmp_path: Path) -> None:
    _with_files(profile)
    export_html(profile, tmp_path / "out", contact=BOB)
    page = (tmp_path / "out" / f"{file_stem('Bob', BOB)}.html").read_text(encoding="utf-8")
    assert (
        '<a href="files/lake.png"><img src="files/lake.png" alt="lake.png" width="320" height="213"></a>'
        in page
    )
    assert '<a href="files/minutes.pdf">../minutes.pdf</a> · 195.3 KiB' in page
    assert "later.zip · not here" in page
    assert "img-src 'self' file:" in page and "default-src 'none'" in page
    assert "pictures and files too" in page
    assert (tmp_path / "out" / "files" / "lake.png").read_bytes() == PICTURE


def test_a_page_without_pictures_still_loads_nothing(profile: Profile, tmp_path: Path) -> None:
    _file(profile, "doc", "a.pdf", DOCUMENT, "application/pdf")
    export_html(profile, tmp_path / "out", contact=BOB)
    page = (tmp_path / "out" / f"{file_stem('Bob', BOB)}.html").read_text(encoding="utf-8")
    assert "<img" not in page and "img-src" not in page and 'href="files/a.pdf"' in page


def test_a_damaged_copy_costs_only_itself(profile: Profile, tmp_path: Path) -> None:
    damaged = _file(profile, "bad", "bad.bin", DOCUMENT, "application/octet-stream")
    _file(profile, "good", "good.bin", b"fine", "application/octet-stream")
    sealed = profile.attachments.sealed(damaged)
    data = bytearray(sealed.read_bytes())
    data[-5] ^= 1
    sealed.write_bytes(bytes(data))
    result = export_json(profile, tmp_path / "out")
    assert (tmp_path / "out" / "files" / "good.bin").read_bytes() == b"fine"
    assert not (tmp_path / "out" / "files" / "bad.bin").exists() and "files/bad.bin" not in result.files
    messages = json.loads((tmp_path / "out" / "conversations.json").read_text(encoding="utf-8"))
    (bad,) = [m for m in messages["conversations"][0]["messages"] if m["id"] == "bad"]
    assert bad["file"]["missing"] == "it could not be exported: its copy here is damaged"


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("lake.jpg", "lake.jpg"),
        ("../../etc/passwd", "etc-passwd"),
        (".hidden", "hidden"),
        ("CON", "file-CON"),
        ("nul.txt", "file-nul.txt"),
        ("a b\u202ec.txt", "a-b-c.txt"),
        ("x" * 300 + ".jpeg", "x" * 75 + ".jpeg"),
        ("", "file"),
    ],
)
def test_names_are_made_safe(name: str, safe: str) -> None:
    assert safe_name(name) == safe

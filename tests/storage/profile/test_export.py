"""Exports: every message of every conversation, in order, as JSON or HTML pages; a failure or a full disk
leaves no folder (the folder itself is tested in test_export_folder.py)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from disk_support import SmallDisk

from crypto_core.sealing import KdfParams
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DiskFull
from storage.profile.export import (
    DARK,
    JSON_FILE,
    LIGHT,
    ExportDiskFull,
    ExportError,
    export_html,
    export_json,
    file_stem,
)
from storage.profile.history import GroupChat, Page
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ME = "+15550009999"
ALICE = "+15550001111"
SAMI = "+972501234567"
NOW = 1_764_075_780.0  # 2025-11-25 13:03 UTC
ALICE_MESSAGES = 450  # more than two pages of the export's paging


def _fill(profile: Profile) -> None:
    profile.account.save(Account(phone=ME, server="127.0.0.1:5000", registered=True))
    profile.contacts.add(ALICE, "Alice <script>alert(1)</script>")
    profile.contacts.add(SAMI, "../../CON שלום")
    with profile.transaction():
        for i in range(ALICE_MESSAGES):
            profile.history.add(
                ALICE,
                client_id=f"a{i}",
                outgoing=i % 3 == 0,
                text=f"message {i} & <b>bold</b> \"quoted\" 'single' 👋",
                timestamp=NOW + 60 * i + 0.123,
                status="delivered" if i % 3 == 0 else None,
                meta={} if i % 3 == 0 else {"sent": int((NOW + 60 * i) * 1000) - 700},
            )
        profile.history.add(SAMI, client_id="s1", outgoing=False, text="مرحبا بالعالم", timestamp=NOW + 5)
        profile.history.add(SAMI, client_id="s2", outgoing=True, text="שלום עולם", timestamp=NOW + 9)


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path_factory.mktemp("export-profile"), kdf_params=FAST).create("Me", "pw")
    _fill(profile)
    yield profile
    profile.close()


def _clock() -> float:
    return NOW + 100_000


def test_json_holds_every_message_oldest_first_with_the_documented_fields(
    profile: Profile, tmp_path: Path
) -> None:
    heard: list[tuple[int, int]] = []
    result = export_json(profile, tmp_path / "out", clock=_clock, progress=lambda d, t: heard.append((d, t)))
    assert (result.conversations, result.messages, result.files) == (2, ALICE_MESSAGES + 2, (JSON_FILE,))
    assert heard == [(0, 2), (1, 2), (2, 2)]
    data = json.loads((tmp_path / "out" / JSON_FILE).read_text(encoding="utf-8"))
    assert list(data) == [
        "format",
        "schema_version",
        "exported_at",
        "exported_at_ms",
        "account",
        "conversations",
    ]
    assert (data["format"], data["schema_version"], data["account"]) == ("parley-export", 1, {"phone": ME})
    assert data["exported_at"] == "2025-11-26T16:49:40.000Z" and data["exported_at_ms"] == int(
        _clock() * 1000
    )
    # Newest conversation first, as the app lists them: Sami's last message is older than Alice's.
    alice, sami = data["conversations"]
    assert alice["contact"] == {"phone": ALICE, "name": "Alice <script>alert(1)</script>"}
    assert alice["message_count"] == len(alice["messages"]) == ALICE_MESSAGES
    assert [m["id"] for m in alice["messages"]] == [f"a{i}" for i in range(ALICE_MESSAGES)]
    first, second = alice["messages"][:2]
    assert first == {
        "id": "a0",
        "direction": "outgoing",
        "time": "2025-11-25T13:03:00.123Z",
        "time_ms": 1_764_075_780_123,
        "status": "delivered",
        "text": "message 0 & <b>bold</b> \"quoted\" 'single' 👋",
    }
    assert (second["direction"], second["status"]) == ("incoming", "received")
    assert (second["sent_at"], second["sent_at_ms"]) == ("2025-11-25T13:03:59.300Z", 1_764_075_839_300)
    for message in alice["messages"]:
        moment = datetime.strptime(message["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
        assert round(moment.timestamp() * 1000) == message["time_ms"]
    assert [m["text"] for m in sami["messages"]] == ["مرحبا بالعالم", "שלום עולם"]


def test_json_of_one_conversation_takes_the_number_as_typed(profile: Profile, tmp_path: Path) -> None:
    result = export_json(profile, tmp_path / "out", contact="+972 50-123-4567")
    data = json.loads((tmp_path / "out" / JSON_FILE).read_text(encoding="utf-8"))
    assert result.conversations == 1 and [c["contact"]["phone"] for c in data["conversations"]] == [SAMI]


def _pages(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in folder.iterdir()}


def test_html_has_a_page_per_conversation_and_an_index_linking_them(profile: Profile, tmp_path: Path) -> None:
    result = export_html(profile, tmp_path / "out", clock=_clock)
    pages = _pages(tmp_path / "out")
    alice_file, sami_file = (
        f"{file_stem('Alice <script>alert(1)</script>', ALICE)}.html",
        f"{file_stem('x', SAMI)}",
    )
    assert alice_file.startswith("alice-script-alert-1-script-") and alice_file in pages
    assert set(pages) == set(result.files) and len(pages) == 3 and "index.html" in pages
    for name in pages:
        assert re.fullmatch(r"[\w-]+\.html", name), name
        assert ".." not in name and "/" not in name
    assert any(name.startswith("con-שלום-") for name in pages), sorted(pages)
    assert sami_file.split("-")[-1] in "".join(pages)
    for name in result.files[:-1]:
        assert f'href="{name}"' in pages["index.html"]
    alice_page = pages[alice_file]
    assert alice_page.count('<div class="msg out">') == len(range(0, ALICE_MESSAGES, 3))
    assert alice_page.count('<div class="msg in">') == ALICE_MESSAGES - len(range(0, ALICE_MESSAGES, 3))
    assert (
        alice_page.index("message 0 &amp;")
        < alice_page.index("message 1 &amp;")
        < alice_page.index("message 449")
    )
    assert "✓✓ delivered" in alice_page


def test_html_pages_load_nothing_and_run_nothing(profile: Profile, tmp_path: Path) -> None:
    export_html(profile, tmp_path / "out", palette=DARK)
    for name, page in _pages(tmp_path / "out").items():
        lowered = page.lower()
        assert "<script" not in lowered, name
        for outside in ("http:", "https:", "src=", "url(", "@import", "<link", "<img", "<iframe"):
            assert outside not in lowered, (name, outside)
        assert "default-src 'none'" in page
        assert DARK.background in page and LIGHT.background not in page


def test_html_of_one_conversation_is_one_page_without_an_index(profile: Profile, tmp_path: Path) -> None:
    result = export_html(profile, tmp_path / "out", contact=SAMI)
    assert result.files == (f"{file_stem('../../CON שלום', SAMI)}.html",)
    page = (tmp_path / "out" / result.files[0]).read_text(encoding="utf-8")
    assert '<p class="text" dir="auto">مرحبا بالعالم</p>' in page and "index.html" not in page


def test_an_unknown_conversation_is_refused_before_anything_is_written(
    profile: Profile, tmp_path: Path
) -> None:
    with pytest.raises(ExportError, match=r"no conversation with \+15550004444"):
        export_json(profile, tmp_path / "out", contact="+15550004444")
    assert list(tmp_path.iterdir()) == []


class _FailingSource:
    """The profile, whose history stops reading after the first conversation (as a damaged file can)."""

    def __init__(self, profile: Profile) -> None:
        self.contacts, self.account, self._history = profile.contacts, profile.account, profile.history
        self.timers = profile.timers
        self.history = self
        self._seen: set[str] = set()

    def conversations(self) -> Any:
        return self._history.conversations()

    def page(self, contact: str, **kwargs: Any) -> Page:
        self._seen.add(contact)
        if len(self._seen) > 1:
            raise ExportError("the history cannot be read")
        return self._history.page(contact, **kwargs)


@pytest.mark.parametrize("write", [export_html, export_json])
def test_a_failure_midway_leaves_no_folder_at_all(profile: Profile, tmp_path: Path, write: Any) -> None:
    with pytest.raises(ExportError, match="cannot be read"):
        write(_FailingSource(profile), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_says_so_leaves_nothing_and_a_smaller_export_then_fits(tmp_path: Path) -> None:
    profile = ProfileDirectory(tmp_path / "profiles", kdf_params=FAST).create("Me", "pw")
    try:
        with profile.transaction():
            for i in range(1500):  # about 9 MiB of text, more than the 8 MiB disk
                text = os.urandom(3000).hex()
                profile.history.add(ALICE, client_id=f"b{i}", outgoing=True, text=text, timestamp=i)
            profile.history.add(SAMI, client_id="s", outgoing=False, text="short", timestamp=5)
        with SmallDisk(tmp_path / "disk") as disk:
            assert disk.mounted, "this test needs a tmpfs (root)"
            with pytest.raises(ExportDiskFull) as raised:
                export_json(profile, disk.root / "out")
            assert isinstance(raised.value, DiskFull)
            assert "no room on the disk for the export out: nothing of it was kept" in str(raised.value)
            assert list(disk.root.iterdir()) == []
            assert export_json(profile, disk.root / "out", contact=SAMI).messages == 1
    finally:
        profile.close()


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Alice", "alice"),
        ("../../etc/passwd", "etc-passwd"),
        ('a<b>c:d"e|f?g*h\\i', "a-b-c-d-e-f-g-h-i"),
        ("   ", "conversation"),
        ("😀😀", "conversation"),
        ("Ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
        ("x" * 90, "x" * 40),
    ],
)
def test_file_names_are_safe_on_every_file_system_and_keep_a_short_id(name: str, stem: str) -> None:
    assert file_stem(name, ALICE) == f"{stem}-{file_stem('', ALICE).split('-')[-1]}"
    assert file_stem(name, ALICE) != file_stem(name, SAMI)


def test_a_group_conversation_is_left_out_of_an_export(tmp_path: Path) -> None:
    profile = ProfileDirectory(tmp_path / "profiles", kdf_params=FAST).create("Me", "pw")
    try:
        profile.history.add(ALICE, client_id="a1", outgoing=False, text="one to one", timestamp=NOW)
        profile.groups.upsert("uv_A6i_cl0qh2ZfdY0PtAQ", "member")
        chat = GroupChat("uv_A6i_cl0qh2ZfdY0PtAQ")
        profile.history.add(
            chat, client_id="g1", outgoing=False, text="in the group", timestamp=NOW + 1, sender=ALICE
        )
        export_json(profile, tmp_path / "json", clock=_clock)
        document = json.loads((tmp_path / "json" / JSON_FILE).read_text(encoding="utf-8"))
        assert [c["contact"]["phone"] for c in document["conversations"]] == [ALICE]
        assert "in the group" not in (tmp_path / "json" / JSON_FILE).read_text(encoding="utf-8")
    finally:
        profile.close()


def test_a_disappearing_message_whose_time_is_up_is_in_no_export(tmp_path: Path) -> None:
    profile = ProfileDirectory(tmp_path / "p", kdf_params=FAST).create("Me", "pw")
    try:
        profile.account.save(Account(phone=ME, registered=True))
        profile.contacts.add(ALICE, "Alice")
        history, timers = profile.history, profile.timers
        due = history.add(ALICE, client_id="due", outgoing=True, text="gone by now", timestamp=NOW)
        later = history.add(ALICE, client_id="later", outgoing=False, text="not yet", timestamp=NOW + 1)
        unread = history.add(ALICE, client_id="unread", outgoing=False, text="not started", timestamp=NOW + 2)
        history.add(ALICE, client_id="plain", outgoing=False, text="no timer", timestamp=NOW + 3)
        timers.set_message(due.local_id, 300, int((NOW + 300) * 1000))
        timers.set_message(later.local_id, 86400, int((NOW + 86400) * 1000))
        timers.set_message(unread.local_id, 300)
        now = lambda: NOW + 301  # noqa: E731 - the export's clock
        result = export_json(profile, tmp_path / "json", clock=now)
        data = json.loads((tmp_path / "json" / JSON_FILE).read_text(encoding="utf-8"))
        (conversation,) = data["conversations"]
        assert [m["id"] for m in conversation["messages"]] == ["later", "unread", "plain"]
        assert result.messages == conversation["message_count"] == 3
        export_html(profile, tmp_path / "html", clock=now)
        pages = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "html").rglob("*.html"))
        assert "gone by now" not in pages and "not yet" in pages
    finally:
        profile.close()

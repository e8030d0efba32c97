"""The messages table as the history reads it: the page query's index, rows as messages, damaged rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.errors import DecryptionError
from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.errors import DamagedValue
from storage.profile.history import History
from storage.profile.history_rows import message
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE = "+15550001111"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def _damage(profile: Profile, where: str) -> None:
    raw.execute(profile.folder, "pw", f"UPDATE messages SET meta = 'not json' WHERE {where}")


def test_the_page_query_walks_the_conversations_time_index(profile: Profile) -> None:
    plan = profile._vault.conn.execute(
        "EXPLAIN QUERY PLAN " + History.PAGE_QUERY, (ALICE, 2**62, 2**62, 50)
    ).fetchall()
    details = " | ".join(row[-1] for row in plan)
    assert "USING INDEX messages_by_time" in details or "USING COVERING INDEX messages_by_time" in details
    assert "SCAN" not in details and "TEMP B-TREE" not in details


def test_a_row_reads_as_a_message_and_one_that_is_no_message_is_damage() -> None:
    row = (7, ALICE, "c1", 1, 1500, "sent", "hi", "{}", "text", "", "", None)
    read = message(row)
    assert (read.local_id, read.outgoing, read.timestamp, read.text) == (7, True, 1.5, "hi")
    with pytest.raises(DamagedValue):
        message((7, ALICE, None, 1, 1500, "sent", "hi", "{}", "text", "", "", None))  # no client id
    with pytest.raises(DamagedValue):
        message(
            (7, ALICE, "c1", 1, 1500, "sent", b"bytes", "{}", "text", "", "", None)
        )  # the text is not text


def test_a_row_whose_metadata_is_not_json_is_damage(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="c1", outgoing=False, text="one", timestamp=1.0)
    profile.history.add(ALICE, client_id="c2", outgoing=False, text="two", timestamp=2.0)
    _damage(profile, "client = 'c2'")
    assert [m.text for m in profile.history.page(ALICE).messages] == ["one"]
    assert profile.take_damage() == ["message"]
    with pytest.raises(DecryptionError, match="stored message"):
        profile.history.get(ALICE, "c2", outgoing=False)

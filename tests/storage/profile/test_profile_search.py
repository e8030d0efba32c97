"""Full-text search: any script, part of a word, any case, across conversations, safe from FTS syntax."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crypto_core.sealing import KdfParams
from storage.profile.directory import ProfileDirectory
from storage.profile.profile import Profile

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ALICE, BOB, CAROL = "+15550001111", "+447700900123", "+4915112345678"


@pytest.fixture
def profile(tmp_path: Path) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw")
    texts = [
        (ALICE, "Привет, как дела? Встречаемся завтра"),
        (BOB, "東京で会いましょう、駅の前で"),
        (CAROL, "مرحبا بالعالم، كيف حالك"),
        (ALICE, "party🎉tonight at the Harbour"),
        (BOB, 'he said "NEAR" -minus * star (paren) col:on'),
        (CAROL, "unbelievable UNBELIEVABLE"),
        (ALICE, "ok"),
    ]
    with profile.transaction():
        for i, (contact, text) in enumerate(texts):
            profile.history.add(
                contact, client_id=f"c{i}", outgoing=i % 2 == 0, text=text, timestamp=100.0 + i
            )
    yield profile
    profile.close()


def _found(profile: Profile, text: str) -> list[str]:
    return [hit.message.text for hit in profile.history.search_all(text)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ВСТРЕЧ", "Привет, как дела? Встречаемся завтра"),
        ("会いまし", "東京で会いましょう、駅の前で"),
        ("بالعال", "مرحبا بالعالم، كيف حالك"),
        ("🎉tonight", "party🎉tonight at the Harbour"),
        ("harb", "party🎉tonight at the Harbour"),
        ("东京", None),
    ],
)
def test_any_script_and_part_of_a_word_matches_in_any_case(
    profile: Profile, query: str, expected: str | None
) -> None:
    assert _found(profile, query) == ([] if expected is None else [expected])


def test_hits_come_newest_first_across_conversations_with_their_ranges(profile: Profile) -> None:
    profile.history.add(
        BOB, client_id="late", outgoing=False, text="believable? unbeLIEVable!", timestamp=500.0
    )
    hits = profile.history.search_all("believ")
    assert [(h.contact, h.message.client_id) for h in hits] == [(BOB, "late"), (CAROL, "c5")]
    assert hits[0].ranges == ((0, 6), (14, 20))
    assert hits[1].ranges == ((2, 8), (15, 21))
    text = hits[0].message.text
    assert [text[a:b].casefold() for a, b in hits[0].ranges] == ["believ", "believ"]
    assert "believ" not in repr(hits[0]) and BOB not in repr(hits[0])
    # Paging on from the last hit.
    assert [
        h.message.client_id for h in profile.history.search_all("believ", limit=1, before=hits[0].cursor)
    ] == ["c5"]


@pytest.mark.parametrize(
    "query", ['"', '"NEAR"', "NEAR", "-minus", "* star", "(paren)", "col:on", "AND OR NOT", "*"]
)
def test_fts_syntax_in_the_query_is_searched_for_as_text_and_never_raises(
    profile: Profile, query: str
) -> None:
    found = _found(profile, query)
    assert all(query.casefold() in text.casefold() for text in found)
    if query in ('"NEAR"', "-minus", "(paren)", "col:on", "* star"):
        assert found == ['he said "NEAR" -minus * star (paren) col:on']


def test_queries_too_short_for_trigrams_are_scanned_and_still_exact(profile: Profile) -> None:
    assert _found(profile, "OK") == ["ok"]
    assert _found(profile, "де") == ["Привет, как дела? Встречаемся завтра"]
    assert _found(profile, "駅") == ["東京で会いましょう、駅の前で"]
    assert _found(profile, "🎉") == ["party🎉tonight at the Harbour"]
    with pytest.raises(ValueError, match="text"):
        profile.history.search_all("   ")


def test_the_index_follows_edits_and_deletes_in_the_same_transaction(profile: Profile) -> None:
    assert profile.history.edit(ALICE, "c0", "rewritten entirely", outgoing=True)
    assert _found(profile, "Встреч") == []
    assert _found(profile, "rewritten") == ["rewritten entirely"]
    with pytest.raises(RuntimeError), profile.transaction():
        profile.history.delete(ALICE, "c0", outgoing=True)
        raise RuntimeError("rolled back")
    assert _found(profile, "rewritten") == ["rewritten entirely"]
    assert profile.history.delete(ALICE, "c0", outgoing=True)
    assert _found(profile, "rewritten") == []
    assert not profile.history.edit(ALICE, "c0", "gone", outgoing=True)
    assert profile._vault.conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")


def test_search_in_one_conversation_keeps_to_it(profile: Profile) -> None:
    profile.history.add(BOB, client_id="x", outgoing=False, text="Harbour lights", timestamp=900.0)
    assert [m.text for m in profile.history.search(ALICE, "harbour").messages] == [
        "party🎉tonight at the Harbour"
    ]
    assert [m.text for m in profile.history.search(BOB, "harbour").messages] == ["Harbour lights"]


def test_around_a_hit_loads_its_neighbours_and_cursors_both_ways(tmp_path: Path) -> None:
    with ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw") as profile:
        with profile.transaction():
            for i in range(100):
                profile.history.add(
                    ALICE, client_id=f"m{i}", outgoing=False, text=f"line {i}", timestamp=float(i)
                )
        (hit,) = profile.history.search_all("line 42")
        around = profile.history.around(ALICE, hit.cursor, before=5, after=3)
        assert around is not None and around.anchor.client_id == "m42"
        assert [m.client_id for m in around.messages] == [f"m{i}" for i in range(45, 36, -1)]
        older = profile.history.page(ALICE, before=around.older, limit=2)
        newer = profile.history.page_after(ALICE, after=around.newer, limit=2)  # type: ignore[arg-type]
        assert [m.client_id for m in older.messages] == ["m36", "m35"]
        assert [m.client_id for m in newer.messages] == ["m47", "m46"]
        by_id = profile.history.around(ALICE, "m99", before=2, after=2)
        assert (
            by_id is not None
            and by_id.newer is None
            and [m.client_id for m in by_id.messages] == ["m99", "m98", "m97"]
        )
        first = profile.history.around(ALICE, "m0", before=2, after=1)
        assert first is not None and first.older is None
        assert profile.history.around(ALICE, "nope") is None

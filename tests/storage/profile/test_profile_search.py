"""Full-text search: any script, part of a word, any case, across conversations, safe from FTS syntax,
and a composed accent the same as a decomposed one (in rows stored now and in rows an older version kept)."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from crypto_core.sealing import KdfParams
from storage.profile import search
from storage.profile.directory import ProfileDirectory
from storage.profile.messages import Cursor
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


def test_hits_across_conversations_are_in_time_order_when_messages_arrived_out_of_it(tmp_path: Path) -> None:
    # Row ids follow arrival; search reads the index in row id order, so late arrivals with old
    # times (a backlog after days offline) and early ones with future times must still sort by time.
    rng = random.Random(13)
    with ProfileDirectory(tmp_path, kdf_params=FAST).create("Me", "pw") as profile:
        with profile.transaction():
            for i in range(300):
                late = rng.random() < 0.2
                ts = i * 10.0 + (rng.uniform(-2000, 500) if late else 0)
                text = rng.choice(["a match here", "no", "MATCH again", "nothing"])
                contact = rng.choice([ALICE, BOB, CAROL])
                profile.history.add(contact, client_id=f"m{i}", outgoing=False, text=text, timestamp=ts)
        everything = [
            message
            for contact in (ALICE, BOB, CAROL)
            for message in profile.history.page(contact, limit=1000).messages
            if "match" in message.text.casefold()
        ]
        expected = [m.cursor for m in sorted(everything, key=lambda m: m.cursor, reverse=True)]
        assert len(expected) > 100
        for limit in (1, 3, 50, 500):
            got: list[Cursor] = []
            before = None
            for _ in range(len(expected) + 1):  # bounded: every page but the last brings at least one hit
                page = profile.history.search_all("match", limit=limit, before=before)
                got.extend(hit.cursor for hit in page)
                if len(page) < limit:
                    break
                before = page[-1].cursor
            assert got == expected, limit
        in_alice = [m.cursor for m in profile.history.search(ALICE, "match", limit=1000).messages]
        assert in_alice == [c for c in expected if c in {m.cursor for m in everything if m.contact == ALICE}]


# ------------------------------------------------------------------ canonically equivalent text

_MARKS = ("\u0300", "\u0301", "\u0302", "\u0303", "\u0308", "\u0323", "\u0327", "\u0331")
_letter = st.tuples(
    st.sampled_from("aeiouncAEIOU"), st.lists(st.sampled_from(_MARKS), max_size=2, unique=True)
).map(lambda parts: parts[0] + "".join(parts[1]))
# A Hangul syllable typed as its jamo: leading consonant, vowel, and maybe a trailing consonant.
_syllable = st.tuples(
    st.sampled_from([chr(c) for c in range(0x1100, 0x1113)]),
    st.sampled_from([chr(c) for c in range(0x1161, 0x1176)]),
    st.sampled_from(["", *(chr(c) for c in range(0x11A8, 0x11C3))]),
).map("".join)
_units = st.lists(st.one_of(_letter, _syllable, st.just(" ")), min_size=1, max_size=12)
_FORMS = {
    "as typed": lambda text: text,
    "NFC": lambda text: unicodedata.normalize("NFC", text),
    "NFD": lambda text: unicodedata.normalize("NFD", text),
}
_examples = iter(range(10**6))


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Profile]:
    profile = ProfileDirectory(tmp_path_factory.mktemp("shared"), kdf_params=FAST).create("Me", "pw")
    yield profile
    profile.close()


def _stored_by_an_older_version(profile: Profile, contact: str, client_id: str, text: str) -> None:
    """The row as a version before NFC kept it: the text as sent (the index follows, by its trigger)."""
    profile._vault.conn.execute(
        "UPDATE messages SET body = ? WHERE client = ? AND conversation = "
        "(SELECT id FROM conversations WHERE contact = ?)",
        (text, client_id, contact),
    )


def _hits(profile: Profile, contact: str, query: str) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
    """The texts found in one conversation, with their ranges (the search's own step, per conversation)."""
    conn = profile._vault.conn
    (conversation,) = conn.execute("SELECT id FROM conversations WHERE contact = ?", (contact,)).fetchone()
    found = search.find(conn, query, conversation=conversation, before=None, limit=20, batch=16)
    bodies = dict(conn.execute(f"SELECT id, body FROM messages WHERE conversation = {int(conversation)}"))
    return [(bodies[cursor.local_id], ranges) for cursor, ranges in found]


@settings(max_examples=150, deadline=None)
@given(
    units=_units,
    cut=st.tuples(st.integers(0, 11), st.integers(1, 12)),
    stored=st.sampled_from(["added now", "older, NFC", "older, NFD", "older, as typed"]),
    asked=st.sampled_from(sorted(_FORMS)),
)
def test_a_query_finds_its_text_whether_either_was_typed_composed_or_decomposed(
    shared: Profile, units: list[str], cut: tuple[int, int], stored: str, asked: str
) -> None:
    start = min(cut[0], len(units) - 1)
    piece = "".join(units[start : max(start + 1, min(cut[1], len(units)))])
    assume(piece.strip())
    # An older row in neither form (marks typed in an order of their own) is found by the same spelling.
    assume(stored != "older, as typed" or asked == "as typed")
    typed = "".join(units)
    contact = f"+1555{next(_examples):07d}"
    message = shared.history.add(contact, client_id="m", outgoing=False, text=typed, timestamp=1.0)
    assert message.text == unicodedata.normalize("NFC", typed)  # stored, and handed back, in NFC
    if stored != "added now":
        _stored_by_an_older_version(shared, contact, "m", _FORMS[stored.split(", ")[1]](typed))
    query = _FORMS[asked](piece)
    ((text, ranges),) = _hits(shared, contact, query)
    wanted = unicodedata.normalize("NFC", piece.strip()).casefold()
    assert ranges, "the piece is in the text"
    assert all(unicodedata.normalize("NFC", text[a:b]).casefold() == wanted for a, b in ranges)
    assert [m.text for m in shared.history.search(contact, query).messages] == [text]


def test_a_composed_and_a_decomposed_accent_find_each_other_across_conversations(profile: Profile) -> None:
    profile.history.add(ALICE, client_id="nfc", outgoing=False, text="un caf\u00e9 noir", timestamp=200.0)
    profile.history.add(
        BOB, client_id="nfd", outgoing=True, text="le cafe\u0301 cre\u0300me", timestamp=201.0
    )
    composed = [h.message.client_id for h in profile.history.search_all("caf\u00e9")]
    decomposed = [h.message.client_id for h in profile.history.search_all("cafe\u0301")]
    assert composed == decomposed == ["nfd", "nfc"]
    newest = profile.history.search_all("CAFE\u0301 CR\u00c8ME")[0]
    assert newest.message.text == "le caf\u00e9 cr\u00e8me" and newest.ranges == ((3, 13),)
    assert _found(profile, "cafe") == []  # "e" is not "é", in either spelling
    assert (
        _found(profile, "\u00e9")
        == _found(profile, "e\u0301")
        == ["le caf\u00e9 cr\u00e8me", "un caf\u00e9 noir"]
    )


def test_a_row_an_older_version_stored_decomposed_is_found_with_ranges_in_its_own_text(
    profile: Profile,
) -> None:
    profile.history.add(ALICE, client_id="old", outgoing=False, text="x", timestamp=300.0)
    _stored_by_an_older_version(profile, ALICE, "old", "re\u0301sume\u0301 attached")
    (hit,) = profile.history.search_all("r\u00e9sum\u00e9")
    assert hit.message.text == "re\u0301sume\u0301 attached"  # left as it was stored
    assert hit.ranges == ((0, 8),)
    (short,) = profile.history.search_all("\u00e9")  # too short for a trigram: the scan checks it in NFC
    assert short.message.client_id == "old" and short.ranges == ((1, 3), (6, 8))
    assert profile.history.edit(ALICE, "old", "nouveau re\u0301sume\u0301", outgoing=False)
    assert profile.history.get(ALICE, "old", outgoing=False).text == "nouveau r\u00e9sum\u00e9"  # type: ignore[union-attr]
    assert [h.ranges for h in profile.history.search_all("RE\u0301SUM")] == [((8, 13),)]
    profile._vault.conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")


def test_a_letter_without_its_accent_is_never_found_inside_an_accented_one(profile: Profile) -> None:
    # "a" with a cedilla or a macron below has no composed form: it stays a letter and a mark in NFC.
    text = "caba\u0327 cabane ba\u0331"
    profile.history.add(ALICE, client_id="marks", outgoing=False, text=text, timestamp=400.0)
    (hit,) = profile.history.search_all("caba")
    assert hit.ranges == ((6, 10),)  # only in "cabane": the "a" of the first one has a mark
    assert profile.history.search_all("caba\u0327")[0].ranges == ((0, 5),)
    (short,) = profile.history.search_all("ba")  # too short for a trigram: scanned, by the same rule
    assert short.ranges == ((8, 10),)

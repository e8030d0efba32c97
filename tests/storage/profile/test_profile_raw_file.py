"""A stolen profile shows its size and its header, nothing else: the raw bytes of every file, searched."""

from __future__ import annotations

import base64
import datetime
import struct
from pathlib import Path

import profile_raw as raw
import pytest

from crypto_core.encoding import RandomSource
from crypto_core.keys import IdentityKeyPair, OneTimePreKey
from crypto_core.sealing import KdfParams
from storage.profile import header
from storage.profile.account import Account
from storage.profile.directory import ProfileDirectory
from storage.profile.groups import NewChange
from storage.profile.history import GroupChat

FAST = KdfParams(memory_kib=8, iterations=1, lanes=1)
ME = "+15550001111"
BOB = "+447700900123"
PASS = "correct horse battery staple"
TEXT = "Meet me at the old mill at 23:15, bring the ledger"
SENT_AT = 1_700_000_123.456
GROUP_ID = "uv_A6i_cl0qh2ZfdY0PtAQ"
GROUP_NAME = "Quillfeather Society"
GROUP_TEXT = "Hang the lantern by the east gate"
MEMBER = "+442079460177"


def _counter_random(start: int) -> RandomSource:
    state = {"n": start}

    def random(n: int) -> bytes:
        out = bytes((state["n"] + i) % 256 for i in range(n))
        state["n"] += 7
        return out

    return random


def _forms(secret: bytes) -> list[bytes]:
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode()]
    forms += [base64.b64encode(secret).rstrip(b"="), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    return forms


def _text(value: str) -> list[bytes]:
    return [value.encode("utf-8"), value.encode("utf-16-le")]


def _time_forms(seconds: float) -> list[bytes]:
    ms, s = round(seconds * 1000), int(seconds)
    forms = [struct.pack(">q", ms), struct.pack("<q", ms), struct.pack(">I", s), struct.pack("<I", s)]
    forms += [str(ms).encode(), str(s).encode()]
    forms.append(datetime.datetime.fromtimestamp(s, datetime.UTC).isoformat()[:19].encode())
    return forms


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _assert_absent(files: dict[str, bytes], needles: dict[str, list[bytes]]) -> None:
    for file_name, data in files.items():
        for what, forms in needles.items():
            for form in forms:
                assert form not in data, f"the {what} is readable in {file_name}"


def test_nothing_of_a_profile_is_readable_in_its_files_open_or_closed(tmp_path: Path) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST)
    identity = IdentityKeyPair.generate(random=_counter_random(1))
    prekey = OneTimePreKey.generate(7, random=_counter_random(101))
    keys = {
        "identity signing key": identity.to_json()["sign"],
        "identity dh key": identity.to_json()["dh"],
        "one-time prekey": prekey.to_json()["key"],
    }
    needles = {name: _forms(base64.b64decode(value)) for name, value in keys.items()}
    needles["identity public key"] = _forms(identity.public.encoded())
    needles["message text"] = [*_forms(TEXT.encode()), *_text(TEXT[:24]), b"old mill", b"ledger"]
    needles["phone"] = [*_forms(BOB.encode()), BOB.encode()[1:], b"7700 900123", b"07700900123", b"447700"]
    needles["own phone"] = [ME.encode(), ME.encode()[1:], b"555-000-1111", b"5550001111"]
    needles["display name"] = _text("Ophelia Marchbanks")
    needles["contact name"] = _text("Bartholomew Quince")
    needles["session state"] = _forms(b"RATCHET-STATE-0123456789")
    needles["server address"] = [b"chat.example.net", b"203.0.113.9"]
    needles["server pin"] = [b"9f86d081884c7d659a2feaa0c55ad015"]
    needles["outbox payload"] = _forms(b"QUEUED-PAYLOAD-abcdef")
    needles["e-mail"] = [b"me@example.org", b"example.org"]
    needles["passphrase"] = [PASS.encode()]
    needles["message time"] = _time_forms(SENT_AT)
    needles["status"] = [b"received", b"queued", b"delivered"]
    needles["group name"] = _text(GROUP_NAME)
    needles["group member"] = [MEMBER.encode(), MEMBER.encode()[1:], b"7946 0177", b"2079460177"]
    needles["group id"] = [GROUP_ID.encode()]
    needles["group message"] = [*_text(GROUP_TEXT), b"lantern"]
    needles["group standing"] = [b"member"]
    own_picture = b"\xff\xd8\xff\xe0 OWN-PROFILE-PICTURE-PIXELS \xff\xd9"
    their_picture = b"\xff\xd8\xff\xe0 THEIR-PROFILE-PICTURE-PIXELS \xff\xd9"
    needles["own profile picture"] = [*_forms(own_picture), b"OWN-PROFILE-PICTURE"]
    needles["contact's profile picture"] = [*_forms(their_picture), b"THEIR-PROFILE-PICTURE"]

    profile = directory.create("Laptop", PASS, display_name="Ophelia Marchbanks")
    master = header.read(profile.folder).unwrap(PASS)
    needles["master key"] = _forms(master)
    needles["database key"] = _forms(raw.database_key(profile.folder, PASS))
    profile.keys.set_identity(identity)
    profile.keys.add_one_time_prekeys([prekey])
    profile.account.save(Account(phone=ME, email="me@example.org", server="chat.example.net:5000"))
    profile.server_pins.pin("203.0.113.9:5000", "9f86d081884c7d659a2feaa0c55ad015")
    profile.contacts.add(BOB, "Bartholomew Quince")
    profile.account.set_profile_picture(own_picture)
    profile.contacts.take_profile(BOB, "Bart", 2, their_picture)
    with profile.transaction():
        profile.sessions.put(BOB, b"RATCHET-STATE-0123456789")
        profile.history.add(BOB, client_id="c-1", outgoing=False, text=TEXT, timestamp=SENT_AT)
    profile.history.add(
        BOB, client_id="c-3", outgoing=True, text="see you", timestamp=SENT_AT + 1, status="delivered"
    )
    profile.outbox.enqueue(BOB, "c-2", b"QUEUED-PAYLOAD-abcdef")
    state = {"v": 1, "g": GROUP_ID, "name": GROUP_NAME, "members": [[ME, 0], [MEMBER, 1]], "by": ME}
    profile.groups.upsert(GROUP_ID, "member", state=state)
    signed = {
        "change": {"g": GROUP_ID, "k": "create", "name": GROUP_NAME, "members": [ME, MEMBER]},
        "sig": "c2ln",
    }
    profile.groups.put_changes(GROUP_ID, [NewChange("chg-1", 1, ME, signed, "valid")])
    chat = GroupChat(GROUP_ID)
    profile.history.add(
        chat, client_id="g-1", outgoing=False, text=GROUP_TEXT, timestamp=SENT_AT, sender=MEMBER
    )
    mine = profile.history.add(chat, client_id="g-2", outgoing=True, text="on my way", timestamp=SENT_AT)
    profile.receipts.expect(mine.local_id, [MEMBER])
    profile.receipts.delivered(mine.local_id, MEMBER, SENT_AT)

    files = _files(profile.folder)
    assert set(files) == {"header", "lock", "profile.db", "profile.db-wal", "profile.db-shm"}
    assert len(files["profile.db-wal"]) > 0, "the write-ahead log holds uncheckpointed frames while open"
    _assert_absent(files, needles)
    profile.close()
    closed = _files(profile.folder)
    assert set(closed) <= {"header", "lock", "profile.db", "profile.db-wal", "profile.db-shm"}
    _assert_absent(closed, needles)

    # The data really is there: it opens with the passphrase.
    with directory.open(profile.profile_id, PASS) as again:
        assert again.history.page(BOB).messages[-1].text == TEXT
        assert again.groups.get(GROUP_ID).state["name"] == GROUP_NAME  # type: ignore[union-attr]
        assert again.history.page(chat).messages[-1].sender == MEMBER
        assert again.name == "Ophelia Marchbanks" and again.label == "Laptop"
        assert again.account.profile_picture() == own_picture
        assert again.contacts.get(BOB).picture == their_picture  # type: ignore[union-attr]


def test_the_header_holds_exactly_its_listed_fields(tmp_path: Path) -> None:
    profile = ProfileDirectory(tmp_path, kdf_params=FAST).create("Laptop", PASS, display_name="Someone Else")
    profile.close()
    data = (profile.folder / "header").read_bytes()
    parsed = header.decode(data)
    assert header.FIELDS == (
        "magic",
        "version",
        "memory_kib",
        "iterations",
        "lanes",
        "salt",
        "nonce",
        "wrapped_key",
        "label",
    )
    # magic 8, version 2, costs 3 x 4, salt 16, nonce 12, wrapped key 48, label length 2, label.
    assert len(data) == 8 + 2 + 12 + 16 + 12 + 48 + 2 + len(b"Laptop")
    assert data.startswith(header.MAGIC) and data.endswith(b"Laptop")
    assert (parsed.version, parsed.label, parsed.params) == (1, "Laptop", FAST)
    assert parsed.encode() == data
    assert b"Someone Else" not in data


@pytest.mark.parametrize("offset", [0, 9, 13, 30, 50, 100, -1])
def test_a_header_changed_in_any_byte_does_not_open(tmp_path: Path, offset: int) -> None:
    directory = ProfileDirectory(tmp_path, kdf_params=FAST)
    profile = directory.create("Laptop", PASS)
    profile.close()
    path = profile.folder / "header"
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(Exception) as caught:
        directory.open(profile.profile_id, PASS)
    assert type(caught.value).__name__ in {
        "WrongPassphrase",
        "NotAProfile",
        "ProfileDamaged",
        "ProfileTooNew",
    }

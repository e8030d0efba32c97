"""Helpers for tests of file transfers: files with known bytes, attachment states, reopening a person."""

from __future__ import annotations

import io
import os
from pathlib import Path

from engine_support import PASSPHRASE, Person
from PIL import Image

from net.client.core.events import AttachmentView, MessageView, TransferProgress, TransferState

#: A string no random bytes contain by chance: searched for in raw files to find plaintext.
MARKER = b"PLAINTEXT-MARKER-7f3a9c-"


def known_file(folder: Path, name: str, size: int) -> Path:
    """A file of ``size`` bytes: random, with MARKER sprinkled through it (every 64 KiB)."""
    data = bytearray(os.urandom(size))
    for offset in range(0, max(0, size - len(MARKER)), 64 * 1024):
        data[offset : offset + len(MARKER)] = MARKER
    path = folder / name
    path.write_bytes(bytes(data))
    return path


def picture(folder: Path, name: str = "photo.png", side: int = 600) -> Path:
    image = Image.new("RGB", (side, side // 2), (200, 40, 90))
    out = io.BytesIO()
    image.save(out, "PNG")
    path = folder / name
    path.write_bytes(out.getvalue())
    return path


def attachment(person: Person, conversation: str, message_id: str) -> AttachmentView | None:
    """The attachment of a message as the history shows it now."""
    for message in person.engine.history(conversation, limit=500):
        if message.message_id == message_id:
            return message.attachment
    return None


def state_of(person: Person, conversation: str, message_id: str) -> TransferState | None:
    found = attachment(person, conversation, message_id)
    return None if found is None else found.state


def arrived(person: Person, conversation: str) -> list[MessageView]:
    """Incoming messages with a file in the conversation, oldest first."""
    found = [m for m in person.engine.history(conversation, limit=500) if m.attachment and not m.outgoing]
    return list(reversed(found))


def states(person: Person, message_id: str) -> list[TransferState]:
    """The states the progress events reported for a message, each change once."""
    seen: list[TransferState] = []
    for event in person.of(TransferProgress):
        if event.message_id == message_id and (not seen or seen[-1] is not event.attachment.state):
            seen.append(event.attachment.state)
    return seen


def reopen(root: Path, person: Person) -> Person:
    """The same profile in a new engine, as after a restart of the app."""
    profile_id = person.engine.list_profiles()[0][0]
    person.close()
    again = Person(root, person.name)
    again.engine.unlock(profile_id, PASSPHRASE)
    again.engine.connect()
    again.phone = person.phone
    return again


def raw_bytes(folder: Path) -> bytes:
    """Every byte of every file under ``folder``."""
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())

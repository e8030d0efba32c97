"""A readable export of one conversation or of all: HTML pages or one JSON file, in a new folder.

An export is for the person to keep or read elsewhere, so it is **not
encrypted**: whoever shows the command or the menu item says so. It reads the
profile only through its public stores — ``history.conversations()`` for the
list, ``history.page()`` paged back to the oldest message, ``contacts.all()``
for names, ``account.get()`` for the person's own number — so it works on any
profile that keeps those. A message that does not open is skipped, as
everywhere else in the profile.

**The folder** (:mod:`storage.profile.export_folder`): new or empty, or
:class:`ExportError`; written hidden beside its place and renamed into it only
when complete, owner-only; a full disk is :class:`ExportDiskFull`, and nothing
is left.

**HTML** (:func:`export_html`): one page per conversation, named after the
contact — the name made safe for every file system (letters, digits, ``-`` and
``_``, at most 40 characters) and the first 8 hex digits of the SHA-256 of the
phone number, so two Alices never collide and the name stays the same from one
export to the next (``alice-1f0c9a2e.html``) — and, when exporting all,
``index.html`` listing them. See :mod:`storage.profile.export_html`.

**JSON** (:func:`export_json`): one file, ``conversations.json``, UTF-8::

    format            "parley-export"
    schema_version    1 (a reader refuses a higher one; fields may be added within a version)
    exported_at       ISO 8601 in UTC with milliseconds, "2026-11-25T13:03:00.000Z"
    exported_at_ms    the same as integer milliseconds since 1970-01-01 UTC
    account           {"phone": the person's own number in E.164, or null}
    conversations     a list, newest conversation first, each:
      contact         {"phone": E.164, "name": the name given to the contact}
      message_count   how many messages follow
      messages        a list, oldest first, each:
        id            the message's client id (the same on both sides of a conversation)
        direction     "outgoing" or "incoming"
        time          when it was written here (outgoing) or stored here (incoming), ISO 8601 UTC
        time_ms       the same as integer milliseconds
        status        outgoing: "queued", "sent", "delivered", "read" or "failed";
                      incoming: "received" or "read"
        text          the text as stored: as written, in Unicode NFC (older messages as they came)
        sent_at       incoming only, when the sender's clock says it was sent (ISO 8601 UTC),
        sent_at_ms    and as integer milliseconds; both absent when the sender did not say
        file          only for a picture or file: {"name": its name as sent, "type": MIME,
                      "size": bytes, and "path": where the export wrote it ("files/lake.jpg"),
                      or "missing": why it was not written, in words}

**Files** (:mod:`storage.profile.export_files`): each picture or file that is here is
decrypted into the export's ``files/`` folder under its name made safe and unique; the
HTML links it (a picture shows inline), the JSON names its path. They are not encrypted
either: the warnings say so.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any, Protocol

from crypto_core.encoding import RandomSource, default_random
from storage.profile.account import Account
from storage.profile.contacts import Contact
from storage.profile.errors import DamagedValue
from storage.profile.export_files import AttachmentFiles, ExportedFile, ExportFiles
from storage.profile.export_folder import ExportDiskFull, ExportError, ExportFolder, check_folder
from storage.profile.export_html import (
    DARK,
    LIGHT,
    PALETTES,
    ExportPalette,
    IndexEntry,
    conversation_page,
    index_page,
    iso_utc,
)
from storage.profile.history import ConversationSummary, Cursor, Message, Page
from storage.profile.timers import MessageTimer

__all__ = [
    "DARK",
    "INDEX_FILE",
    "JSON_FILE",
    "LIGHT",
    "PALETTES",
    "SCHEMA_VERSION",
    "ExportDiskFull",
    "ExportError",
    "ExportPalette",
    "ExportResult",
    "ExportSource",
    "check_folder",
    "export_html",
    "export_json",
    "file_stem",
]

SCHEMA_VERSION = 1
JSON_FILE = "conversations.json"
INDEX_FILE = "index.html"
_PAGE = 200
_NAME_LENGTH = 40
_UNSAFE = re.compile(r"[^\w-]+")

#: Told how far an export is: ``(conversations done, conversations in all)``.
ExportProgress = Callable[[int, int], None]


class _History(Protocol):
    def conversations(self) -> list[ConversationSummary]: ...

    def page(self, contact: str, *, before: Cursor | None = ..., limit: int = ...) -> Page: ...


class _Contacts(Protocol):
    def all(self) -> list[Contact]: ...


class _Account(Protocol):
    def get(self) -> Account: ...


class _Timers(Protocol):
    def of(self, messages: Iterable[int]) -> dict[int, MessageTimer]: ...


class ExportSource(Protocol):
    """What an export reads: an unlocked profile's public stores."""

    @property
    def timers(self) -> _Timers: ...

    @property
    def history(self) -> _History: ...

    @property
    def contacts(self) -> _Contacts: ...

    @property
    def account(self) -> _Account: ...


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    conversations: int
    messages: int
    #: The files written, by name, in the order written.
    files: tuple[str, ...]


@dataclass(frozen=True)
class _Conversation:
    phone: str
    name: str
    last: float


def _conversations(source: ExportSource, only: str | None) -> list[_Conversation]:
    names = {contact.phone: contact.name for contact in source.contacts.all()}
    found = [
        _Conversation(summary.contact, names.get(summary.contact) or summary.contact, summary.last.timestamp)
        for summary in source.history.conversations()
        if not summary.group  # the export's format has no group conversations yet
    ]
    if only is None:
        return found
    wanted = _phone_key(only)
    chosen = [conversation for conversation in found if _phone_key(conversation.phone) == wanted]
    if not chosen:
        raise ExportError(f"there is no conversation with {only} in this profile", code="unknown_contact")
    return chosen


def _phone_key(phone: str) -> str:
    """A number as typed (spaces, dashes, brackets) compared with the stored E.164 one."""
    return re.sub(r"[^\d+]", "", phone.strip())


def _messages(source: ExportSource, phone: str, now_ms: int) -> list[Message]:
    """Every message of a conversation, oldest first (pages come newest first), but a disappearing
    one whose time is up at ``now_ms`` (the engine removes those first; an export from the command
    line, with no engine, leaves them out here)."""
    newest_first: list[Message] = []
    before: Cursor | None = None
    while True:
        page = source.history.page(phone, before=before, limit=_PAGE)
        # A notice in the timeline (a changed safety number) is the app's line, not a message.
        texts = [message for message in page.messages if message.kind == "text"]
        timers = source.timers.of(m.local_id for m in texts)
        newest_first.extend(m for m in texts if not _due(timers.get(m.local_id), now_ms))
        if page.next is None:
            break
        before = page.next
    newest_first.reverse()
    return newest_first


def _due(timer: MessageTimer | None, now_ms: int) -> bool:
    return timer is not None and 0 < timer.expires_at_ms <= now_ms


def file_stem(name: str, phone: str) -> str:
    """A file name for a conversation: the contact's name made safe, and a short id from the number."""
    safe = (
        _UNSAFE.sub("-", unicodedata.normalize("NFKC", name)).strip("-_").lower()[:_NAME_LENGTH].strip("-_")
    )
    short = hashlib.sha256(phone.encode("utf-8")).hexdigest()[:8]
    return f"{safe or 'conversation'}-{short}"


def _exported_files(files: ExportFiles, messages: list[Message]) -> dict[int, ExportedFile]:
    """Each message's file written into the export's ``files/`` (or why not), by local id."""
    return {m.local_id: files.export(m.attachment) for m in messages if m.attachment is not None}


def _run(
    source: ExportSource,
    out: Path,
    contact: str | None,
    progress: ExportProgress | None,
    random: RandomSource,
    write: Callable[[ExportFolder, ExportFiles, list[_Conversation]], int],
) -> ExportResult:
    conversations = _conversations(source, contact)
    folder = ExportFolder(Path(out), random)
    # A source without attachments (an older profile's stores) exports no files.
    store: AttachmentFiles | None = getattr(source, "attachments", None)
    try:
        try:
            if progress is not None:
                progress(0, len(conversations))
            messages = write(folder, ExportFiles(folder, store), conversations)
            folder.finish()
        except OSError as exc:
            raise folder.error(exc) from None
    except BaseException:
        folder.discard()
        raise
    return ExportResult(folder.target, len(conversations), messages, tuple(folder.files))


def export_html(
    source: ExportSource,
    out: Path,
    *,
    palette: ExportPalette = LIGHT,
    contact: str | None = None,
    progress: ExportProgress | None = None,
    clock: Callable[[], float] = time.time,
    tz: tzinfo | None = None,
    random: RandomSource = default_random,
) -> ExportResult:
    """One HTML page per conversation (only ``contact``'s when given, else all, with index.html)."""
    exported_at = clock()

    def write(folder: ExportFolder, files: ExportFiles, conversations: list[_Conversation]) -> int:
        entries: list[IndexEntry] = []
        total = 0
        index = INDEX_FILE if contact is None else None
        for done, conversation in enumerate(conversations, 1):
            messages = _messages(source, conversation.phone, round(exported_at * 1000))
            name = f"{file_stem(conversation.name, conversation.phone)}.html"
            page = conversation_page(
                conversation.name,
                conversation.phone,
                messages,
                count=len(messages),
                palette=palette,
                exported_at=exported_at,
                tz=tz,
                index=index,
                files=_exported_files(files, messages),
            )
            folder.write(name, page)
            entries.append(
                IndexEntry(name, conversation.name, conversation.phone, len(messages), conversation.last)
            )
            total += len(messages)
            if progress is not None:
                progress(done, len(conversations))
        if index is not None:
            folder.write(index, [index_page(entries, palette=palette, exported_at=exported_at, tz=tz)])
        return total

    return _run(source, out, contact, progress, random, write)


def _file_json(found: ExportedFile) -> dict[str, Any]:
    item: dict[str, Any] = {"name": found.name, "type": found.mime, "size": found.size}
    if found.path:
        item["path"] = found.path
    else:
        item["missing"] = found.missing
    return item


def _message_json(message: Message, found: ExportedFile | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": message.client_id,
        "direction": "outgoing" if message.outgoing else "incoming",
        "time": iso_utc(message.timestamp),
        "time_ms": round(message.timestamp * 1000),
        "status": message.status,
        "text": message.text,
    }
    sent = message.meta.get("sent")
    if not message.outgoing and isinstance(sent, int) and not isinstance(sent, bool) and sent >= 0:
        item["sent_at"], item["sent_at_ms"] = iso_utc(sent / 1000), sent
    if found is not None:
        item["file"] = _file_json(found)
    return item


def export_json(
    source: ExportSource,
    out: Path,
    *,
    contact: str | None = None,
    progress: ExportProgress | None = None,
    clock: Callable[[], float] = time.time,
    random: RandomSource = default_random,
) -> ExportResult:
    """One JSON file, :data:`JSON_FILE`, with the fields listed in this module's docstring."""
    exported_at = clock()
    try:
        own = source.account.get().phone
    except DamagedValue:  # a damaged account row costs the export only the person's own number
        own = None

    def dumps(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    def pieces(files: ExportFiles, conversations: list[_Conversation], counted: list[int]) -> Iterator[str]:
        head = {
            "format": "parley-export",
            "schema_version": SCHEMA_VERSION,
            "exported_at": iso_utc(exported_at),
            "exported_at_ms": round(exported_at * 1000),
            "account": {"phone": own},
        }
        yield "{\n" + "".join(f" {dumps(key)}: {dumps(value)},\n" for key, value in head.items())
        yield ' "conversations": ['
        for done, conversation in enumerate(conversations, 1):
            messages = _messages(source, conversation.phone, round(exported_at * 1000))
            found = _exported_files(files, messages)
            about = dumps({"phone": conversation.phone, "name": conversation.name})
            yield f'{"," if done > 1 else ""}\n  {{"contact": {about}, "message_count": {len(messages)}, '
            yield '"messages": [' + ",".join(
                f"\n    {dumps(_message_json(m, found.get(m.local_id)))}" for m in messages
            )
            yield "\n  ]}" if messages else "]}"
            counted.append(len(messages))
            if progress is not None:
                progress(done, len(conversations))
        yield "\n ]\n}\n"

    def write(folder: ExportFolder, files: ExportFiles, conversations: list[_Conversation]) -> int:
        counted: list[int] = []
        folder.write(JSON_FILE, pieces(files, conversations, counted))
        return sum(counted)

    return _run(source, out, contact, progress, random, write)

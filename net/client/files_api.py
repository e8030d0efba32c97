"""The Messenger's picture and file commands: send, pause, resume, cancel, and reading a file back.

A mixin beside :mod:`net.client.groups_api`. Sending stores the message (QUEUED) with its
attachment and returns at once; the engine's loop seals, uploads and announces it
(:mod:`net.client.transfers`). A pasted picture (:meth:`FilesApi.send_data`, at most
:data:`MAX_DATA` bytes, held in memory) is sealed at once, since nothing on disk could be read
again after a restart. Reading back (:meth:`FilesApi.save_file`, :meth:`FilesApi.open_file`,
:meth:`FilesApi.file_bytes`) opens the sealed copy in ``files/`` with the key from the database;
:meth:`FilesApi.open_file`'s copy goes to a private folder emptied when the profile locks.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path
from typing import IO, cast

from crypto_core.encoding import b64decode, b64encode
from crypto_core.errors import DecryptionError
from crypto_core.stream import decrypt_file, encrypt_file
from net.client import action_views, group_log, images, timers
from net.client.api_base import ApiBase
from net.client.context import Context, checked_phone
from net.client.core.attachment import MAX_FILE, MAX_THUMB, mime_of, sanitised_name
from net.client.core.engine_error import EngineError
from net.client.core.envelope import check_text
from net.client.core.events import MessageStatus, MessageStatusChanged, MessageView, TransferState
from net.client.core.group_state import OwnStanding
from net.client.names import accept_own_step, share_if_due
from net.client.transfers import Transfers
from storage.profile.attachments import Located
from storage.profile.header import fsync_folder
from storage.profile.history import Chat, GroupChat

#: The most bytes :meth:`FilesApi.send_data` takes (a pasted picture).
MAX_DATA = 25 * 1024 * 1024


class FilesApi(ApiBase):
    """The file commands of :class:`net.client.messenger.Messenger`."""

    _transfers: Transfers | None

    def _transfers_of(self) -> Transfers:
        self._require()
        assert self._transfers is not None
        return self._transfers

    # ------------------------------------------------------------------ sending

    def send_file(
        self, path: str | Path, *, contact: str = "", group_id: str = "", caption: str = ""
    ) -> MessageView:
        """Send a picture or file; returns the message PREPARING (keep the file until it is UPLOADING)."""
        ctx = self._require()
        source = Path(path)
        try:
            size = source.stat().st_size
            with source.open("rb") as handle:
                head = handle.read(16)
        except OSError:
            raise EngineError("file_unreadable", "That file could not be read.") from None
        if not source.is_file():
            raise EngineError("file_unreadable", "Only a file can be sent, not a folder.")
        _check_size(size, MAX_FILE)
        name = sanitised_name(source.name)
        spec = _spec(ctx, name, size, mime_of(name, head), source)
        with ctx.storing("sending"):
            return self._store(ctx, contact, group_id, caption, spec, TransferState.PREPARING, str(source))

    def send_data(
        self, data: bytes, name: str, *, contact: str = "", group_id: str = "", caption: str = ""
    ) -> MessageView:
        """Send bytes held in memory (a pasted picture, at most 25 MiB) as a file called ``name``."""
        ctx = self._require()
        _check_size(len(data), MAX_DATA)
        clean = sanitised_name(name)
        spec = _spec(ctx, clean, len(data), mime_of(clean, data[:16]), cast(Path, io.BytesIO(data)))
        with ctx.storing("sending"):
            view = self._store(ctx, contact, group_id, caption, spec, TransferState.PREPARING, "")
            found = ctx.profile.attachments.find(view.message_id)
            assert found is not None
            digest = _seal_now(ctx, found, data, spec)
            ctx.profile.attachments.update(
                found.attachment.message,
                state=TransferState.UPLOADING.value,
                spec={**spec, "sha256": b64encode(digest)},
            )
            return self._view(ctx, found)

    def _store(
        self,
        ctx: Context,
        contact: str,
        group_id: str,
        caption: str,
        spec: dict[str, object],
        state: TransferState,
        source: str,
    ) -> MessageView:
        try:
            check_text(caption)
        except ValueError as exc:
            raise EngineError("too_long", f"{str(exc).capitalize()}.") from None
        chat = _chat(ctx, contact, group_id)
        message_id, now = ctx.new_id("m-"), ctx.clock()
        store = ctx.profile.attachments
        with ctx.profile.transaction():
            if not isinstance(chat, GroupChat):
                share_if_due(ctx, accept_own_step(ctx, chat))  # writing to a request accepts it
            stored = ctx.profile.history.add(
                chat, client_id=message_id, outgoing=True, text=caption, timestamp=now
            )
            timers.stamp_ours(ctx, stored, timers.for_sending(ctx, chat))
            store.add(stored.local_id, spec, state.value, file=store.new_name(), source=source)
        ctx.emit(
            MessageStatusChanged(contact if not group_id else "", message_id, MessageStatus.QUEUED, group_id)
        )
        self._transfers_of().wake()
        found = store.find(message_id)
        assert found is not None
        return self._view(ctx, found)

    def _view(self, ctx: Context, found: Located) -> MessageView:
        chat: Chat = GroupChat(found.group) if found.group else found.contact
        message = ctx.profile.history.get(chat, found.client_id, outgoing=True)
        assert message is not None
        return action_views.view_of(ctx, message)

    # ------------------------------------------------------------------ the transfer

    def pause_transfer(self, message_id: str) -> None:
        with self._require().storing("history"):
            self._transfers_of().pause(message_id)

    def resume_transfer(self, message_id: str) -> None:
        """Go on with a paused transfer; also: try a failed one again, download a cancelled one."""
        with self._require().storing("history"):
            self._transfers_of().resume(message_id)

    def cancel_transfer(self, message_id: str) -> None:
        with self._require().storing("history"):
            self._transfers_of().cancel(message_id)

    # ------------------------------------------------------------------ reading a file back

    def save_file(self, message_id: str, destination: str | Path) -> None:
        """Decrypt a file that is here to ``destination`` (written beside it first, then renamed)."""
        target = Path(destination)
        found, sealed = self._sealed_copy(message_id)
        try:
            handle, temporary = tempfile.mkstemp(prefix=".parley-", dir=target.parent)
        except OSError:
            raise EngineError("file_unwritable", "The file could not be written there.") from None
        try:
            with os.fdopen(handle, "wb") as out:
                _open_into(found, sealed, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
            fsync_folder(target.parent)
        except OSError:
            Path(temporary).unlink(missing_ok=True)
            raise EngineError("file_unwritable", "The file could not be written there.") from None
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def open_file(self, message_id: str) -> Path:
        """A plaintext copy outside the profile folder, for the system's viewer (gone at lock)."""
        ctx = self._require()
        found, sealed = self._sealed_copy(message_id)
        place = ctx.profile.attachments.fresh_open_folder() / sanitised_name(
            str(found.attachment.spec["name"])
        )
        with place.open("xb") as out:
            _open_into(found, sealed, out)
        return place

    def file_bytes(self, message_id: str, limit: int) -> bytes:
        """The plaintext of a file that is here, if it has at most ``limit`` bytes (the picture viewer)."""
        found, sealed = self._sealed_copy(message_id)
        if int(found.attachment.spec.get("size", 0)) > limit:
            raise EngineError("file_too_large", "This file is too large to show here; save it instead.")
        out = io.BytesIO()
        _open_into(found, sealed, out)
        return out.getvalue()

    def _sealed_copy(self, message_id: str) -> tuple[Located, Path]:
        ctx = self._require()
        with ctx.storing("history"):
            found = self._transfers_of().find(message_id)
        attachment = found.attachment
        sealed = ctx.profile.attachments.sealed(attachment.file)
        ready = attachment.state == TransferState.DONE.value or (
            found.outgoing and attachment.spec.get("sha256")
        )
        if not ready or not sealed.exists():
            raise EngineError("not_downloaded", "This file is not here yet.")
        return found, sealed


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise EngineError("file_too_large", f"A file can be at most {limit // (1024 * 1024)} MiB.")


def _spec(ctx: Context, name: str, size: int, mime: str, source: Path) -> dict[str, object]:
    spec: dict[str, object] = {
        "blob": "",
        "key": b64encode(ctx.random(32)),
        "sha256": "",
        "size": size,
        "name": name,
        "type": mime,
    }
    if mime.startswith("image/"):
        if isinstance(source, io.BytesIO):
            source.seek(0)
        info = images.probe(source)
        if isinstance(source, io.BytesIO):
            source.seek(0)
        small = images.thumbnail(source) if info is not None else None
        if info is not None:
            spec["type"], spec["w"], spec["h"] = info.mime, info.width, info.height
        if small is not None and len(small.data) <= MAX_THUMB:
            spec["thumb"] = b64encode(small.data)
    return spec


def _chat(ctx: Context, contact: str, group_id: str) -> Chat:
    if bool(contact) == bool(group_id):
        raise EngineError("bad_request", "Send a file to a contact or to a group, one of the two.")
    if not group_id:
        phone = checked_phone(contact)
        ctx.contact(phone)  # unknown_contact first
        return phone
    stored = ctx.profile.groups.get(group_id)
    if stored is None:
        raise EngineError("unknown_group", "There is no such group.")
    if stored.standing == "request":
        raise EngineError("group_request", "Accept the invitation to write in this group.")
    state = group_log.cached_state(ctx, stored)
    if state is None or state.own is not OwnStanding.MEMBER:
        raise EngineError("not_a_member", "You are not a member of this group.")
    return GroupChat(group_id)


def _seal_now(ctx: Context, found: Located, data: bytes, spec: dict[str, object]) -> bytes:
    store = ctx.profile.attachments
    part, sealed = store.part(found.attachment.file), store.sealed(found.attachment.file)
    try:
        with part.open("wb") as out:
            key = b64decode(spec["key"], what="file key")
            encrypt_file(key, io.BytesIO(data), out, random=ctx.random)
            out.flush()
            os.fsync(out.fileno())
        part.replace(sealed)
    except OSError:
        part.unlink(missing_ok=True)
        raise EngineError("disk_full", "The picture could not be stored: the disk may be full.") from None
    return hashlib.sha256(sealed.read_bytes()).digest()


def _open_into(found: Located, sealed: Path, out: IO[bytes]) -> None:
    key = b64decode(found.attachment.spec.get("key"), what="file key")
    try:
        with sealed.open("rb") as source:
            decrypt_file(key, source, out)
    except DecryptionError:
        raise EngineError("file_damaged", "The stored copy of this file is damaged.") from None
    except OSError:
        raise EngineError("file_unreadable", "The stored copy of this file could not be read.") from None

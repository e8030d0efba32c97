"""A stored attachment as the app sees it and as the payload carries it, and an arrived one stored.

:func:`attachment_view` is what :func:`net.client.context.message_view` puts in
``MessageView.attachment``; :func:`file_info` rebuilds the ``file`` field from the row (a retry
sends the same pointer again); :func:`store_incoming` adds the row of a text that announced a file,
in the transaction that stores the message, WAITING for the downloader.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from crypto_core.encoding import b64decode
from crypto_core.errors import CryptoError
from crypto_core.stream import sealed_size
from net.client.core.attachment import FileInfo
from net.client.core.events import AttachmentView, TransferState
from net.client.core.transfer_plan import plaintext_done
from storage.profile.attachments import Attachment
from storage.profile.history import Message
from storage.profile.profile import Profile


def _int(spec: Any, name: str) -> int:
    value = spec.get(name, 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _bytes(spec: Any, name: str) -> bytes:
    try:
        return b64decode(spec.get(name), what=name) if spec.get(name) else b""
    except CryptoError:
        return b""


def attachment_view(attachment: Attachment | None) -> AttachmentView | None:
    if attachment is None:
        return None
    spec = attachment.spec
    size = _int(spec, "size")
    try:
        state = TransferState(attachment.state)
    except ValueError:
        state = TransferState.FAILED
    moved = size if state is TransferState.DONE else plaintext_done(attachment.done, size)
    if state is TransferState.PREPARING:
        moved = 0
    return AttachmentView(
        name=str(spec.get("name", "")),
        size=size,
        mime=str(spec.get("type", "application/octet-stream")),
        state=state,
        transferred=moved,
        width=_int(spec, "w"),
        height=_int(spec, "h"),
        thumbnail=_bytes(spec, "thumb"),
        error=attachment.error,
    )


def sealed_bytes(attachment: Attachment) -> int:
    """The length of the attachment's sealed blob."""
    return sealed_size(_int(attachment.spec, "size"))


def file_info(attachment: Attachment | None) -> FileInfo | None:
    """The ``file`` field that announces this attachment; None before it is uploaded."""
    if attachment is None or not attachment.spec.get("blob"):
        return None
    spec = attachment.spec
    return FileInfo(
        blob=str(spec["blob"]),
        key=_bytes(spec, "key"),
        sha256=_bytes(spec, "sha256"),
        size=_int(spec, "size"),
        name=str(spec.get("name", "")),
        mime=str(spec.get("type", "")),
        width=_int(spec, "w"),
        height=_int(spec, "h"),
        thumbnail=_bytes(spec, "thumb"),
    )


def preview(message: Message) -> str:
    """What the conversation list shows of a message: its text, or what a file sent without one is
    ("Photo: lake.jpg", "File: minutes.pdf"), worded as the app words a file that arrives while it runs."""
    if message.text.strip() or message.attachment is None:
        return message.text
    spec = message.attachment.spec
    kind = "Photo" if str(spec.get("type", "")).startswith("image/") else "File"
    return f"{kind}: {spec.get('name', '')}"


#: In a stored spec: our own file sent from another device of ours, downloaded here (not uploaded).
COPIED = "copied"


def store_incoming(
    profile: Profile, message: Message, file: FileInfo | None, *, copied: bool = False
) -> Message:
    """Add the attachment an arrived text announced (WAITING); the message with it, for its view.

    ``copied``: the text is ours, sent from another device of ours; its file is downloaded here too.
    """
    if file is None:
        return message
    store = profile.attachments
    spec = {**file.fields(), COPIED: True} if copied else file.fields()
    stored = store.add(message.local_id, spec, TransferState.WAITING.value, file=store.new_name())
    return replace(message, attachment=stored)


def downloads(attachment: Attachment, outgoing: bool) -> bool:
    """Whether this attachment is fetched from the server here (theirs, or ours sent from another device)."""
    return not outgoing or attachment.spec.get(COPIED) is True

"""Pictures and files in the open conversation: staging, sending, the transfers' buttons and progress.

Files come from the paperclip (the platform's file dialog), a drop onto the
conversation, or a paste; they wait above the composer, and Enter sends each
with ``send_file`` (or ``send_data`` for a pasted picture), the composer's text
as the first one's caption. Every engine call is a worker command; the file
dialogs, the system's opener and the clipboard reader are passed in
(:class:`FilePickers`), so that a test answers the dialog and sees what would
have been opened, and everything after the choice is the real thing.

A :class:`~net.client.core.events.TransferProgress` moves the bar of a drawn
bubble, or redraws that bubble when the state changed; nothing else is redrawn.
"""

from __future__ import annotations

import io
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from tkinter import filedialog

from PIL import Image, ImageTk

from gui.controllers.host import Host
from gui.engine import Engine
from gui.system_open import system_opener
from gui.view_models.chat_model import ChatModel
from gui.view_models.file_model import PASTE_LIMIT, VIEWER_LIMIT, VIEWER_SIDE, FileAction, Staged, size_text
from gui.views import clipboard_picture
from gui.views.file_drop import enable_drop
from gui.views.main_view import MainView
from gui.views.picture_viewer import PictureViewer
from gui.worker import Command
from net.client import images
from net.client.core import events as ev
from net.client.core.engine_error import EngineError

#: The side of a staged picture's preview, in pixels.
PREVIEW_SIDE = 48
PASTED_NAME = "Pasted picture.png"


class _Folder:
    """Where the next file dialog opens: the folder last chosen from, else the person's home."""

    last: Path | None = None

    @classmethod
    def initial(cls) -> str:
        folder = cls.last if cls.last is not None and cls.last.is_dir() else Path.home()
        return str(folder)

    @classmethod
    def remember(cls, chosen: Path) -> Path:
        cls.last = chosen.parent
        return chosen


def _ask_files(parent: tk.Misc) -> list[Path]:
    # One file per dialog: Tk's many-file dialog splits a typed name at its spaces ("lake photo.jpg"
    # becomes two names that do not exist), which breaks the keyboard way in; Ctrl+U again stages more.
    chosen = filedialog.askopenfilename(parent=parent, title="Send a file", initialdir=_Folder.initial())
    return [_Folder.remember(Path(chosen))] if chosen else []


def _ask_save(parent: tk.Misc, name: str) -> Path | None:
    chosen = filedialog.asksaveasfilename(
        parent=parent, title="Save as", initialfile=name, initialdir=_Folder.initial()
    )
    return _Folder.remember(Path(chosen)) if chosen else None


@dataclass
class FilePickers:
    #: The file dialog: the files chosen to send (empty when the person cancelled).
    choose_files: Callable[[tk.Misc], list[Path]] = _ask_files
    #: Save as: where to put a file, its name suggested (None when cancelled).
    save_as: Callable[[tk.Misc, str], Path | None] = _ask_save
    #: The system's own viewer for a file (None: this platform has none we know; Open says so).
    opener: Callable[[Path], None] | None = None
    #: Reads the clipboard's picture or files (off the Tk thread).
    grab_clipboard: Callable[[], clipboard_picture.Grabbed] = clipboard_picture.grab

    @classmethod
    def platform(cls) -> FilePickers:
        return cls(opener=system_opener())


def _viewer_picture(engine: Engine, message_id: str) -> Image.Image:
    """On the worker: the file's bytes, decoded with the pixel limit, no larger than the viewer needs."""
    data = engine.file_bytes(message_id, VIEWER_LIMIT)
    try:
        picture = images.decode(data)
    except images.ImageRefused as exc:
        raise EngineError("not_a_picture", f"This picture cannot be shown: {exc}.") from exc
    picture.thumbnail((VIEWER_SIDE, VIEWER_SIDE))
    return picture


class FilesController:
    def __init__(self, host: Host, root: tk.Misc, view: MainView, model: ChatModel) -> None:
        self.host, self.root, self.view, self.model = host, root, view, model
        self.pickers = FilePickers.platform()
        #: A file message of ours was stored: the chat draws it as it does a text.
        self.on_sent: Callable[[ev.MessageView], None] = lambda _m: None
        #: The picture viewers open now (one per message).
        self.viewers: dict[str, PictureViewer] = {}
        composer = view.conversation.composer
        composer.on_attach = self.attach
        composer.on_send_files = self.send
        composer.on_paste = self.paste
        view.conversation.messages.on_file_action = self.act
        pane = view.conversation
        #: Files can be dropped onto the conversation (tkdnd loaded); the hint says which way works.
        self.drop = enable_drop(root, (pane, pane.messages.canvas, pane.text), self.stage)
        pane.set_drop_hint(self.drop)

    # ------------------------------------------------------------------ staging

    def attach(self) -> None:
        """The paperclip or Ctrl+U: the file dialog, and what it chose staged."""
        if self.model.open_contact is not None:
            self.stage(self.pickers.choose_files(self.root))

    def stage(self, paths: list[Path]) -> None:
        """Files (from the dialog or a drop) wait above the composer; a folder or missing file is refused."""
        composer = self.view.conversation.composer
        for path in paths:
            try:
                size = path.stat().st_size if path.is_file() else -1
            except OSError:
                size = -1
            if size < 0:
                self.host.report("file_unreadable", f"“{path.name}” is not a file Parley can read.")
                continue
            staged = Staged(path.name, size, path=path)
            composer.stage(staged)
            self._preview_file(staged, path)
        composer.text.focus_set()

    def paste(self) -> bool:
        """Ctrl+V: a picture (or files) on the clipboard is staged; True when the paste is ours to finish."""
        text = self.view.conversation.text

        def read(found: clipboard_picture.Grabbed) -> None:
            if isinstance(found, Image.Image):
                self._stage_picture(found)
            elif found:
                self.stage(found)
            else:  # no picture after all: the text, as the field's own paste does it
                text.event_generate("<<Paste>>")

        clipboard_picture.read_later(text, read, reader=self.pickers.grab_clipboard)
        return True

    def _stage_picture(self, picture: Image.Image) -> None:
        data = _png(picture)
        if len(data) > PASTE_LIMIT:
            self.host.report(
                "file_too_large",
                f"The pasted picture is {size_text(len(data))}; a pasted picture may be at most "
                f"{size_text(PASTE_LIMIT)}. Save it as a file and attach that.",
            )
            return
        staged = Staged(PASTED_NAME, len(data), data=data)
        self.view.conversation.composer.stage(staged)
        small = picture.copy()
        small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        self.view.conversation.composer.staged.set_preview(
            staged, ImageTk.PhotoImage(small, master=self.root)
        )

    def _preview_file(self, staged: Staged, path: Path) -> None:
        """A staged picture's small preview, made on the worker (a photo may be large to read)."""

        def call(_engine: Engine) -> images.Thumbnail | None:
            return images.thumbnail(path, max_side=PREVIEW_SIDE)

        def made(thumbnail: images.Thumbnail | None) -> None:
            if thumbnail is not None:
                picture = images.decode(thumbnail.data)
                image = ImageTk.PhotoImage(picture, master=self.root)
                self.view.conversation.composer.staged.set_preview(staged, image)

        self.host.do(Command("preview", call, made, failed=lambda _c, _t: None))

    # ------------------------------------------------------------------ sending

    def send(self, files: list[Staged], caption: str) -> None:
        contact = self.model.open_contact
        if contact is None:
            return
        group = self.model.is_group(contact)
        for index, staged in enumerate(files):
            self._send_one(contact, group, staged, caption if index == 0 else "")

    def _send_one(self, contact: str, group: bool, staged: Staged, caption: str) -> None:
        where = {"group_id": contact} if group else {"contact": contact}

        def call(engine: Engine) -> ev.MessageView:
            if staged.path is not None:
                return engine.send_file(staged.path, caption=caption, **where)
            return engine.send_data(staged.data, staged.name, caption=caption, **where)

        def refused(code: str, words: str) -> None:
            # Nothing was stored: the file (and its caption) go back above the composer, not to waste.
            composer = self.view.conversation.composer
            if self.model.open_contact == contact:
                composer.stage(staged)
                if caption and not composer.value.strip():
                    composer.set(caption)
            self.host.report(code, words)

        self.host.do(Command("send_file", call, self.on_sent, failed=refused))

    # ------------------------------------------------------------------ a file message's buttons

    def act(self, message_id: str, action: FileAction) -> None:
        if action == FileAction.VIEW:
            self.view_picture(message_id)
        elif action == FileAction.OPEN:
            self._open(message_id)
        elif action == FileAction.SAVE:
            self.save_as(message_id)
        elif action == FileAction.PAUSE:
            self.host.do(Command("pause", lambda engine: engine.pause_transfer(message_id)))
        elif action == FileAction.CANCEL:
            self.host.do(Command("cancel", lambda engine: engine.cancel_transfer(message_id)))
        else:  # resume, retry and download are one call
            self.host.do(Command("resume", lambda engine: engine.resume_transfer(message_id)))

    def _name(self, message_id: str) -> str:
        attachment = self.view.conversation.messages.attachment(message_id)
        return attachment.name if attachment is not None else "file"

    def view_picture(self, message_id: str) -> None:
        open_now = self.viewers.get(message_id)
        if open_now is not None and open_now.winfo_exists():
            open_now.lift()
            open_now.focus_set()
            return
        name = self._name(message_id)

        def shown(picture: Image.Image) -> None:
            viewer = PictureViewer(self.root, name, picture, self.host.palette)
            viewer.on_save = lambda: self.save_as(message_id, parent=viewer)
            self.viewers[message_id] = viewer

        self.host.do(
            Command("picture", lambda engine: _viewer_picture(engine, message_id), shown),
            busy="Opening the picture…",
        )

    def save_as(self, message_id: str, *, parent: tk.Misc | None = None) -> None:
        destination = self.pickers.save_as(parent or self.root, self._name(message_id))
        if destination is not None:
            self.host.do(
                Command("save_file", lambda engine: engine.save_file(message_id, destination)),
                busy="Saving the file…",
            )

    def _open(self, message_id: str) -> None:
        opener = self.pickers.opener
        if opener is None:
            self.host.report(
                "no_opener", "This computer has no program Parley knows to open files with. Use Save as…"
            )
            return
        self.host.do(Command("open_file", lambda engine: engine.open_file(message_id), opener))

    # ------------------------------------------------------------------ the engine's events

    def progress(self, event: ev.TransferProgress) -> None:
        key = event.group_id or event.contact
        if key == self.model.open_contact:
            self.view.conversation.messages.set_attachment(event.message_id, event.attachment)

    def reset(self) -> None:
        """The profile closed: no picture stays on screen and no staged file waits for the next one."""
        self.close()
        pane = self.view.conversation
        pane.composer.staged.take()
        pane.staged_drafts.clear()

    def close(self) -> None:
        for viewer in self.viewers.values():
            if viewer.winfo_exists():
                viewer.destroy()
        self.viewers.clear()


def _png(picture: Image.Image) -> bytes:
    """A pasted picture as PNG: lossless, as a screenshot should stay."""
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()

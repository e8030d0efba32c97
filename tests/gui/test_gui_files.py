"""The files controller on real views: staging through the dialog, a drop and a paste, sending, the buttons.

The controller runs against a small recording Host, as in test_gui_host: its
commands are run by hand against an engine that records each call, and their
outcomes delivered the way the app's drain loop would. The file dialog, the
save dialog and the system's opener are answered by the test; the clipboard is
the real X clipboard, filled with ``xclip``.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time
import tkinter as tk
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from gui_support import (
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    press_return,
    wait_until,
)
from PIL import Image

from gui.controllers.chat import ChatController
from gui.controllers.files import PASTED_NAME, FilePickers
from gui.view_models.file_model import FileAction, Staged
from gui.views.main_view import MainView
from gui.views.picture_viewer import PictureViewer
from gui.views.theme import LIGHT, Palette, apply_theme, make_fonts
from gui.window_session import WindowSession
from gui.worker import Command, CommandDone
from net.client.core import events as ev
from net.client.core.engine_error import EngineError

T = TypeVar("T")
ALICE, BOB = "+442079460101", "+442079460202"
MIB = 1024 * 1024


class RecordingHost:
    def __init__(self) -> None:
        self.session = WindowSession("localhost:7700", "Alice", ALICE)
        self.palette: Palette = LIGHT
        self.screen: tk.Widget | None = None
        self.commands: list[Command[Any]] = []
        self.reports: list[tuple[str, str]] = []
        self.busy = False

    def do(self, command: Command[T], *, busy: str | None = None) -> None:
        self.commands.append(command)

    def show_screen(self, screen: tk.Widget) -> None:
        self.screen = screen

    def report(self, code: str, message: str) -> None:
        self.reports.append((code, message))

    def update_title(self) -> None:
        pass

    def take(self, name: str) -> Command[Any]:
        """The one waiting command of that name (the others, a page load say, are not this test's)."""
        [command] = [c for c in self.commands if c.name == name]
        self.commands.remove(command)
        return command


class FileEngine:
    """Records the file calls as (name, arguments); returns what the real engine's would."""

    def __init__(self, tmp: Path) -> None:
        self.calls: list[tuple[str, tuple[object, ...], dict[str, object]]] = []
        self.tmp = tmp
        self.picture = b""

    def _message(self, name: str, kwargs: dict[str, Any]) -> ev.MessageView:
        attachment = ev.AttachmentView(name, 5, "text/plain", ev.TransferState.PREPARING)
        return ev.MessageView(
            f"out{len(self.calls)}",
            str(kwargs.get("contact", "")),
            True,
            str(kwargs.get("caption", "")),
            time.time(),
            ev.MessageStatus.QUEUED,
            group_id=str(kwargs.get("group_id", "")),
            attachment=attachment,
        )

    def send_file(self, path: Path, **kwargs: Any) -> ev.MessageView:
        self.calls.append(("send_file", (path,), kwargs))
        return self._message(Path(path).name, kwargs)

    def send_data(self, data: bytes, name: str, **kwargs: Any) -> ev.MessageView:
        self.calls.append(("send_data", (data, name), kwargs))
        return self._message(name, kwargs)

    def open_file(self, message_id: str) -> Path:
        self.calls.append(("open_file", (message_id,), {}))
        return self.tmp / "plain" / "minutes.pdf"

    def file_bytes(self, message_id: str, limit: int) -> bytes:
        self.calls.append(("file_bytes", (message_id, limit), {}))
        return self.picture

    def __getattr__(self, name: str) -> Any:
        def call(*args: object, **kwargs: object) -> None:
            self.calls.append((name, args, kwargs))

        return call


def run(command: Command[T], engine: object) -> T:
    done = CommandDone(command, command.call(engine))  # type: ignore[arg-type]
    done.deliver()
    return done.result


def png(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def root(display: None) -> Iterator[tk.Tk]:
    root = tk.Tk()
    root.geometry("1000x700")
    apply_theme(root, LIGHT, make_fonts(root))
    yield root
    root.destroy()


@pytest.fixture
def main(root: tk.Tk) -> MainView:
    view = MainView(root, LIGHT, make_fonts(root))
    view.pack(fill="both", expand=True)
    return view


@pytest.fixture
def host() -> RecordingHost:
    return RecordingHost()


@pytest.fixture
def chat(root: tk.Tk, main: MainView, host: RecordingHost) -> ChatController:
    chat = ChatController(host, root, main)
    chat.open(BOB)
    root.update()
    host.commands.clear()
    return chat


@pytest.fixture
def engine(tmp_path: Path) -> FileEngine:
    return FileEngine(tmp_path)


def a_file(tmp_path: Path, name: str = "minutes.txt", data: bytes = b"the minutes") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_file_chosen_in_the_dialog_is_staged_and_enter_sends_it_with_the_caption(
    chat: ChatController, main: MainView, host: RecordingHost, engine: FileEngine, tmp_path: Path
) -> None:
    path = a_file(tmp_path)
    asked: list[tk.Misc] = []
    chat.files.pickers = FilePickers(choose_files=lambda parent: asked.append(parent) or [path])
    main.conversation.composer.attach_button.invoke()
    composer = main.conversation.composer
    assert asked and composer.staged.lines() == ["minutes.txt · 11 bytes"]
    assert composer.staged.winfo_manager() == "grid"  # shown above the field
    host.take("preview")  # a text file has no preview; the command only looks
    composer.set("the minutes of Tuesday")
    press_return(main.conversation.text)
    message = run(host.take("send_file"), engine)
    assert engine.calls == [("send_file", (path,), {"contact": BOB, "caption": "the minutes of Tuesday"})]
    assert composer.staged.lines() == [] and composer.value == ""
    assert main.conversation.messages.message_ids() == [message.message_id]  # drawn at once
    assert chat.model.conversations[BOB].last_text == "the minutes of Tuesday"


def test_escape_and_the_cross_take_staged_files_off_and_a_folder_is_refused(
    chat: ChatController, main: MainView, host: RecordingHost, tmp_path: Path
) -> None:
    composer = main.conversation.composer
    chat.files.stage([a_file(tmp_path, "a.txt"), a_file(tmp_path, "b.txt"), tmp_path])
    assert composer.staged.lines() == ["a.txt · 11 bytes", "b.txt · 11 bytes"]
    assert host.reports == [("file_unreadable", f"“{tmp_path.name}” is not a file Parley can read.")]
    row = composer.staged.winfo_children()[0]
    [cross] = [w for w in row.winfo_children() if str(w.cget("text")) == "×"]  # type: ignore[call-overload]
    cross.invoke()  # type: ignore[attr-defined]
    assert composer.staged.lines() == ["b.txt · 11 bytes"]
    main.conversation.text.focus_force()
    main.update()
    main.conversation.text.event_generate("<Escape>")
    main.update()
    assert composer.staged.lines() == [] and not composer.staged.winfo_manager()


def test_a_staged_picture_gets_its_preview_and_a_group_gets_the_file(
    chat: ChatController, main: MainView, host: RecordingHost, engine: FileEngine, tmp_path: Path
) -> None:
    group = ev.GroupView("g1", "Hikers", (), "member", 1, 0.0)
    chat.model.set_group(group)
    chat.open("g1")
    host.commands.clear()
    picture = tmp_path / "summit.png"
    picture.write_bytes(png(640, 480))
    chat.files.stage([picture])
    [staged] = main.conversation.composer.staged.items
    run(host.take("preview"), engine)
    preview = main.conversation.composer.staged.preview_of(staged)
    assert preview is not None and max(preview.width(), preview.height()) == 48
    main.conversation.composer.submit()
    run(host.take("send_file"), engine)
    assert engine.calls == [("send_file", (picture,), {"group_id": "g1", "caption": ""})]


def test_a_refused_file_goes_back_above_the_composer_with_its_caption(
    chat: ChatController, main: MainView, host: RecordingHost, tmp_path: Path
) -> None:
    chat.files.stage([a_file(tmp_path)])
    main.conversation.composer.set("for you")
    main.conversation.composer.submit()
    command = host.take("send_file")
    assert command.failed is not None
    command.failed("file_too_large", "The file is larger than 100 MB, the most Parley sends.")
    assert main.conversation.composer.staged.lines() == ["minutes.txt · 11 bytes"]
    assert main.conversation.composer.value == "for you"
    assert host.reports == [("file_too_large", "The file is larger than 100 MB, the most Parley sends.")]


def test_pause_resume_cancel_retry_and_download_call_the_engine(
    chat: ChatController, host: RecordingHost, engine: FileEngine
) -> None:
    for action in (
        FileAction.PAUSE,
        FileAction.RESUME,
        FileAction.CANCEL,
        FileAction.RETRY,
        FileAction.DOWNLOAD,
    ):
        chat.files.act("m1", action)
    for command in list(host.commands):
        run(command, engine)
    assert [(name, args) for name, args, _ in engine.calls] == [
        ("pause_transfer", ("m1",)),
        ("resume_transfer", ("m1",)),
        ("cancel_transfer", ("m1",)),
        ("resume_transfer", ("m1",)),
        ("resume_transfer", ("m1",)),
    ]


def test_open_hands_the_decrypted_copy_to_the_system_opener_and_save_as_to_the_engine(
    chat: ChatController, main: MainView, host: RecordingHost, engine: FileEngine, tmp_path: Path
) -> None:
    attachment = ev.AttachmentView("minutes.pdf", 10, "application/pdf", ev.TransferState.DONE, 10)
    message = ev.MessageView(
        "m1", BOB, False, "", time.time(), ev.MessageStatus.RECEIVED, attachment=attachment
    )
    main.conversation.messages.append(message)
    opened: list[Path] = []
    suggested: list[str] = []
    target = tmp_path / "saved" / "minutes.pdf"

    def save_as(_parent: tk.Misc, name: str) -> Path:
        suggested.append(name)
        return target

    chat.files.pickers = FilePickers(opener=opened.append, save_as=save_as)
    chat.files.act("m1", FileAction.OPEN)
    run(host.take("open_file"), engine)
    assert opened == [tmp_path / "plain" / "minutes.pdf"]
    chat.files.act("m1", FileAction.SAVE)
    run(host.take("save_file"), engine)
    assert suggested == ["minutes.pdf"]  # the dialog suggests the file's own name
    assert engine.calls[-1] == ("save_file", ("m1", target), {})
    chat.files.pickers = FilePickers(opener=opened.append, save_as=lambda _p, _n: None)
    chat.files.act("m1", FileAction.SAVE)  # cancelled: nothing is asked of the engine
    assert not [c for c in host.commands if c.name == "save_file"]
    chat.files.pickers = FilePickers(opener=None)
    chat.files.act("m1", FileAction.OPEN)
    assert host.reports[-1][0] == "no_opener" and "Save as" in host.reports[-1][1]


def test_viewing_a_picture_decodes_its_bytes_on_the_worker_and_opens_the_viewer(
    chat: ChatController, root: tk.Tk, host: RecordingHost, engine: FileEngine
) -> None:
    engine.picture = png(3000, 2000)
    chat.files.act("pic1", FileAction.VIEW)
    run(host.take("picture"), engine)
    viewer = chat.files.viewers["pic1"]
    assert isinstance(viewer, PictureViewer) and viewer.picture.size == (2560, 1707)  # scaled on the worker
    assert engine.calls[0][0] == "file_bytes"
    wait_until(root, lambda: viewer.shown_size != (0, 0), "the picture drawn in its window")
    chat.files.act("pic1", FileAction.VIEW)  # already open: raised, not opened twice
    assert not [c for c in host.commands if c.name == "picture"]
    viewer.destroy()
    engine.picture = b"not a picture"
    chat.files.act("pic1", FileAction.VIEW)
    with pytest.raises(EngineError, match="cannot be shown") as refused:  # the worker shows these words
        run(host.take("picture"), engine)
    assert refused.value.code == "not_a_picture"


def test_a_progress_event_moves_the_bar_of_the_open_conversation_only(
    chat: ChatController, main: MainView, root: tk.Tk
) -> None:
    moving = ev.AttachmentView("big.iso", 100 * MIB, "application/octet-stream", ev.TransferState.DOWNLOADING)
    message = ev.MessageView("m1", BOB, False, "", time.time(), ev.MessageStatus.RECEIVED, attachment=moving)
    main.conversation.messages.append(message)
    root.update()
    later = ev.AttachmentView(
        "big.iso", 100 * MIB, "application/octet-stream", ev.TransferState.DOWNLOADING, 40 * MIB
    )
    chat.handle(ev.TransferProgress("m1", "+15550000000", "", later))  # another conversation: nothing
    assert main.conversation.messages.attachment("m1") == moving
    chat.handle(ev.TransferProgress("m1", BOB, "", later))
    assert main.conversation.messages.attachment("m1") == later
    c = main.conversation.messages.canvas
    [state] = c.find_withtag("att:m1&&file-state")
    assert c.itemcget(state, "text") == "Downloading · 40 MB of 100 MB"


# ---------------------------------------------------------------------- the clipboard


def _xclip(data: bytes, kind: str) -> subprocess.Popen[bytes]:
    """Put ``data`` on the X clipboard as ``kind``; xclip stays to serve it until it is stopped."""
    found = shutil.which("xclip")
    assert found, "the paste tests need xclip (Debian: apt-get install xclip)"
    child = subprocess.Popen([found, "-selection", "clipboard", "-t", kind, "-i"], stdin=subprocess.PIPE)
    assert child.stdin is not None
    child.stdin.write(data)
    child.stdin.close()
    return child


@pytest.fixture
def clipboard() -> Iterator[list[subprocess.Popen[bytes]]]:
    children: list[subprocess.Popen[bytes]] = []
    yield children
    for child in children:
        child.kill()
        child.wait(timeout=10)


def _wait_for_owner(kind: str) -> None:
    """Until xclip owns the clipboard and answers for ``kind`` (its forked server needs a moment)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            # Short tries: until xclip owns the clipboard, the probe asks the previous owner, which may
            # be this test's own Tk window, blocked here and unable to answer.
            probe = subprocess.run(
                [shutil.which("xclip") or "xclip", "-selection", "clipboard", "-t", "TARGETS", "-o"],
                capture_output=True,
                timeout=1,
            )
        except subprocess.TimeoutExpired:
            continue
        if kind.encode() in probe.stdout:
            return
        time.sleep(0.05)
    pytest.fail(f"xclip did not offer {kind} on the clipboard")


def test_a_picture_pasted_with_ctrl_v_is_staged_and_sent_as_data(
    chat: ChatController,
    main: MainView,
    root: tk.Tk,
    host: RecordingHost,
    engine: FileEngine,
    clipboard: list[subprocess.Popen[bytes]],
) -> None:
    clipboard.append(_xclip(png(200, 100), "image/png"))
    _wait_for_owner("image/png")
    text = main.conversation.text
    text.focus_force()
    root.update()
    text.event_generate("<Control-v>")
    composer = main.conversation.composer
    wait_until(root, lambda: composer.staged.items, "the pasted picture staged")
    [staged] = composer.staged.items
    assert staged.name == PASTED_NAME and composer.staged.preview_of(staged) is not None
    assert composer.value == ""  # the picture was not pasted as text too
    composer.submit()
    run(host.take("send_file"), engine)
    [(name, (data, sent_name), kwargs)] = engine.calls
    assert (name, sent_name, kwargs) == ("send_data", PASTED_NAME, {"contact": BOB, "caption": ""})
    assert Image.open(io.BytesIO(data)).size == (200, 100)  # type: ignore[arg-type]


def test_ctrl_v_pastes_text_when_the_clipboard_holds_no_picture(
    chat: ChatController, main: MainView, root: tk.Tk, clipboard: list[subprocess.Popen[bytes]]
) -> None:
    clipboard.append(_xclip(b"words from elsewhere", "UTF8_STRING"))
    _wait_for_owner("UTF8_STRING")
    text = main.conversation.text
    text.focus_force()
    root.update()
    text.event_generate("<Control-v>")
    wait_until(root, lambda: main.conversation.composer.value == "words from elsewhere", "the text pasted")
    assert main.conversation.composer.staged.items == []
    main.conversation.composer.set("")
    root.clipboard_clear()
    root.clipboard_append("copied in Parley")  # our own clipboard: the window answers xclip meanwhile
    text.event_generate("<Control-v>")
    wait_until(root, lambda: main.conversation.composer.value == "copied in Parley", "our own text pasted")


def test_staged_items_compare_by_identity(tmp_path: Path) -> None:
    path = a_file(tmp_path)
    assert Staged("minutes.txt", 11, path=path) != Staged("minutes.txt", 11, path=path)


def test_staged_files_stay_with_their_conversation_and_go_when_the_profile_closes(
    chat: ChatController, main: MainView, host: RecordingHost, engine: FileEngine, tmp_path: Path
) -> None:
    carol = "+442079460303"
    chat.files.stage([a_file(tmp_path, "for-bob.txt")])
    composer = main.conversation.composer
    chat.open(carol)
    assert composer.staged.lines() == []  # Bob's file is not sent to Carol by mistake
    chat.open(BOB)
    assert composer.staged.lines() == ["for-bob.txt · 11 bytes"]
    engine.picture = png(300, 200)
    chat.files.act("pic1", FileAction.VIEW)
    run(host.take("picture"), engine)
    viewer = chat.files.viewers["pic1"]
    chat.open(carol)
    chat.reset()  # what locking the profile does
    assert not viewer.winfo_exists() and chat.files.viewers == {}
    chat.open(BOB)
    assert composer.staged.lines() == []


def test_shift_tab_from_the_composer_reaches_the_paperclip_then_the_messages(
    chat: ChatController, main: MainView, root: tk.Tk
) -> None:
    root.update()
    pane = main.conversation
    assert pane.text.tk_focusPrev() is pane.composer.attach_button
    assert pane.composer.attach_button.tk_focusPrev() is pane.messages.canvas
    assert "Ctrl+U" in str(pane.hint.cget("text"))


def test_with_the_editing_bar_open_enter_saves_the_edit_and_the_staged_file_waits(
    chat: ChatController, main: MainView, host: RecordingHost, tmp_path: Path
) -> None:
    path = a_file(tmp_path)
    chat.files.pickers = FilePickers(choose_files=lambda _parent: [path])
    composer = main.conversation.composer
    composer.attach_button.invoke()
    host.commands.clear()
    mine = ev.MessageView("out1", BOB, True, "see you at noon", time.time(), ev.MessageStatus.SENT)
    composer.answering("edit", mine, "Editing", mine.text)
    composer.set("see you at one")
    press_return(main.conversation.text)
    assert [c.name for c in host.commands] == ["edit_message"]  # not a new file with the edit as caption
    assert composer.staged.lines() == ["minutes.txt · 11 bytes"]

"""The welcome screen with a damaged profile file beside a healthy one: real Tk under Xvfb, real files."""

from __future__ import annotations

import socket
from pathlib import Path

import damage_support as damage
from engine_support import FAST_KDF
from gui_support import (
    PASSPHRASE,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    type_into,
    wait_until,
)

from gui.app import App
from gui.views.welcome import LABEL_HINT
from storage.profile import header
from storage.profile.directory import ProfileDirectory


def _select(app: App, index: int) -> None:
    w = app.welcome
    w.profiles.selection_clear(0, "end")
    w.profiles.selection_set(index)
    w.profiles.event_generate("<<ListboxSelect>>")
    app.root.update()


def test_a_damaged_profile_costs_only_itself_on_the_welcome_screen(display: object, tmp_path: Path) -> None:
    """A damaged header shows before the passphrase; a damaged database only at unlock (it is encrypted)."""
    root = tmp_path / "profiles"
    directory = ProfileDirectory(root, kdf_params=FAST_KDF)
    healthy = directory.create("Healthy", PASSPHRASE)
    healthy.close()
    no_header = directory.create("Its header is cut", PASSPHRASE)
    no_header.close()
    header_file = no_header.folder / header.HEADER_NAME
    header_file.write_bytes(header_file.read_bytes()[:20])
    broken = directory.create("Broken database", PASSPHRASE)
    for n in range(60):
        broken.history.add(
            "+442079460999", client_id=f"m-{n}", outgoing=True, text="words " * 80, timestamp=n
        )
    broken.close()
    damage.cut_last_page(broken.path)
    before = {path: damage.digest(path) for path in root.rglob("*") if path.is_file()}

    app = App(profiles_root=root, config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls")
    try:
        w = app.welcome
        wait_until(app.root, lambda: w.profiles.size() == 3 and not app.busy, "the three profiles")
        assert [w.profiles.get(i) for i in range(3)] == [
            "  A profile file — cannot be opened",
            "  Broken database",
            "  Healthy",
        ]
        assert w.profiles.itemcget(0, "foreground") == app.palette.muted
        assert w.problems.winfo_manager()
        assert str(w.problems.cget("text")).startswith("A profile file: This profile is damaged")
        assert w.selected_profile() == broken.profile_id
        assert w.label.value == "Profile 4"  # a neutral name for a new one, not the person's

        _select(app, 0)  # a click on the damaged one does not choose it
        assert w.selected_profile() == broken.profile_id

        type_into(w.passphrase.entry, PASSPHRASE)  # the damaged database says so at unlock, in words
        w.unlock_button.invoke()
        wait_until(app.root, lambda: "damaged" in str(w.error.cget("text")) and not app.busy, "the damage")
        assert app.screen is w and app.session.profile_name is None
        assert "malformed" not in str(w.error.cget("text"))

        _select(app, 2)
        assert w.selected_profile() == healthy.profile_id
        type_into(w.passphrase.entry, PASSPHRASE)
        w.unlock_button.invoke()
        wait_until(
            app.root, lambda: app.session.profile_name == "Healthy" and not app.busy, "the healthy profile"
        )
        for path in (header_file, broken.path):
            assert damage.digest(path) == before[path]  # left as they were
    finally:
        app.close()


def test_the_create_form_keeps_the_display_name_inside_and_lists_the_label(
    display: object, tmp_path: Path
) -> None:
    root = tmp_path / "profiles"
    app = App(profiles_root=root, config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls")
    try:
        w = app.welcome
        wait_until(app.root, lambda: not app.busy, "the empty profile list")
        assert w.label.value == "Personal"
        assert (
            str(w.label.note.cget("text"))
            == LABEL_HINT
            == ("Shown before the passphrase: anyone here can read it.")
        )
        # No server listens here (a port just bound and closed), whatever else runs on this computer.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        type_into(w.server, f"127.0.0.1:{closed}")
        type_into(w.display_name.entry, "Carol Jones")
        type_into(w.label.entry, "  ")
        type_into(w.new_passphrase.entry, PASSPHRASE)
        type_into(w.repeat.entry, PASSPHRASE)
        w.create_button.invoke()
        assert str(w.label.note.cget("text")) == "Enter a name for this profile on this computer."
        assert not root.exists() or not any(root.iterdir())  # nothing created

        type_into(w.label.entry, "Work laptop")
        w.create_button.invoke()
        assert str(w.label.note.cget("text")) == LABEL_HINT  # the hint is back once the label is good
        wait_until(app.root, lambda: app.session.profile_name == "Carol Jones", "the new profile open")
        # No server listens at that address: the registration screen says so; back to the list.
        wait_until(app.root, lambda: app.screen is app.registration and not app.busy, "the offer")
        app.registration.cancel_link.invoke()
        wait_until(app.root, lambda: app.screen is w and w.profiles.size() == 1 and not app.busy, "the list")
        assert w.profiles.get(0) == "  Work laptop"
        assert w.label.value == "Profile 2"
    finally:
        app.close()
    (folder,) = root.iterdir()
    assert b"Work laptop" in (folder / header.HEADER_NAME).read_bytes()
    for path in (p for p in folder.iterdir() if p.is_file()):
        assert b"Carol" not in path.read_bytes()
    with ProfileDirectory(root, kdf_params=FAST_KDF).open(folder.name, PASSPHRASE) as profile:
        assert (profile.label, profile.name) == ("Work laptop", "Carol Jones")

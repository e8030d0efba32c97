"""The welcome screen with a damaged profile file beside a healthy one: real Tk under Xvfb, real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import damage_support as damage
import pytest
from engine_support import FAST_KDF
from gui_support import (
    PASSPHRASE,
    display_for_tests,
    forget_tk,  # noqa: F401 - autouse: Tk garbage is collected on the Tk thread
    type_into,
    wait_until,
)

from gui.app import App
from storage.profile.directory import ProfileDirectory


@pytest.fixture(scope="session")
def display() -> Iterator[None]:
    yield from display_for_tests()


def test_a_damaged_profile_is_shown_greyed_out_with_words_and_the_healthy_one_opens(
    display: object, tmp_path: Path
) -> None:
    root = tmp_path / "profiles"
    directory = ProfileDirectory(root, kdf_params=FAST_KDF)
    healthy = directory.create("Healthy", PASSPHRASE)
    healthy.close()
    broken = directory.create("Broken", PASSPHRASE)
    for n in range(60):
        broken.history.add(
            "+442079460999", client_id=f"m-{n}", outgoing=True, text="words " * 80, timestamp=n
        )
    broken.close()
    damage.cut_last_page(broken.path)
    before = damage.digest(broken.path)

    app = App(profiles_root=root, config_dir=tmp_path / "config", local_server_dir=tmp_path / "ls")
    try:
        w = app.welcome
        wait_until(app.root, lambda: w.profiles.size() == 2 and not app.busy, "both profiles in the list")
        assert [w.profiles.get(i) for i in range(2)] == ["  Broken — cannot be opened", "  Healthy"]
        assert w.profiles.itemcget(0, "foreground") == app.palette.muted
        assert w.problems.winfo_manager()
        assert str(w.problems.cget("text")).startswith("Broken: This profile file is damaged")
        assert w.selected_profile() == healthy.profile_id

        w.profiles.selection_clear(0, "end")  # a click on the damaged one does not choose it
        w.profiles.selection_set(0)
        w.profiles.event_generate("<<ListboxSelect>>")
        app.root.update()
        assert w.selected_profile() == healthy.profile_id

        type_into(w.passphrase.entry, PASSPHRASE)
        w.unlock_button.invoke()
        wait_until(
            app.root, lambda: app.session.profile_name == "Healthy" and not app.busy, "the healthy profile"
        )
        assert damage.digest(broken.path) == before
    finally:
        app.close()

"""Backup, restore and export forms and their words, without a display."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gui.view_models.backup_model import (
    BackupForm,
    ExportForm,
    RestoreForm,
    backed_up_text,
    default_backup_name,
    exported_text,
    format_size,
    percent,
    progress_words,
)
from gui.view_models.forms import FormInvalid

GOOD = "a long and happy passphrase"


def test_the_default_backup_name_carries_the_label_and_the_date_and_is_safe_on_any_disk() -> None:
    day = date(2026, 12, 1)
    assert default_backup_name("Alice", day) == "parley-alice-2026-12-01.parleybackup"
    assert default_backup_name("Zoë at work / home", day) == "parley-zoe-at-work-home-2026-12-01.parleybackup"
    assert default_backup_name("../..", day) == "parley-profile-2026-12-01.parleybackup"
    assert default_backup_name("李雷", day) == "parley-profile-2026-12-01.parleybackup"


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1000, "1.0 kB"),
        (3_400_000, "3.4 MB"),
        (1_250_000_000, "1.2 GB"),
        (5 * 10**15, "5000.0 TB"),
    ],
)
def test_sizes_read_as_a_file_manager_shows_them(size: int, words: str) -> None:
    assert format_size(size) == words


def test_progress_in_words_and_percent() -> None:
    assert progress_words(0, 0) == "Starting…"
    assert progress_words(1_700_000, 3_400_000) == "1.7 MB of 3.4 MB (50%)"
    assert progress_words(5_000_000, 3_400_000) == "3.4 MB of 3.4 MB (100%)"
    assert progress_words(3, 12, "conversations") == "3 of 12 conversations (25%)"
    assert percent(5, 0) == 0.0 and percent(7, 5) == 100.0 and percent(-1, 5) == 0.0


def test_the_result_lines() -> None:
    assert backed_up_text(Path("/b/x.parleybackup"), 2_500_000) == "Backed up to /b/x.parleybackup (2.5 MB)."
    assert exported_text(1, Path("/e")) == "Exported 1 conversation to /e."
    assert exported_text(3, Path("/e")) == "Exported 3 conversations to /e."


def test_a_backup_needs_a_place_and_a_passphrase_typed_twice_by_the_profile_rule() -> None:
    with pytest.raises(FormInvalid) as empty:
        BackupForm("", "short", "short").cleaned()
    assert set(empty.value.errors) == {"path", "passphrase"}
    assert "10 characters" in empty.value.errors["passphrase"]
    with pytest.raises(FormInvalid) as differ:
        BackupForm("/b/x.parleybackup", GOOD, GOOD + "!").cleaned()
    assert set(differ.value.errors) == {"repeat"}
    assert BackupForm(" /b/x.parleybackup ", GOOD, GOOD).cleaned() == (Path("/b/x.parleybackup"), GOOD)
    assert BackupForm("/b/mine", GOOD, GOOD).cleaned()[0] == Path("/b/mine.parleybackup")


def test_a_restore_needs_an_existing_file_its_passphrase_a_label_and_a_new_passphrase(tmp_path: Path) -> None:
    with pytest.raises(FormInvalid) as empty:
        RestoreForm().cleaned()
    assert set(empty.value.errors) == {"path", "backup_passphrase", "label", "passphrase"}
    with pytest.raises(FormInvalid) as missing:
        RestoreForm(str(tmp_path / "gone.parleybackup"), "x", "Alice", GOOD, GOOD).cleaned()
    assert missing.value.errors == {"path": "There is no file gone.parleybackup in that folder."}
    backup = tmp_path / "b.parleybackup"
    backup.write_bytes(b"whatever: the engine judges the contents")
    with pytest.raises(FormInvalid) as differ:
        RestoreForm(str(backup), "x", "Alice", GOOD, "other").cleaned()
    assert set(differ.value.errors) == {"repeat"}
    with pytest.raises(FormInvalid) as bad_label:
        RestoreForm(str(backup), "x", "Alice\nBob", GOOD, GOOD).cleaned()
    assert set(bad_label.value.errors) == {"label"}
    cleaned = RestoreForm(str(backup), "any", "  Alice  ", GOOD, GOOD).cleaned()
    assert cleaned == (backup, "any", "Alice", GOOD)


def test_an_export_needs_a_folder_and_html_or_json() -> None:
    with pytest.raises(FormInvalid) as empty:
        ExportForm("", "pdf").cleaned()
    assert set(empty.value.errors) == {"folder", "fmt"}
    assert ExportForm("/e/out", "json").cleaned() == (Path("/e/out"), "json")
